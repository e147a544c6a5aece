"""SMTP-level scanning (simscan): control/simcontrol, QMAILQUEUE for the SMTP service, and the mail alerts.

Touches ROOTS.qmail/control/simcontrol and the SMTP service's tcprules source and cdb
(ROOTS.tcprules/tcp.smtp, tcp.smtp.cdb); runs tcprules, and simscanmk when it is
installed (it compiles simcontrol into the simcontrol.cdb simscan reads). QMAILQUEUE is
only ever pointed at an installed ROOTS.qmail/bin/simscan: at a missing program every
message would fail with "qq temporary problem". Reads clamd's and spamd's status and
clamd's socket for the alerts.
"""

from __future__ import annotations

import subprocess
from typing import Any

from mailserver.clamav import clamd, conf
from mailserver.protocol import Op
from mailserver.protocol.filters import Alert, SmtpScanning
from mailserver.qmail import atomic, qmailqueue, services, simcontrol, tcprules
from mailserver.qmail.errors import FieldError, QmailError, UnreadableFile
from mailserver.qmail.services import program_installed

from .celeryapp import settings
from .daemons import file_seen
from .operations import Payload, operation
from .transaction import FilePlan, serialised, undo

SMTP_RULES = "smtp"  # tcp.smtp: qmail-smtpd's (the submission server's users are not scanned)
SIMSCANMK_TIMEOUT = 20.0


def _read(path: Any) -> atomic.FileState:
    try:
        return atomic.read_state(path)
    except UnreadableFile as exc:
        raise FieldError("simcontrol", str(exc)) from None


def scanning_state() -> SmtpScanning:
    roots = settings.roots
    simscan = roots.qmail_program("simscan")
    installed = program_installed(simscan)
    control = roots.control("simcontrol")
    text = _read(control).content.decode("utf-8", "replace")
    scan = simcontrol.scan_settings(text)
    source, _ = roots.rules(SMTP_RULES)
    hook = qmailqueue.read_hook(_read(source).content.decode("utf-8", "replace"))
    hooked = installed and hook.with_variable > 0 and str(simscan) in hook.values
    notes = []
    if not installed:
        notes.append(
            f"SMTP-level scanning needs simscan, which is not installed ({simscan} is missing; it is in no "
            "package registry). The panel still writes control/simcontrol, so the settings are ready when "
            "simscan is installed; until then no mail is scanned during SMTP, and QMAILQUEUE is left alone."
        )
    elif (scan.spam or scan.clam) and not hook.everywhere(str(simscan)):
        notes.append(
            f"Only {hook.with_variable} of the {hook.allow_rules} allow rules of {source} "
            "hand mail to simscan."
        )
    stranded = tcprules.left_in_etc(roots, SMTP_RULES)
    if stranded:
        notes.append(stranded)
    if installed and not program_installed(roots.qmail_program("simscanmk")):
        notes.append("simscanmk is not installed: simscan reads simcontrol.cdb, which it cannot rebuild.")
    return {
        "simscan": str(simscan),
        "simscan_installed": installed,
        "simscanmk_installed": program_installed(roots.qmail_program("simscanmk")),
        "simcontrol": file_seen(control),
        "spam": scan.spam,
        "clam": scan.clam,
        "spam_hits": scan.spam_hits,
        "spam_hits_set": scan.spam_hits_set,
        "qmailqueue": {
            "rules": str(source),
            "allow_rules": hook.allow_rules,
            "with_variable": hook.with_variable,
            "values": list(hook.values),
            "unreadable": list(hook.unreadable),
            "everywhere": hook.everywhere(str(simscan)),
        },
        "spam_active": hooked and scan.spam,
        "clam_active": hooked and _clam_anywhere(text),
        "other_filters": _other_filters_shown(text),
        "notes": notes,
    }


