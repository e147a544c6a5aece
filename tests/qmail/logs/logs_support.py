"""Helpers for the log-tool tests (a module of its own: conftest.py is not importable by name)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from mailserver.demo.builder import DATA

BIN = Path(sys.executable).parent
SEND_LOG = DATA / "logs" / "send"
# 2026-11-25 13:42:00 UTC: a minute after the last line of the fixture logs (13:41:12).
NOW = 1795614120


def pipeline(env: dict[str, str], *commands: Sequence[str], stdin: bytes | None = None) -> tuple[str, str]:
    """Run console scripts as real processes joined by pipes; (stdout of the last, all stderr)."""
    procs: list[subprocess.Popen[bytes]] = []
    upstream = None
    for i, command in enumerate(commands):
        proc = subprocess.Popen(
            [str(BIN / command[0]), *command[1:]],
            stdin=upstream if upstream is not None else (subprocess.PIPE if stdin is not None else None),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        if upstream is not None:
            upstream.close()  # the next stage owns the read end now
        elif stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        upstream = proc.stdout if i < len(commands) - 1 else None
        procs.append(proc)
    out = procs[-1].stdout.read() if procs[-1].stdout else b""
    errors = []
    for proc in procs:
        assert proc.stderr is not None
        errors.append(proc.stderr.read().decode())
        assert proc.wait(timeout=60) == 0, errors[-1]
    return out.decode(), "".join(errors)


def tsv(text: str) -> list[list[str]]:
    """Rows of a --tsv report without its header."""
    return [line.split("\t") for line in text.splitlines()[1:]]
