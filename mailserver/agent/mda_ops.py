"""MDA operations: the POP3 and IMAP servers' state, and their memory and connection limits.

Touches ROOTS.service/NAME/run of qmail-pop3d, qmail-pop3d-ssl, courier-imapd and
courier-imapd-ssl (a missing one is created stopped, under ROOTS.qmail/supervise, with its
log directory under ROOTS.log), and Courier's ``imapd`` and ``imapd-ssl`` in its
configuration directory (ROOTS.system/etc/courier): MAXDAEMONS and IMAP_ULIMITD, edited in
place. Runs svc -t on the changed service when it runs (its run script reads the settings
at start). Reads the services' logs for tcpserver's status lines and /proc for
couriertcpd's children.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mailserver.courier import config as courier
from mailserver.protocol import Op
from mailserver.protocol.mda import InUse, MdaScript, MdaServer, MdaState
from mailserver.protocol.state import ServiceStatus
from mailserver.qmail import (
    atomic,
    daemonservice,
    logtail,
    mda,
    mda_changes,
    mda_scripts,
    tcpstatus,
)
from mailserver.qmail.errors import Conflict, FieldError, UnreadableFile

from .celeryapp import settings
from .daemons import auto_restart, file_seen, package_version, restart_if_up
from .operations import Payload, operation
from .service_ops import statuses
from .start_record import pending
from .transaction import FilePlan, HandEdited, changed_meanwhile, serialised

SERVERS = tuple(mda.SERVERS)
NOTE = "Set by the control panel (MDA page)."


def _script(name: str) -> tuple[Path, atomic.FileState, str]:
    path = settings.roots.service_dir(name) / "run"
    try:
        state = atomic.read_state(path)
    except UnreadableFile as exc:
        raise FieldError("service", str(exc)) from None
    return path, state, state.content.decode("utf-8", "replace")


def _reading(name: str, text: str, exists: bool) -> mda_scripts.ScriptReading:
    roots = settings.roots
    if not exists:
        return mda_scripts.ScriptReading(False, False, False, None, None)
    if mda.SERVERS[name].courier:
        return mda_scripts.read_imapd(name, text, roots, str(courier.config_dir(roots)))
    return mda_scripts.read_pop3d(name, text, roots)


def _in_use(name: str, status: ServiceStatus) -> InUse | None:
    roots = settings.roots
    if mda.SERVERS[name].courier:
        found = tcpstatus.children(status["pid"] if status["up"] else None)
    else:
        directory = logtail.log_directory(roots, name) or roots.log_dir(registry_log(name))
        found = tcpstatus.from_log(directory, status["since"]) if status["up"] else None
    if found is None:
        return None
    return {"connections": found.connections, "limit": found.limit, "at": found.at, "source": found.source}


def registry_log(name: str) -> str:
    from mailserver.services import registry

    return registry.get(name).log


def _not_a_number(directory: Path, found: courier.CourierValue, setting: str, read: int | None) -> list[str]:
    """A Courier setting its file holds but not as a whole number: the field shows the panel's
    default instead, which must not pass for what the server uses."""
    if found.file is None or read is not None:
        return []
    what = "not a constant" if found.value is None else f'"{found.value}", which is not a whole number'
    return [
        f"{directory}/{found.file} sets {setting} to {what}: the field below shows the panel's default "
        "instead. Enter the value you want and save to replace it."
    ]


def server_state(name: str, status: ServiceStatus) -> MdaServer:
    roots = settings.roots
    info = mda.SERVERS[name]
    path, state, text = _script(name)
    reading = _reading(name, text, state.exists)
    files: dict[str, Any] = {}
    memory, connections = reading.memory_limit, reading.connections
    memory_source = connections_source = "run script"
    port = reading.params.port if reading.params is not None else None
    notes = list(reading.notes)
    if info.courier:
        directory = courier.config_dir(roots)
        texts = courier.read_files(roots)
        for file in courier.FILES[name]:
            files[file] = file_seen(directory / file)
        if memory is None:
            found = courier.effective(texts, name, "IMAP_ULIMITD")
            kb = found.value
            memory = int(kb) * 1024 if kb and kb.isdigit() else None
            memory_source = f"{directory}/{found.file} (IMAP_ULIMITD)" if found.file else "not set"
            notes += _not_a_number(directory, found, "IMAP_ULIMITD", memory)
        if connections is None:
            found = courier.effective(texts, name, "MAXDAEMONS")
            connections = int(found.value) if found.value and found.value.isdigit() else None
            connections_source = f"{directory}/{found.file} (MAXDAEMONS)" if found.file else "not set"
            notes += _not_a_number(directory, found, "MAXDAEMONS", connections)
        # The panel's run script listens where Courier's files say (couriertcpd gets $PORT/$SSLPORT).
        found = courier.effective(texts, name, "SSLPORT" if info.secure else "PORT")
        port = int(found.value) if found.value and found.value.isdigit() else None
    script: MdaScript = {
        "path": str(path),
        "exists": state.exists,
        "sha256": state.sha256,
        "mtime": state.mtime,
        "managed": reading.managed,
        "hand_edited": reading.hand_edited,
        "outdated": reading.outdated,
        "text": text if state.exists and (not reading.managed or reading.hand_edited) else "",
        "notes": notes,
    }
    restart = pending(name, status["up"], status["pid"], status["since"])
    return {
        "service": name,
        "label": info.label,
        "status": status,
        "memory_limit": memory,
        "memory_floor": info.memory_floor,
        "memory_default": info.default_memory,
        "memory_source": memory_source,
        "connections": connections,
        "connections_source": connections_source,
        "port": port,
        "in_use": _in_use(name, status),
        "script": script,
        "files": files,
        "pending_restart": restart.changed,
        "pending_by_file_time": restart.by_file_time,
        "auto_restart": auto_restart(name),
    }


def mda_state() -> MdaState:
    found = statuses(SERVERS)
    return {
        "node": settings.node,
        "servers": {name: server_state(name, found[name]) for name in SERVERS},
        "versions": {
            "courier-imap": package_version("courier-imap"),
            "ucspi-tcp": package_version("ucspi-tcp"),
            "qmail-pop3d": "installed"
            if settings.roots.qmail_program("qmail-pop3d").is_file()
            else "not installed",
        },
    }


@operation(Op.MDA_READ_STATE)
def read_state(payload: Payload) -> MdaState:
    return mda_state()


@operation(Op.MDA_WRITE)
def write(payload: Payload) -> dict[str, Any]:
    """Payload: see mailserver.qmail.mda_changes (service, settings, expect, replace_hand_edit).

    The new limits are written where the server reads them (qmail-pop3d: its run script;
    Courier: MAXDAEMONS and IMAP_ULIMITD in its own files, with the panel's run script that
    applies them); then the server, if it runs, is restarted so that it uses them.
    """
    request = mda_changes.mda_request(payload)
    with serialised():
        if mda.SERVERS[request.service].courier:
            changes, notes = _write_courier(request)
        else:
            changes, notes = _write_pop3d(request)
    restart = restart_if_up(request.service) if changes else {"restarted": False, "note": "Nothing changed."}
    return {"changes": changes, "notes": notes, "restart": restart, "state": mda_state()}


def _confirm(request: mda_changes.MdaRequest, reading: mda_scripts.ScriptReading, exists: bool) -> None:
    if exists and (not reading.managed or reading.hand_edited) and not request.replace_hand_edit:
        raise HandEdited(
            f"The run script of {request.service} was not written by this panel (or was edited by hand). "
            "Review it and confirm to replace it with the panel's.",
            "service",
        )


def _write_pop3d(request: mda_changes.MdaRequest) -> tuple[list[Any], list[str]]:
    roots = settings.roots
    name = request.service
    path, state, text = _script(name)
    reading = _reading(name, text, state.exists)
    _confirm(request, reading, state.exists)
    default = mda_scripts.Pop3dParams.default(name, roots, settings.checkpassword)
    base = reading.params or dataclasses.replace(  # a script of another hand: keep its two limits
        default,
        memory_limit=reading.memory_limit or default.memory_limit,
        connections=reading.connections or default.connections,
    )
    params = dataclasses.replace(
        base,
        memory_limit=request.memory_limit or base.memory_limit,
        connections=request.connections or base.connections,
    )
    run = mda_scripts.render_pop3d(name, params, roots).encode()
    return _put_run(request, path, state, run), []


def _put_run(request: mda_changes.MdaRequest, path: Path, state: atomic.FileState, run: bytes) -> list[Any]:
    expect = request.expect.get("run", atomic.ANY)
    if not state.exists and not settings.roots.service_dir(request.service).exists():
        if not atomic.still_as_seen(state, expect):
            raise Conflict(changed_meanwhile(f"service {request.service}"))
        daemonservice.create(
            settings.roots,
            request.service,
            run,
            log_name=registry_log(request.service),
            log_user=settings.log_user,
        )
        return [
            {
                "target": f"service {request.service}",
                "action": "create",
                "before": "",
                "after": "created, stopped\n",
            },
            {
                "target": f"service {request.service}/run",
                "action": "write",
                "before": "",
                "after": run.decode(),
            },
        ]
    plan = FilePlan()
    plan.add(f"service {request.service}/run", path, run, expect, mode=0o755)
    return plan.apply()


def _write_courier(request: mda_changes.MdaRequest) -> tuple[list[Any], list[str]]:
    roots = settings.roots
    name = request.service
    directory = courier.config_dir(roots)
    path, state, text = _script(name)
    reading = _reading(name, text, state.exists)
    _confirm(request, reading, state.exists)
    texts = courier.read_files(roots)
    if texts["imapd"] is None:
        raise FieldError("service", f"{directory}/imapd is missing: is Courier IMAP installed?")
    secure = mda.SERVERS[name].secure
    target = "imapd-ssl" if secure else "imapd"
    if secure and texts["imapd-ssl"] is None:
        raise FieldError("service", f"{directory}/imapd-ssl is missing: is Courier's secure IMAP installed?")
    wanted = {}
    if request.connections is not None:
        wanted["MAXDAEMONS"] = str(request.connections)
    if request.memory_limit is not None:
        wanted["IMAP_ULIMITD"] = str(mda_changes.kilobytes(request.memory_limit))
    new = dict(texts)
    notes = []
    for setting, value in wanted.items():
        if not secure and texts["imapd-ssl"] is not None:
            own = courier.assignments(texts["imapd-ssl"]).get(setting)
            inherited = courier.effective(texts, "courier-imapd-ssl", setting).value
            if own is None and inherited is not None:
                # Secure IMAP reads imapd first: keep its value where it is by giving it its own.
                new["imapd-ssl"] = courier.with_value(new["imapd-ssl"] or "", setting, inherited, note=NOTE)
                notes.append(
                    f"imapd-ssl now sets {setting}={inherited} itself, so Secure IMAP keeps its value."
                )
        new[target] = courier.with_value(new[target] or "", setting, value, note=NOTE)
    plan = FilePlan()
    for file in ("imapd", "imapd-ssl"):
        if new[file] != texts[file]:
            plan.add(f"courier {file}", directory / file, (new[file] or "").encode(),
                     request.expect.get(file, atomic.ANY))  # fmt: skip
    run = mda_scripts.render_imapd(name, roots, str(directory)).encode()
    create = not state.exists and not roots.service_dir(name).exists()
    if not create and not (state.exists and state.content == run):
        plan.add(f"service {name}/run", path, run, request.expect.get("run", atomic.ANY), mode=0o755)
    applied = plan.apply()
    return [*applied, *(_put_run(request, path, state, run) if create else [])], notes
