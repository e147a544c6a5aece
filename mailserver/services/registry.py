"""Every service the panel manages, in one table.

For each: its daemontools name (``/service/NAME``), the programs that must be there for it
to run at all (a service whose program is missing is "not installed": the panel will not
start it, so supervise cannot loop on it), the run-script template the panel writes for
it, whether the panel can set it up under daemontools where it is missing (``setup``: the
daemons the panel brings; qmail's own SMTP services and qmail-send come with qmail's
install, whose run scripts need the MTA page's settings), the page it belongs to, the
multilog directory its ``log/run`` writes, and what stops working while it is down,
which the panel states before a Stop or a Restart.

Program paths are Debian's (``dpkg -L`` of courier-imap, courier-base, spamd,
clamav-daemon, clamav-freshclam) and qmail's own ``/var/qmail/bin``; each is resolved
inside the agent's roots, so the demo tree (which has none of them) shows every service
as not installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from mailserver.qmail.paths import Roots
from mailserver.qmail.services import program_installed


class Page(StrEnum):
    """The Mail Server page a service is shown and controlled on (navigation slugs)."""

    MTA = "mta"
    MDA = "mda"
    SPAM = "spam"
    VIRUS = "virus"


class Root(StrEnum):
    QMAIL = "qmail"  # Roots.qmail: /var/qmail
    BIN = "bin"  # Roots.bin: daemontools and ucspi-tcp
    SYSTEM = "system"  # Roots.system: the host's / (packaged daemons)


@dataclass(frozen=True)
class Program:
    root: Root
    path: str  # relative to the root

    def at(self, roots: Roots) -> Path:
        base = {Root.QMAIL: roots.qmail, Root.BIN: roots.bin, Root.SYSTEM: roots.system}[self.root]
        return base / self.path


@dataclass(frozen=True)
class Service:
    name: str  # the daemontools service: /service/NAME
    # What an admin calls it. No port: an admin can move a server (the run script, Courier's PORT), and
    # the pages show the one its files say beside the card.
    title: str
    page: Page
    programs: tuple[Program, ...]  # every one must be an executable file
    log: str  # its multilog directory under Roots.log, as the panel's log/run names it
    while_down: str  # what stops working while it is stopped, said before Stop and Restart
    # The run script the panel writes for it: "PACKAGE/NAME" for mailserver/PACKAGE/templates/NAME.run
    run_template: str
    setup: bool = False  # the agent's SERVICE_SETUP creates it (stopped) where it is missing

    @property
    def template_file(self) -> tuple[str, str]:
        """(the Python package, the template's name), as mailserver.qmail.sealed takes them."""
        package, _, name = self.run_template.partition("/")
        return f"mailserver.{package}", name

    def missing(self, roots: Roots) -> list[Path]:
        """The programs absent from this server; empty when the service can run."""
        return [path for path in (p.at(roots) for p in self.programs) if not program_installed(path)]


class UnknownService(KeyError):
    """A name that is not a service this panel manages."""


def _qmail(*names: str) -> tuple[Program, ...]:
    return tuple(Program(Root.QMAIL, f"bin/{name}") for name in names)


_TCPSERVER = Program(Root.BIN, "tcpserver")
_COURIER_IMAP = (
    Program(Root.SYSTEM, "usr/sbin/couriertcpd"),  # courier-base
    Program(Root.SYSTEM, "usr/lib/courier/courier/imaplogin"),  # courier-imap
    Program(Root.SYSTEM, "usr/bin/imapd"),
)
_REFUSED_NOT_LOST = "other servers keep their mail and retry for days, so it arrives late rather than never"

SERVICES: tuple[Service, ...] = (
    Service(
        "qmail-smtpd", "SMTP server", Page.MTA, (*_qmail("qmail-smtpd"), _TCPSERVER), "smtpd",
        f"All incoming mail is refused: nothing answers on port 25; {_REFUSED_NOT_LOST}.",
        run_template="qmail/smtpd",
    ),
    Service(
        "qmail-submission", "Submission server", Page.MTA, (*_qmail("qmail-smtpd"), _TCPSERVER),
        "submission",
        "Users cannot send mail through the submission port: their mail programs report an error. "
        "Mail from other servers still arrives on port 25.",
        run_template="qmail/smtpd",
    ),
    Service(
        "qmail-send", "Queue and delivery (qmail-send)", Page.MTA, _qmail("qmail-start", "qmail-send"),
        "send",
        "No mail is delivered, local or remote: new mail waits in the queue until qmail-send runs again. "
        "Stopping waits for the deliveries under way, which can take a minute or more.",
        run_template="qmail/send",
    ),
    Service(
        "qmail-pop3d", "POP3 server", Page.MDA,
        (*_qmail("qmail-popup", "qmail-pop3d"), _TCPSERVER), "pop3d",
        "Users cannot fetch their mail over POP3; mail still arrives and waits in their mailboxes.",
        run_template="qmail/pop", setup=True,
    ),
    Service(
        # The TLS wrapper (sslserver, stunnel, a patched tcpserver) varies too much to check.
        "qmail-pop3d-ssl", "Secure POP3 server", Page.MDA,
        (*_qmail("qmail-popup", "qmail-pop3d"), _TCPSERVER), "pop3d-ssl",
        "Users cannot fetch their mail over secure POP3; mail still arrives and waits in their mailboxes.",
        run_template="qmail/pop", setup=True,
    ),
    Service(
        "courier-imapd", "IMAP server", Page.MDA, _COURIER_IMAP, "imapd",
        "Users cannot read their mail over IMAP, webmail included; mail still arrives in their mailboxes.",
        run_template="courier/imapd", setup=True,
    ),
    Service(
        "courier-imapd-ssl", "Secure IMAP server", Page.MDA,
        (*_COURIER_IMAP, Program(Root.SYSTEM, "usr/bin/couriertls")), "imapd-ssl",
        "Users cannot read their mail over secure IMAP; mail still arrives in their mailboxes.",
        run_template="courier/imapd", setup=True,
    ),
    Service(
        "spamd", "SpamAssassin (spamd)", Page.SPAM, (Program(Root.SYSTEM, "usr/sbin/spamd"),), "spamd",
        "Mail is no longer checked for spam: with SMTP scanning on it is accepted unscanned "
        "(spamc passes a message through when spamd does not answer), and nothing is tagged as spam.",
        run_template="spamassassin/spamd", setup=True,
    ),
    Service(
        "clamd", "ClamAV (clamd)", Page.VIRUS, (Program(Root.SYSTEM, "usr/sbin/clamd"),), "clamd",
        "With SMTP virus scanning on, all incoming mail is refused with a temporary error "
        f"(simscan cannot run clamdscan); {_REFUSED_NOT_LOST}.",
        run_template="clamav/clamd", setup=True,
    ),
    Service(
        "freshclam", "Virus definition updates (freshclam)", Page.VIRUS,
        (Program(Root.SYSTEM, "usr/bin/freshclam"),), "freshclam",
        "Virus definitions are no longer updated: clamd keeps scanning with the ones it has, "
        "and new viruses get through.",
        run_template="clamav/freshclam", setup=True,
    ),
)  # fmt: skip

BY_NAME: dict[str, Service] = {service.name: service for service in SERVICES}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def get(name: object) -> Service:
    """The service called ``name``; UnknownService for anything else (paths, other daemons)."""
    service = BY_NAME.get(name) if isinstance(name, str) else None
    if service is None:
        raise UnknownService(f"{name!r} is not a service this panel manages")
    return service


def on_page(page: Page | str) -> tuple[Service, ...]:
    return tuple(service for service in SERVICES if service.page == page)


def names(services: Iterable[Service]) -> tuple[str, ...]:
    return tuple(service.name for service in services)
