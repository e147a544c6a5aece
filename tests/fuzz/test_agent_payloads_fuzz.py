"""Every agent operation, called in process with arbitrary JSON payloads against a test server.

The handlers run as the worker runs them (minus transport), on a server tree built by the
demo builder in a temporary directory. A payload may only be refused with the library's
errors (FieldError, InvalidValue, Conflict, OutsideRoots: QmailError), which the agent
turns into an answer for the admin; any other exception is the agent's catch-all "failed"
with a traceback in its log, and counts as a defect here. A refused payload writes
nothing: the whole server tree is the same before and after.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailserver.agent.config import AgentConfig, load
from mailserver.demo.builder import build
from mailserver.qmail import atomic
from mailserver.qmail.errors import QmailError
from mailserver.qmail.paths import Roots
from tests.fuzz import filter_payloads, queue_payloads
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import (
    CONTROL_SAMPLES,
    edgy_text,
    field_text,
    json_values,
    multiline_text,
    near,
    pick,
)
from tests.fuzz.tally import tally
from tests.support.agent_handlers import handlers, registered

LOCK_NAME = ".nodeworx-agent.lock"  # the agent's own lock file, made on the first write: not server data
SMTPD = ["qmail-smtpd", "qmail-submission"]
SERVICES = ["qmail-smtpd", "qmail-submission", "qmail-send"]
START, END = 1795611600, 1795615200  # the captured logs' hour


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roots]:
    """A demo server of its own, with every agent module's settings pointing at it."""
    root = tmp_path_factory.mktemp("fuzz") / "server"
    handlers()  # imports every operation module
    config = dataclasses.replace(load(), server_root=root, smtpd_user="nobody", log_user="nobody")
    build(config.roots, smtpd_user="nobody", log_user="nobody")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NODEWORX_QMAIL_LOG_CACHE", "off")
        for name, module in list(sys.modules.items()):
            if name.startswith("mailserver.agent.") and isinstance(
                getattr(module, "settings", None), AgentConfig
            ):
                patch.setattr(module, "settings", config)
        yield config.roots


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under the server root: kind, mode, owner, size, mtime, inode, link target."""
    entries: dict[str, tuple[object, ...]] = {}
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = os.path.join(directory, name)
            st_ = os.lstat(path)
            target = os.readlink(path) if os.path.islink(path) else None
            entries[path] = (
                st_.st_mode,
                st_.st_uid,
                st_.st_gid,
                st_.st_size,
                st_.st_mtime_ns,
                st_.st_ino,
                target,
            )
    entries.pop(str(root / "var/qmail" / LOCK_NAME), None)
    return entries


def current_sha(roots: Roots, target: str) -> str | None:
    if target.startswith("control/"):
        path = roots.control_dir / target.removeprefix("control/")
    else:
        path = roots.service / target.removeprefix("service ")
    try:
        return atomic.read_state(path).sha256
    except (QmailError, OSError, ValueError):
        return None


def expect(roots: Roots, target: str) -> st.SearchStrategy[Any]:
    """Usually the file's real sha256 (so the write gets past the conflict check), else anything."""
    return pick(st.just(current_sha(roots, target)), st.none(), edgy_text(64), json_values())


