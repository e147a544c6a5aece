"""The boxes of the MDA page, one per POP3 or IMAP server in the guide's order, and the notice after a save.

The agent's state (``MdaState``) keeps each server's status, Auto-Restart and files under
``servers[NAME]``; :func:`shape` also lists the statuses under ``services`` and
``auto_restart`` as the other pages' states do, so each box shows its service card.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailserver.core.sections import Section, SectionPage
from mailserver.core.sections.effects import NOTHING_CHANGED
from mailserver.protocol import Op
from mailserver.qmail import mda

from . import forms

_DETAILS = "mda/_server_details.html"  # version, port, who wrote its run script, what is pending
# A save restarts a running server and waits for its new process (up to 8 s), then reads the state
# (a service just started is watched a few seconds for a restart loop): more than the default 10 s may pass.
SAVE_TIMEOUT = 20.0


def _server_box(slug: str, label: str, form: type[forms.MdaServerForm], intro: str, service: str) -> Section:
    """A server's box: its limits, saved by MDA_WRITE (which restarts it), its card and details."""
    return Section(
        slug,
        f"{label}: {service}",
        form,
        Op.MDA_WRITE,
        intro,
        services=(service,),
        details=_DETAILS,
        timeout=SAVE_TIMEOUT,
    )


SECTIONS = (
    _server_box(
        "pop3",
        "POP3",
        forms.Pop3dForm,
        "qmail-pop3d under tcpserver (usually port 110): mail clients download their mail.",
        "qmail-pop3d",
    ),
    _server_box(
        "pop3-ssl",
        "Secure POP3",
        forms.Pop3dSslForm,
        "qmail-pop3d over TLS (usually port 995): tcpserver, then Courier's couriertls.",
        "qmail-pop3d-ssl",
    ),
    _server_box(
        "imap",
        "IMAP",
        forms.ImapdForm,
        "Courier's imapd under couriertcpd (usually port 143): mail stays on the server.",
        "courier-imapd",
    ),
    _server_box(
        "imap-ssl",
        "Secure IMAP",
        forms.ImapdSslForm,
        "Courier's imapd over TLS (usually port 993).",
        "courier-imapd-ssl",
    ),
)


def _software(name: str, versions: Mapping[str, str]) -> str:
    """The software a server runs, with its version."""

    def version(package: str) -> str:
        return versions.get(package) or "not installed"

    if mda.SERVERS[name].courier:
        return f"Courier IMAP {version('courier-imap')}"
    text = f"qmail-pop3d {version('qmail-pop3d')} (qmail records no version of its own)"
    text += f", ucspi-tcp {version('ucspi-tcp')}"
    if mda.SERVERS[name].secure:
        text += f", couriertls from Courier {version('courier-imap')}"
    return text


def _port(name: str, server: Mapping[str, Any]) -> str:
    """Where the server listens, as its files say; the usual port for one not set up yet."""
    if server.get("port"):
        return str(server["port"])
    usual = mda.SERVERS[name].port
    if not server["script"]["exists"]:
        return f"{usual} (once set up)"
    return f"{usual} (not read from its files)"


def shape(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """The agent's state with each server's status and Auto-Restart where the boxes look for them."""
    servers = state["servers"]
    versions = state.get("versions") or {}
    return {
        **state,
        "services": {name: server["status"] for name, server in servers.items()},
        "auto_restart": {name: server["auto_restart"] for name, server in servers.items()},
        "about": {
            name: {"software": _software(name, versions), "port": _port(name, server)}
            for name, server in servers.items()
        },
    }


def _written(change: Mapping[str, Any]) -> str:
    target = str(change["target"])
    if change.get("action") == "create":
        return f"{target.removeprefix('service ')} set up under daemontools (stopped)"
    if target.startswith("courier "):
        return f"Courier's {target.removeprefix('courier ')}"
    return target.removeprefix("service ")


def describe(result: Mapping[str, Any], state: Mapping[str, Any]) -> str:
    """What was written, what the agent kept in place, and whether the server was restarted to use it."""
    changes = result.get("changes") or []
    if not changes:
        return NOTHING_CHANGED
    created = {c["target"] for c in changes if c.get("action") == "create"}
    # A service set up by this save got its run script with it: saying so once is enough.
    said = [
        c for c in changes if c.get("action") == "create" or c["target"].removesuffix("/run") not in created
    ]
    text = "Saved: " + ", ".join(_written(change) for change in said) + "."
    notes = result.get("notes") or []
    if notes:
        text += " " + " ".join(notes)
    restart = result.get("restart") or {}
    if restart.get("note"):
        text += " " + str(restart["note"])
    return text


PAGE = SectionPage(
    namespace="mda",
    title="Mail Delivery Agents",
    crumb="MDA",
    read=Op.MDA_READ_STATE,
    sections=SECTIONS,
    template="mda/page.html",
    shape=shape,
    describe=describe,
)