def _other_filters_shown(text: str) -> list[str]:
    """What simcontrol asks of simscan besides the page's switches, as the admin wrote it: a line for
    a domain or an address as it stands, the default line's other filters by name, and a line simscan
    cannot read (no ``KEY:``; simcontrol has no comments) said to be one."""
    shown = []
    for line in simcontrol.parse(text):
        raw = line.raw.strip()
        if ":" not in raw:
            shown.append(f"{raw!r} (not a KEY:param=value line: simcontrol has no comments)")
        elif line.key:
            shown.append(raw)
        else:
            shown.extend(
                f"{name}={value} on the default line"
                for name, value in line.params
                if name in simcontrol.OTHER_FILTERS
            )
    return shown


def _clam_anywhere(text: str) -> bool:
    return any(line.get("clam") == "yes" for line in simcontrol.parse(text))


@operation(Op.SIMSCAN_WRITE)
def write_simscan(payload: Payload) -> dict[str, Any]:
    """Payload: {"spam": bool, "clam": bool, "spam_hits": "10.0" (any of them),
    "expect": {"simcontrol": sha256|null, "rules": sha256|null}}.

    Writes the default line of control/simcontrol; with simscan installed, also points
    QMAILQUEUE at it in every allow rule of tcp.smtp while a scan is on (removing it when both
    are off and simcontrol asks simscan for nothing else), and rebuilds both cdbs. A payload
    asking for what simscan already does (no simcontrol: its defaults, both scans off) writes
    nothing, rebuilds nothing and records no change, whatever the expectation: the page
    compares the sha it showed, as for a control file it did not send.
    """
    roots = settings.roots
    seen = payload.get("expect", {})
    if not isinstance(seen, dict):
        raise FieldError("expect", "expect must be an object")
    simcontrol.scan_request(
        payload, simcontrol.ScanSettings(False, False, simcontrol.DEFAULT_SPAM_HITS, False)
    )
    with serialised():
        control = roots.control("simcontrol")
        current = _read(control)
        text = current.content.decode("utf-8", "replace")
        request = simcontrol.scan_request(payload, simcontrol.scan_settings(text))
        asked = not _already_done(request, text)
        new_text = text
        plan = FilePlan()
        if asked:
            new_text = simcontrol.with_scan_settings(
                text, spam=request.spam, clam=request.clam, spam_hits=request.spam_hits
            )
            # expect.simcontrol: the sha256 the caller saw (null: no file); absent, the caller does not know.
            saw = {"expect": seen["simcontrol"]} if "simcontrol" in seen else {}
            plan.add("control/simcontrol", control, new_text.encode(), atomic.expectation(saw, "simcontrol"))
        simscan = roots.qmail_program("simscan")
        notes: list[str] = []
        rules_changed = False
        source, cdb = roots.rules(SMTP_RULES)
        rules_before = _read(source)
        stranded = tcprules.left_in_etc(roots, SMTP_RULES)
        if stranded and program_installed(simscan):
            # QMAILQUEUE would go in rules no tcpserver reads yet: scanning would be said on, and not be.
            raise QmailError(f"Not saved: {stranded} Nothing was changed.")
        if program_installed(simscan):
            rules = rules_before.content.decode("utf-8", "replace")
            wanted = request.spam or request.clam or bool(simcontrol.other_filters(new_text))
            # Settings asked for again still reach the allow rules that miss simscan (the box says
            # how many do); an unchanged "off" leaves a QMAILQUEUE set by hand alone.
            missing = wanted and not qmailqueue.read_hook(rules).everywhere(str(simscan))
            new_rules = qmailqueue.with_hook(rules, str(simscan) if wanted else None)
            if (asked or missing) and new_rules != rules:
                expect = {"expect": seen["rules"]} if "rules" in seen else {}
                plan.add(
                    f"tcprules {source.name}", source, new_rules.encode(), atomic.expectation(expect, "rules")
                )
                rules_changed = True
                refused = tcprules.unwritable(
                    roots, SMTP_RULES, "QMAILQUEUE for SMTP-level scanning",
                    f" Or by hand: set QMAILQUEUE=\"{simscan}\" on the allow rules of {source}, then "
                    f"run tcprules {cdb.name} {cdb.name}.tmp < {source.name} in {source.parent}.",
                )  # fmt: skip
                if refused:
                    raise QmailError(refused)
        changes = plan.apply()
        if rules_changed:
            try:
                tcprules.compile_rules(roots, source, cdb)
            except QmailError:
                undo([*([(control, current)] if asked else []), (source, rules_before)])
                raise
            notes.append(f"{cdb.name} was rebuilt: new SMTP connections use it at once.")
        notes += _simscanmk(changes)
    state = scanning_state()
    notes += state["notes"]
    return {"changes": changes, "notes": notes, "state": state}


