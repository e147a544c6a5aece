"""python -m mailserver.demo ROOT: build the demo mail server tree under ROOT.

ROOT must be new, empty, or a tree this builder made (it bears the ``.nodeworx-demo``
mark): anything else, ``/`` above all, is refused before a single file is touched.
"""

import sys

from .builder import NotADemoRoot, build, configured


def main(argv: list[str]) -> int:
    config = configured(argv)
    if config is None:
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
