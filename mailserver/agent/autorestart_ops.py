"""Auto-Restart and service set-up operations.

Touches ROOTS.service/NAME/nodeworx-auto-restart (the Auto-Restart setting, beside the
service's ``down`` file) and, to set up a service the panel writes a run script for but
which is not on the server yet, ROOTS.qmail/supervise/NAME with its run and log/run, a
log directory under ROOTS.log and the link in ROOTS.service (created stopped).
"""

from __future__ import annotations

from typing import Any

from mailserver.clamav import scripts as clam_scripts
from mailserver.courier import config as courier
from mailserver.protocol import Op
from mailserver.protocol.records import ChangeRecord
from mailserver.qmail import daemonservice, mda, mda_scripts
from mailserver.qmail.errors import FieldError
from mailserver.qmail.hostpath import system_path
from mailserver.services import autorestart, registry
from mailserver.spamassassin import spamd

from .celeryapp import settings
from .daemons import auto_restart
from .operations import Payload, operation, require
from .service_ops import status_dict
from .transaction import serialised

SETUP = ("spamd", "clamd", "freshclam", *mda.SERVERS)


def _service(payload: Payload) -> str:
    name = require(payload, "service", str)
    try:
        return registry.get(name).name
    except registry.UnknownService:
        raise FieldError("service", f"{name!r} is not a service this panel manages") from None


@operation(Op.SERVICE_AUTO_RESTART)
def set_auto_restart(payload: Payload) -> dict[str, Any]:
    """Payload: {"service", "enabled": bool}. The watchdog's next check acts on it."""
    name = _service(payload)
    enabled = require(payload, "enabled", bool)
    with serialised():
        changed = autorestart.set_enabled(settings.roots, name, enabled)
    changes: list[ChangeRecord] = []
    if changed:
        changes.append({
            "target": f"service {name}",
            "action": "auto-restart on" if enabled else "auto-restart off",
            "before": "" if enabled else "auto-restart\n",
            "after": "auto-restart\n" if enabled else "",
        })  # fmt: skip
    return {"changes": changes, "auto_restart": auto_restart(name)}


def run_script(name: str) -> str:
    """The run script the panel writes for ``name``, with this host's settings."""
    roots = settings.roots
    if name == "spamd":
        return spamd.render(spamd.configured(roots)[0])
    if name in ("clamd", "freshclam"):
        config = clam_scripts.PROGRAMS[name]
        relative = "etc/clamav/clamd.conf" if name == "clamd" else "etc/clamav/freshclam.conf"
        return clam_scripts.render(
            name, str(system_path(roots, relative)), str(roots.system / config.lstrip("/"))
        )
    if mda.SERVERS[name].courier:
        return mda_scripts.render_imapd(name, roots, str(courier.config_dir(roots)))
    return mda_scripts.render_pop3d(
        name, mda_scripts.Pop3dParams.default(name, roots, settings.checkpassword), roots
    )


@operation(Op.SERVICE_SETUP)
def setup(payload: Payload) -> dict[str, Any]:
    """Payload: {"service"}: put a service that is not on the server under daemontools, stopped."""
    name = _service(payload)
    if name not in SETUP:
        raise FieldError("service", f"the panel does not write a run script for {name}")
    run = run_script(name).encode()
    with serialised():
        daemonservice.create(
            settings.roots, name, run, log_name=registry.get(name).log, log_user=settings.log_user
        )
    changes: list[ChangeRecord] = [
        {"target": f"service {name}", "action": "create", "before": "", "after": "created, stopped\n"},
        {"target": f"service {name}/run", "action": "write", "before": "", "after": run.decode()},
    ]
    return {"changes": changes, "status": status_dict(name)}
