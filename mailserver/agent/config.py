"""Configuration shared by the web process and the agent, read from the environment.

Both sides need the broker and the node's name. Keys are per role: the panel signs
tasks with its private key and checks results against each node's public key; an
agent holds only its own private key and the panel's public key (see ``signing``).
Only the agent uses the roots. One setting, NODEWORX_SERVER_ROOT, moves every root
at once: ``/`` for a real mail host, ``./var/demo`` for the self-contained demo server.
NODEWORX_TCPRULES_DIR moves the SMTP rules alone (tcp.smtp and its cdb; ``/etc`` by
default), to a directory the sandboxed agent unit can write without all of ``/etc``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# One reader of the environment for the agent, the web and the log tools (one relative-path rule).
from mailserver.qmail.environment import INSTALL_DIR as BASE_DIR
from mailserver.qmail.environment import env_float, env_path, server_root
from mailserver.qmail.paths import Roots

_NODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TCPRULES_DIR_ENV = "NODEWORX_TCPRULES_DIR"
DEFAULT_TCPRULES_DIR = Path("/etc")


def queue_for(node: str) -> str:
    """The Celery queue a node's agent consumes; one queue per mail host."""
    if not _NODE.match(node):
        raise ValueError(f"node name {node!r} must be lower-case letters, digits and dashes")
    return f"node.{node}"


def reads_queue_for(node: str) -> str:
    """The queue of a node's slow reads (Op.slow_read: log reports), served by its own workers."""
    return f"{queue_for(node)}.reads"


@dataclass(frozen=True)
class AgentConfig:
    node: str
    broker_url: str
    result_url: str
    panel_key: Path  # the panel's private key: web side only
    node_keys: Path  # <node>.pub for every enrolled node: web side only
    node_key: Path  # this node's private key: agent only
    panel_trust: Path  # the public keys of the panels this agent obeys: agent only
    state_dir: Path  # the agent's own local state (nonces seen), never in the broker
    server_root: Path
    bin_dir: Path
    timeout: float
    conf_spawn: int
    smtpd_user: str
    log_user: str
    checkpassword: str
    tcprules_dir: Path = DEFAULT_TCPRULES_DIR  # as the mail host names it; under server_root in roots

    @property
    def queue(self) -> str:
        return queue_for(self.node)

    @property
    def reads_queue(self) -> str:
        return reads_queue_for(self.node)

    @property
    def roots(self) -> Roots:
        root = self.server_root
        return Roots(
            qmail=root / "var/qmail",
            service=root / "service",
            log=root / "var/log/qmail",
            bin=self.bin_dir,
            tcprules=root / self.tcprules_dir.relative_to("/"),
            system=root,
        )


def broker_url() -> str:
    """NODEWORX_BROKER_URL, with the password of NODEWORX_BROKER_PASSWORD_FILE put in.

    The password stays out of the environment and the process list: only the file
    (0640, readable by the web's group and root) holds it.
    """
    url = os.environ.get("NODEWORX_BROKER_URL", "redis://127.0.0.1:6390/0")
    password_file = os.environ.get("NODEWORX_BROKER_PASSWORD_FILE")
    if not password_file:
        return url
    password = quote(Path(password_file).read_text().strip(), safe="")
    user = os.environ.get("NODEWORX_BROKER_USER", "nodeworx")
    scheme, sep, rest = url.partition("://")
    if not sep or "@" in rest.split("/", 1)[0]:
        raise ValueError(
            "NODEWORX_BROKER_URL must have no credentials when NODEWORX_BROKER_PASSWORD_FILE is set"
        )
    return f"{scheme}://{quote(user, safe='')}:{password}@{rest}"


def tcprules_dir() -> Path:
    """NODEWORX_TCPRULES_DIR: the directory of tcp.smtp, tcp.submission and their cdbs on the mail
    host (unset or empty: /etc). A path on the host, as the run scripts name it, so absolute; the
    agent finds it under NODEWORX_SERVER_ROOT like every other root."""
    value = os.environ.get(TCPRULES_DIR_ENV, "")
    if not value:
        return DEFAULT_TCPRULES_DIR
    path = Path(value)
    if not path.is_absolute() or ".." in path.parts or path == Path("/"):
        raise ValueError(
            f"{TCPRULES_DIR_ENV} must be an absolute directory on the mail host, such as /etc/tcprules.d "
            f"(not {value!r})"
        )
    return path


def load() -> AgentConfig:
    var = BASE_DIR / "var"
    broker = broker_url()
    return AgentConfig(
        node=os.environ.get("NODEWORX_NODE", "demo"),
        broker_url=broker,
        result_url=os.environ.get("NODEWORX_RESULT_URL", broker),
        panel_key=env_path("NODEWORX_PANEL_KEY", var / "keys/panel.key"),
        node_keys=env_path("NODEWORX_NODE_KEYS", var / "keys/nodes"),
        node_key=env_path("NODEWORX_NODE_KEY", var / "agent/node.key"),
        panel_trust=env_path("NODEWORX_PANEL_TRUST", var / "agent/panel-trust"),
        state_dir=env_path("NODEWORX_AGENT_STATE", var / "agent/state"),
        server_root=server_root(var / "demo"),
        bin_dir=env_path("NODEWORX_BIN_DIR", Path("/usr/bin")),
        timeout=env_float("NODEWORX_AGENT_TIMEOUT", 10.0),
        conf_spawn=int(os.environ.get("NODEWORX_CONF_SPAWN", "120")),
        smtpd_user=os.environ.get("NODEWORX_SMTPD_USER", "qmaild"),
        log_user=os.environ.get("NODEWORX_LOG_USER", "qmaill"),
        checkpassword=os.environ.get("NODEWORX_CHECKPASSWORD", "/home/vpopmail/bin/vchkpw"),
        tcprules_dir=tcprules_dir(),
    )