def junk_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``strategy``; sometimes any JSON value in its place."""
    return pick(strategy, strategy, json_values())


# --- one payload strategy per operation: the real keys with edgy values, plus junk -------------


def _write_controls(data: st.DataObject, roots: Roots) -> Any:
    from mailserver.agent.mta_state import MTA_CONTROLS

    names = data.draw(st.lists(pick(st.sampled_from(MTA_CONTROLS), edgy_text(12)), min_size=1, max_size=3))
    files = {}
    for name in names:
        samples = CONTROL_SAMPLES.get(name, ("x",))
        value = pick(field_text(samples), multiline_text(), json_values(), st.none())
        item = st.fixed_dictionaries({"value": value}, optional={"expect": expect(roots, f"control/{name}")})
        files[name] = data.draw(junk_or(item))
    flags = {
        "replace_hand_edits": junk_or(st.booleans()),
        "double_bounce_discard": junk_or(st.booleans()),
    }
    return {
        "files": data.draw(junk_or(st.just(files))),
        **data.draw(st.fixed_dictionaries({}, optional=flags)),
    }


def _write_smtpd(data: st.DataObject, roots: Roots) -> Any:
    service = data.draw(pick(st.sampled_from(SMTPD), edgy_text(12)))
    values = {
        "port": pick(field_text(("587", "2525", "25", "0", "65536")), st.integers(-1, 70000)),
        "auth_mode": field_text(
            ("auth_optional/tls_optional", "auth_no/tls_no", "auth_required/tls_required")
        ),
        "rbl_zones": pick(
            st.lists(field_text(("zen.spamhaus.org", "bl.example.test")), max_size=3), json_values()
        ),
        "force_tls": junk_or(st.booleans()),
        "require_auth": junk_or(st.booleans()),
        "user": field_text(("root", "nobody", "qmaild")),
        "bind": field_text(("0", "127.0.0.1", "192.0.2.1")),
        "checkpassword": field_text(("/bin/true", "/home/vpopmail/bin/vchkpw")),
    }
    params = data.draw(
        junk_or(
            st.lists(st.sampled_from(list(values)), max_size=3, unique=True).flatmap(
                lambda keys: st.fixed_dictionaries({key: values[key] for key in keys})
            )
        )
    )
    optional = {
        "expect": expect(roots, f"service {service}/run"),
        "replace_hand_edit": junk_or(st.booleans()),
    }
    return {"service": service, "params": params, **data.draw(st.fixed_dictionaries({}, optional=optional))}


TARGETS = (
    "control/me", "control/databytes", "control/badmailfrom", "control/smtproutes", "control/rcpthosts",
    "service qmail-smtpd/run", "service qmail-submission/run", "control/../rc", "service ../../etc/run",
)  # fmt: skip


def _restore(data: st.DataObject, roots: Roots) -> Any:
    target = data.draw(pick(st.sampled_from(TARGETS), edgy_text(20)))
    name = target.removeprefix("control/")
    samples = tuple(f"{v}\n" for v in CONTROL_SAMPLES.get(name, ("x",)))
    path = roots.service / target.removeprefix("service ") if target.startswith("service ") else None
    current = path.read_text() if path is not None and path.is_file() else ""
    content = pick(st.none(), field_text(samples), st.just(current), near((current or "x",)), json_values())
    return data.draw(
        st.fixed_dictionaries(
            {"target": st.just(target)}, optional={"content": content, "expect": expect(roots, target)}
        )
    )


def _service(data: st.DataObject, roots: Roots) -> Any:
    optional = {
        "action": junk_or(field_text(("up", "down", "restart", "kill", "hup"))),
        "enabled": junk_or(st.booleans()),
    }
    service = data.draw(junk_or(field_text(tuple(SERVICES))))
    return {"service": service, **data.draw(st.fixed_dictionaries({}, optional=optional))}


def _report(data: st.DataObject, roots: Roots) -> Any:
    from mailserver.qmail.logs.request import REPORTS

    time = pick(
        st.integers(START - 10**6, END + 10**6).map(str),
        field_text((str(START), str(END), "now", "5 hours ago", "2026-11-25 13:00")),
        json_values(),
    )
    last = field_text(("3 hours", "1 day", "100 years", "90 minutes"))
    period = junk_or(
        pick(st.fixed_dictionaries({"start": time, "end": time}), st.fixed_dictionaries({"last": last}))
    )
    words = st.lists(field_text(("user@example.test", "<>", "root", "dave@example.test")), max_size=3)
    filters = junk_or(
        st.fixed_dictionaries(
            {},
            optional={
                "rcpt": words,
                "sender": words,
                "user": words,
                "webmail": junk_or(st.booleans()),
                "webmail_uids": words,
            },
        )
    )
    optional = {
        "filters": filters,
        "detail": junk_or(st.booleans()),
        "channel": junk_or(field_text(("both", "local", "remote"))),
        "by": junk_or(field_text(("recipient", "sender"))),
        "sort": junk_or(field_text(("recipient", "succ", "fail", "x"))),
        "reverse": junk_or(st.booleans()),
        "limit": junk_or(st.integers(-5, 600)),
        "report_id": junk_or(field_text(("fuzz-report-1", "short", "a" * 70))),
        "offset": junk_or(st.integers(-5, 20_000_000)),
        "source": junk_or(field_text(("auto", "index", "log"))),
    }
    required = {"period": period, "report": pick(st.sampled_from(REPORTS), edgy_text(15))}
    return data.draw(st.fixed_dictionaries(required, optional=optional))


def _message(data: st.DataObject, roots: Roots) -> Any:
    number = junk_or(pick(st.integers(-1, 2**64), st.sampled_from([1466718, 1466925])))
    at = junk_or(pick(st.floats(), st.integers(START, END), st.just(1795613601)))
    return data.draw(st.fixed_dictionaries({"id": number, "at": at}))


def _report_id(data: st.DataObject, roots: Roots) -> Any:
    rid = junk_or(field_text(("fuzz-report-1", "short", "../../etc", "a" * 70)))
    return data.draw(st.fixed_dictionaries({}, optional={"report_id": rid}))


def _retention(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(st.fixed_dictionaries({}, optional={"days": junk_or(st.integers(-5, 4000))}))


def _anything(data: st.DataObject, roots: Roots) -> Any:
    return data.draw(st.dictionaries(edgy_text(10), json_values(), max_size=4))


PAYLOADS: dict[str, Callable[[st.DataObject, Roots], Any]] = {
    "ping": _anything,
    "mta.read_state": _anything,
    "mta.write_controls": _write_controls,
    "mta.write_smtpd": _write_smtpd,
    "restore.file": _restore,
    "service.status": _anything,
    "service.control": _service,
    "service.boot": _service,
    "logs.report": _report,
    "logs.message": _message,
    "logs.progress": _report_id,
    "logs.cancel": _report_id,
    "logs.index": _anything,
    "logs.retention": _retention,
}
PAYLOADS.update(queue_payloads.PAYLOADS)
PAYLOADS.update(filter_payloads.PAYLOADS)


def test_every_operation_the_worker_offers_is_fuzzed():
    assert set(PAYLOADS) == set(handlers()) == registered()


@pytest.mark.parametrize("operation", list(PAYLOADS))
def test_operation_refuses_bad_payloads_only_with_field_errors_and_writes_nothing(operation, server):
    handler = handlers()[operation]

    @settings(max_examples=examples(40))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        payload = PAYLOADS[operation](data, server)
        before = tree(server.qmail.parents[1])
        try:
            handler(payload)
        except QmailError as exc:
            tally(operation, f"refused ({type(exc).__name__})")
            assert tree(server.qmail.parents[1]) == before, f"{operation} wrote files for a refused payload"
            return
        tally(operation, "accepted")

    check()


@pytest.mark.parametrize("channel", [[None], {"a": 1}, ["local"]])
def test_a_channel_that_is_no_string_is_a_field_error(server, channel):
    # Found by the bench profile: a list as channel raised TypeError (unhashable) in the agent.
    from mailserver.qmail.errors import FieldError

    with pytest.raises(FieldError) as refused:
        handlers()["logs.report"]({"period": {"last": "3 hours"}, "report": "show-all", "channel": channel})
    assert refused.value.field == "channel"
