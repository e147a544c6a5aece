"""qmail-send made "installed" for a test: stand-ins for the two qmail programs its run script
execs (``rc`` execs qmail-start, which execs qmail-send, which here just sleeps)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from mailserver.qmail import services
from mailserver.qmail.paths import Roots

SLEEP = shutil.which("sleep") or "/bin/sleep"
TIMEOUT = 8.0  # supervise sleeps 1 s after each start
QMAIL_SEND = {
    "qmail-start": "#!/bin/sh\n# test stand-in for qmail-start\nexec qmail-send\n",
    "qmail-send": f"#!/bin/sh\n# test stand-in for qmail-send\nexec {SLEEP} 1000\n",
}


@contextmanager
def running_qmail_send(roots: Roots) -> Iterator[Roots]:
    """qmail-send installed and up; stopped and uninstalled afterwards (its ``down`` file stays)."""
    bin_dir = roots.qmail / "bin"
    for name, text in QMAIL_SEND.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    services.control(roots, "qmail-send", "up")
    services.wait_until(roots, "qmail-send", "up", TIMEOUT)
    try:
        yield roots
    finally:
        try:
            if services.read_status(roots, "qmail-send").up:
                services.control(roots, "qmail-send", "down")
                services.wait_until(roots, "qmail-send", "down", TIMEOUT)
        finally:
            for name in QMAIL_SEND:
                (bin_dir / name).unlink(missing_ok=True)
