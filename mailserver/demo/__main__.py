"""python -m mailserver.demo ROOT: build the demo mail server tree under ROOT.

ROOT must be new, empty, or a tree this builder made (it bears the ``.nodeworx-demo``
mark): anything else, ``/`` above all, is refused before a single file is touched.
"""

import sys
from pathlib import Path

from mailserver.agent.config import load

from .builder import NotADemoRoot, build


def main(argv: list[str]) -> int:
    config = load()
    if len(argv) > 1 and Path(argv[1]).resolve() != config.server_root.resolve():
        print(f"NODEWORX_SERVER_ROOT ({config.server_root}) differs from {argv[1]}", file=sys.stderr)
        return 2
    try:
        build(config.roots, smtpd_user=config.smtpd_user, log_user=config.log_user)
    except NotADemoRoot as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"demo mail server ready under {config.server_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
