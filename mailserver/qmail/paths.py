"""Where things live on the mail host, and the only way to turn names into paths.

Callers (the agent above all) never pass paths around: they pass names such as
``"databytes"`` or ``"qmail-smtpd"`` and this module resolves them inside the
configured roots, refusing anything that could escape them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import OutsideRoots

# Control-file and service names are short lower-case words (qmail's own names,
# e.g. "concurrencyremote", "qmail-smtpd"); no slashes, no dots, no leading dash.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # fullmatch: "$" would let a final newline in


def _checked(name: str, what: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise OutsideRoots(f"{what} name {name!r} is not allowed")
    return name


@dataclass(frozen=True)
class Roots:
    """The directories the agent may touch on one mail host."""

    qmail: Path = Path("/var/qmail")  # control/, queue/, bin/, alias/
    service: Path = Path("/service")  # svscan's directory of service links
    log: Path = Path("/var/log/qmail")  # multilog directories
    bin: Path = Path("/usr/bin")  # daemontools and ucspi-tcp programs
    tcprules: Path = Path("/etc")  # tcp.smtp and its compiled cdb (NODEWORX_TCPRULES_DIR moves it)
    system: Path = Path("/")  # the host's own tree: packaged daemons such as /usr/sbin/spamd

    @property
    def control_dir(self) -> Path:
        return self.qmail / "control"

    @property
    def queue_dir(self) -> Path:
        return self.qmail / "queue"

    def control(self, name: str) -> Path:
        return self.control_dir / _checked(name, "control file")

    def service_dir(self, name: str) -> Path:
        return self.service / _checked(name, "service")

    def log_dir(self, name: str) -> Path:
        return self.log / _checked(name, "log")

    def program(self, name: str) -> Path:
        """A daemontools / ucspi-tcp binary such as ``svc`` or ``tcprules``."""
        return self.bin / _checked(name, "program")

    def qmail_program(self, name: str) -> Path:
        """A program of qmail's own, e.g. ``qmail-smtpd`` in /var/qmail/bin."""
        return self.qmail / "bin" / _checked(name, "qmail program")

    def alias(self, name: str) -> Path:
        """A ``~alias/.qmail-NAME`` file (used to discard double bounces)."""
        return self.qmail / "alias" / f".qmail-{_checked(name, 'alias')}"

    def rules(self, name: str) -> tuple[Path, Path]:
        """The tcprules source and cdb for a service, e.g. tcp.smtp / tcp.smtp.cdb."""
        base = self.tcprules / f"tcp.{_checked(name, 'rules')}"
        return base, base.with_name(base.name + ".cdb")