def _already_done(request: simcontrol.ScanRequest, text: str) -> bool:
    """Whether simscan already does what ``request`` asks, as simcontrol ``text`` stands.

    Without the file or its default line simscan scans nothing, with its built-in spam_hits: a
    request for exactly that must not write them. A threshold is compared as simscan reads it
    (10 is 10.0); a written one the panel cannot read (``spam_hits=``, ``12x``) is not the
    value the page showed, so a save replaces it.
    """
    now = simcontrol.scan_settings(text)
    line = simcontrol.default_line(simcontrol.parse(text))
    written = line.get("spam_hits") if line else None
    return (
        (request.spam, request.clam) == (now.spam, now.clam)
        and written in (None, now.spam_hits)
        and float(request.spam_hits) == float(now.spam_hits)
    )


def _simscanmk(changes: list[Any]) -> list[str]:
    if not any(change["target"] == "control/simcontrol" for change in changes):
        return []
    program = settings.roots.qmail_program("simscanmk")
    if not program_installed(program):
        return []
    try:
        done = subprocess.run(
            [str(program)], capture_output=True, text=True, timeout=SIMSCANMK_TIMEOUT,
            env={"PATH": "/usr/bin:/bin"}, check=False, cwd=settings.roots.control_dir,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [f"simscanmk could not be run ({exc}): simscan still reads the old simcontrol.cdb."]
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        return [f"simscanmk failed ({why}): simscan still reads the old simcontrol.cdb."]
    return ["simcontrol.cdb was rebuilt with simscanmk: simscan uses the new settings at once."]


def alerts() -> list[Alert]:
    """What every page must show: mail refused because clamd is down while simscan needs it."""
    roots = settings.roots
    scanning = scanning_state()
    found: list[Alert] = []
    if scanning["clam_active"]:
        status = services.read_status(roots, "clamd")
        if not status.up:
            found.append({
                "level": "danger",
                "page": "virus",
                "text": "SMTP-level virus scanning is on and clamd is not running: incoming mail is refused "
                "(simscan cannot scan it) until clamd runs again or virus scanning is turned off.",
            })  # fmt: skip
        else:
            answer = clamd.ask(clamd.endpoint(roots, conf.clamd_conf(roots)), timeout=2.0)
            if not answer.answering:
                found.append({
                    "level": "danger",
                    "page": "virus",
                    "text": f"SMTP-level virus scanning is on and clamd does not answer ({answer.error}): "
                    "incoming mail is refused until it does.",
                })  # fmt: skip
    if scanning["spam_active"] and not services.read_status(roots, "spamd").up:
        found.append({
            "level": "warning",
            "page": "spam",
            "text": "SMTP-level spam scanning is on and spamd is not running: mail is accepted unscanned.",
        })  # fmt: skip
    return found


@operation(Op.MAIL_ALERTS)
def mail_alerts(payload: Payload) -> dict[str, Any]:
    """Cheap enough for every page: two status files, simcontrol, tcp.smtp and clamd's socket."""
    return {"alerts": alerts()}
