"""Configuration shared by the web process and the agent, read from the environment.

Both sides need the broker, the node's name and the signing key pair; only the
agent uses the roots. One setting, NODEWORX_SERVER_ROOT, moves every root at once:
``/`` for a real mail host, ``./var/demo`` for the self-contained demo server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mailserver.qmail.paths import Roots

BASE_DIR = Path(__file__).resolve().parents[2]
_NODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    path = Path(value) if value else default
    return path if path.is_absolute() else BASE_DIR / path


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def queue_for(node: str) -> str:
    """The Celery queue a node's agent consumes; one queue per mail host."""
    if not _NODE.match(node):
        raise ValueError(f"node name {node!r} must be lower-case letters, digits and dashes")
    return f"node.{node}"


@dataclass(frozen=True)
class AgentConfig:
    node: str
    broker_url: str
    result_url: str
    key: Path
    certificate: Path
    cert_store: Path
    server_root: Path
    bin_dir: Path
    timeout: float
    conf_spawn: int
    smtpd_user: str
    log_user: str
    checkpassword: str

    @property
    def queue(self) -> str:
        return queue_for(self.node)

    @property
    def roots(self) -> Roots:
        root = self.server_root
        return Roots(
            qmail=root / "var/qmail",
            service=root / "service",
            log=root / "var/log/qmail",
            bin=self.bin_dir,
            tcprules=root / "etc",
        )


def load() -> AgentConfig:
    var = BASE_DIR / "var"
    broker = os.environ.get("NODEWORX_BROKER_URL", "redis://127.0.0.1:6390/0")
    return AgentConfig(
        node=os.environ.get("NODEWORX_NODE", "demo"),
        broker_url=broker,
        result_url=os.environ.get("NODEWORX_RESULT_URL", broker),
        key=env_path("NODEWORX_SIGNING_KEY", var / "keys/panel.key"),
        certificate=env_path("NODEWORX_SIGNING_CERT", var / "keys/certs/panel.pem"),
        cert_store=env_path("NODEWORX_CERT_STORE", var / "keys/certs"),
        server_root=env_path("NODEWORX_SERVER_ROOT", var / "demo"),
        bin_dir=env_path("NODEWORX_BIN_DIR", Path("/usr/bin")),
        timeout=env_float("NODEWORX_AGENT_TIMEOUT", 10.0),
        conf_spawn=int(os.environ.get("NODEWORX_CONF_SPAWN", "120")),
        smtpd_user=os.environ.get("NODEWORX_SMTPD_USER", "qmaild"),
        log_user=os.environ.get("NODEWORX_LOG_USER", "qmaill"),
        checkpassword=os.environ.get("NODEWORX_CHECKPASSWORD", "/home/vpopmail/bin/vchkpw"),
    )
