"""The test message: qmail-inject run as the issue asks, and the message found by its number.

qmail-inject is in no package registry, so a stand-in takes its place: it records how it was
run and stores the message as qmail-queue would (mess, intd, todo), or, to play a local
delivery that finished at once, only logs qmail-send's ``info msg`` line for it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from mailserver.qmail.errors import InvalidValue, QmailError
from mailserver.qmail.paths import Roots
from mailserver.qmail.queue import inject, request
from mailserver.qmail.queue.records import parse_envelope

REPO = Path(__file__).resolve().parents[3]
STAND_IN = """#!{python}
# test stand-in for qmail-inject: records its run, then queues (or logs) the message
import json, os, sys, time
sys.path.insert(0, {repo!r})
data = sys.stdin.buffer.read()
with open({record!r}, "w") as out:
    # as it was exec'd (Python itself adds LC_CTYPE to os.environ)
    env = dict(item.split("=", 1) for item in open("/proc/self/environ").read().split(chr(0)) if item)
    json.dump({{"argv": sys.argv[1:], "env": env, "cwd": os.getcwd(), "stdin": data.decode()}}, out)
from mailserver.qmail.queue.install import Owners
from mailserver.qmail.queue.layout import discover
from mailserver.qmail.queue.records import Recipient
from mailserver.qmail.queue.writer import Draft, write
from mailserver.qmail.logs.tai64n import stamp
from pathlib import Path
layout = discover(Path({queue!r}))
mode = {mode!r}
if mode == "exit":
    sys.stderr.write("qmail-inject: fatal: unable to parse this line: x\\n")
    sys.exit(100)
sender, recipients = sys.argv[3], sys.argv[5:]
draft = Draft(b"Received: (qmail 1 invoked by uid 0)\\n" + data, sender, time.time(),
              remote=tuple(Recipient(r, False) for r in recipients), preprocessed=False)
msg_id = write(layout, draft, Owners.of_queue(layout))
if mode == "delivered":
    for kind in ("todo", "intd", "mess"):
        os.unlink(layout.path(kind, msg_id))
    with open({log!r}, "a") as log:
        line = f"info msg {{msg_id}}: bytes 600 from <{{sender}}> qp 77 uid {{os.getuid()}}"
        log.write(f"{{stamp(time.time())}} {{line}}\\n")
print(msg_id, file=open({record!r} + ".id", "w"))
"""
WANTED = request.inject_request(
    {
        "from": "alice@example.test",
        "to": ["bob@example.test", "carol@example.test"],
        "subject": "Grüße",
        "body": "hello\n",
    }
)


def stand_in(snapshot, tmp_path: Path, mode: str) -> tuple[Roots, Path]:
    roots = Roots(qmail=snapshot.root.parent, log=tmp_path / "log")
    (roots.log / "send").mkdir(parents=True)
    (roots.log / "send" / "current").write_text("")
    record = tmp_path / "run.json"
    program = roots.qmail_program("qmail-inject")
    program.parent.mkdir(exist_ok=True)
    program.write_text(
        STAND_IN.format(
            python=sys.executable,
            repo=str(REPO),
            record=str(record),
            queue=str(snapshot.root),
            mode=mode,
            log=str(roots.log / "send" / "current"),
        )
    )
    program.chmod(0o755)
    return roots, record


def test_it_is_run_with_arguments_an_explicit_sender_and_a_clean_environment(snapshot, tmp_path):
    roots, record = stand_in(snapshot, tmp_path, "queue")
    found = inject.inject(roots, snapshot, WANTED, timeout=30)
    run = json.loads(record.read_text())
    assert run["argv"] == ["-a", "-f", "alice@example.test", "--", "bob@example.test", "carol@example.test"]
    assert run["env"] == {"PATH": "/usr/bin:/bin"} and run["cwd"] == "/"
    assert "\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n" in run["stdin"]
    assert f"\nX-Nodeworx-Test: {found.token}\n" in run["stdin"]
    assert (found.id, found.found_in) == (int(Path(f"{record}.id").read_text()), "queue")
    envelope = parse_envelope(snapshot.path("todo", found.id).read_bytes())
    assert envelope.recipients == ("bob@example.test", "carol@example.test")


def test_a_message_delivered_before_it_was_looked_for_is_found_in_the_log(snapshot, tmp_path):
    roots, record = stand_in(snapshot, tmp_path, "delivered")
    found = inject.inject(roots, snapshot, WANTED, timeout=30)
    assert (found.id, found.found_in) == (int(Path(f"{record}.id").read_text()), "log")
    assert not snapshot.path("mess", found.id).exists()


def test_a_refusal_is_reported_with_what_qmail_inject_said(snapshot, tmp_path):
    roots, _ = stand_in(snapshot, tmp_path, "exit")
    with pytest.raises(
        QmailError, match=r"refused the message \(exit 100\): qmail-inject: fatal: unable to parse"
    ):
        inject.inject(roots, snapshot, WANTED, timeout=30)


def test_without_qmail_inject_it_says_so(snapshot, tmp_path):
    roots = Roots(qmail=snapshot.root.parent)
    with pytest.raises(InvalidValue, match="qmail-inject is not installed on this server"):
        inject.inject(roots, snapshot, WANTED, timeout=30)
    assert not os.path.exists(roots.qmail_program("qmail-inject"))
