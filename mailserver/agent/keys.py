"""Enrol the panel and its nodes: one command on each side (``nodeworx-keys``).

On the panel host, once::

    nodeworx-keys panel-init                 # makes the panel's key, prints its public half

On each mail host, with that public key::

    nodeworx-keys node-enroll PANEL_PUBLIC   # makes this node's key, trusts the panel,
                                             # prints the command to run on the panel

Back on the panel, the printed line::

    nodeworx-keys add-node NODE NODE_PUBLIC

Paths come from the same environment as everything else (NODEWORX_PANEL_KEY,
NODEWORX_NODE_KEYS on the panel; NODEWORX_NODE_KEY, NODEWORX_PANEL_TRUST and
NODEWORX_NODE on a node). Private keys are created 0600 and never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import config, signing


def ensure_private(path: Path) -> signing.PrivateKey:
    """The key at ``path``, made (0600) if there is none yet: re-running never replaces a key."""
    if path.exists():
        return signing.load_private(path)
    key = signing.PrivateKey.generate()
    signing.write_private(path, key)
    return key


def panel_init(settings: config.AgentConfig) -> str:
    return ensure_private(settings.panel_key).public.text()


def node_enroll(settings: config.AgentConfig, panel_public: str, label: str = "panel") -> str:
    config.queue_for(label)  # the label names a file: same rule as node names
    signing.write_public(settings.panel_trust / f"{label}.pub", signing.PublicKey.from_text(panel_public))
    return ensure_private(settings.node_key).public.text()


def add_node(settings: config.AgentConfig, node: str, node_public: str) -> Path:
    config.queue_for(node)  # refuses a name that is not a node name (and so not a safe file name)
    path = settings.node_keys / f"{node}.pub"
    signing.write_public(path, signing.PublicKey.from_text(node_public))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nodeworx-keys", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("panel-init", help="make the panel's signing key (once) and print its public key")
    enrol = commands.add_parser(
        "node-enroll", help="on a mail host: trust the panel's key, make this node's key"
    )
    enrol.add_argument("panel_public_key")
    add = commands.add_parser("add-node", help="on the panel: trust a node's key for its results")
    add.add_argument("node")
    add.add_argument("node_public_key")
    args = parser.parse_args(argv)
    settings = config.load()
    try:
        if args.command == "panel-init":
            print(panel_init(settings))
        elif args.command == "node-enroll":
            public = node_enroll(settings, args.panel_public_key)
            print(f"Node {settings.node} enrolled. On the panel, run:")
            print(f"  nodeworx-keys add-node {settings.node} {public}")
        else:
            path = add_node(settings, args.node, args.node_public_key)
            print(f"Results of node {args.node} are now checked against {path}")
    except ValueError as exc:
        print(f"nodeworx-keys: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
