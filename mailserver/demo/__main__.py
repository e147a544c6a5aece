"""python -m mailserver.demo ROOT: build the demo mail server tree under ROOT."""

import sys
from pathlib import Path

from mailserver.agent.config import load

from .builder import build

if __name__ == "__main__":
    config = load()
    if len(sys.argv) > 1 and Path(sys.argv[1]).resolve() != config.server_root.resolve():
        sys.exit(f"NODEWORX_SERVER_ROOT ({config.server_root}) differs from {sys.argv[1]}")
    build(config.roots, smtpd_user=config.smtpd_user, log_user=config.log_user)
    print(f"demo mail server ready under {config.server_root}")
