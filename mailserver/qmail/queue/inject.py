"""The Mail Queue page's test message: handed to qmail-inject, then found in the queue.

qmail-inject (``ROOTS.qmail/bin/qmail-inject``) runs with an argument list, never through a
shell: ``-f SENDER`` sets the envelope sender explicitly, ``-a`` takes the recipients from the
arguments only (after ``--``, and each validated as a plain user@domain by :mod:`.request`), the
message comes on its stdin, the environment is empty but for PATH, and it gets a timeout.

qmail-inject runs as the user qmail-queue's setuid bit names (qmailq) when the agent is root. The
production agent runs with NoNewPrivileges, under which the kernel ignores setuid bits: qmail-queue
would then write the message's files as root, files qmail's install never makes, which the panel's
own queue check reports as ones qmail-send cannot use. Taking on the bit's user before the exec gives
the files the same owner whether the bit is honoured or not.

qmail-inject does not say which number the queue gave the message, and the page wants it to
follow the message through the send log. The message carries a random token in an
``X-Nodeworx-Test`` header; the new mess files are searched for it. A local delivery can finish
before that search, so the last lines of qmail-send's log are searched too, for the
``info msg N: … from <SENDER> … uid UID`` line of this very injection.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from email.utils import formatdate
from pathlib import Path
from typing import Any, Final

from .. import logtail
from ..errors import InvalidValue, QmailError
from ..paths import Roots
from ..serverfile import read_optional
from ..services import program_installed
from . import index as cached
from .layout import Layout
from .reader import read_head
from .request import InjectRequest

HEADER: Final = "X-Nodeworx-Test"
_INFO = re.compile(r"info msg (\d+): bytes \d+ from <(.*)> qp \d+ uid (\d+)")


@dataclass
class Injected:
    id: int | None  # the message's number, when it was found
    found_in: str  # "queue", "log" or "" (not found)
    started: float  # when qmail-inject was run (epoch seconds): the page follows the log from here
    token: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "found_in": self.found_in, "at": self.started, "token": self.token}


def compose(request: InjectRequest, token: str, host: str) -> bytes:
    message = EmailMessage(policy=default.clone(linesep="\n"))
    message["From"] = request.sender
    message["To"] = ", ".join(request.recipients)
    message["Subject"] = request.subject or "Test message from the mail panel"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = f"<nodeworx-test.{token}@{host}>"
    message[HEADER] = token
    message.set_content(request.body or "This is a test message sent from the Mail Queue page.\n")
    return message.as_bytes()


def _host(roots: Roots) -> str:
    try:
        raw = read_optional(roots.control("me"))
    except (OSError, QmailError):
        raw = None
    me = (raw or b"").split(b"\n", 1)[0].strip().decode("ascii", "replace")
    return me if re.fullmatch(r"[A-Za-z0-9.-]{1,253}", me) else "localhost"


def program(roots: Roots) -> Path:
    return roots.qmail_program("qmail-inject")


def queue_user(roots: Roots) -> int | None:
    """The uid qmail-queue's setuid bit would run it as, when this root process must take it on itself."""
    try:
        found = os.stat(roots.qmail_program("qmail-queue"))
    except OSError:
        return None
    if os.geteuid() != 0 or not found.st_mode & stat.S_ISUID or found.st_uid == 0:
        return None
    return found.st_uid


def inject(roots: Roots, layout: Layout, request: InjectRequest, *, timeout: float) -> Injected:
    """Run qmail-inject for ``request``; InvalidValue when it is not installed, QmailError when it fails."""
    path = program(roots)
    if not program_installed(path):
        raise InvalidValue(
            f"qmail-inject is not installed on this server ({path} is missing): no test message can be sent."
        )
    token = secrets.token_hex(8)
    data = compose(request, token, _host(roots))
    index = cached.index_for(layout)
    index.refresh(("mess",))
    before = index.ids("mess")
    argv = [str(path), "-a", "-f", request.sender, "--", *request.recipients]
    user = queue_user(roots)
    started = time.time()
    try:
        done = subprocess.run(
            argv,
            input=data,
            capture_output=True,
            timeout=timeout,
            env={"PATH": "/usr/bin:/bin"},
            cwd="/",
            check=False,
            user=user,  # the group stays the agent's, as under the setuid bit
        )
    except subprocess.TimeoutExpired:
        raise QmailError(
            f"qmail-inject did not finish within {timeout:g} s; the message may or may not be queued."
        ) from None
    except OSError as exc:
        raise QmailError(f"qmail-inject could not be run: {exc.strerror}") from exc
    if done.returncode != 0:
        said = (
            done.stderr.decode("utf-8", "replace").strip() or done.stdout.decode("utf-8", "replace").strip()
        )
        kind = "refused the message" if done.returncode == 100 else "failed"
        raise QmailError(f"qmail-inject {kind} (exit {done.returncode}): {said or 'no message'}")
    index.refresh(("mess",))
    for msg_id in sorted(index.ids("mess") - before):
        try:
            head = read_head(layout.path("mess", msg_id), 16384)[0]
        except (OSError, QmailError):
            continue
        if f"\n{HEADER}: {token}\n".encode() in head:
            return Injected(msg_id, "queue", started, token)
    found = _in_log(roots, request.sender, started, os.getuid() if user is None else user)
    return Injected(found, "log" if found else "", started, token)


def _in_log(roots: Roots, sender: str, since: float, uid: int) -> int | None:
    """The newest ``info msg`` line of a message from ``sender`` queued by ``uid`` since ``since``."""
    for line in reversed(logtail.last_lines(roots.log_dir("send"), count=400)):
        if line.at is not None and line.at < since - 1:
            break
        match = _INFO.search(line.text)
        if match and match.group(2) == sender and int(match.group(3)) == uid:
            return int(match.group(1))
    return None
