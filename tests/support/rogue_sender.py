"""Send an agent task the way an attacker with broker access could: unsigned, or signed by a stranger.

Run as a separate process (``python -m tests.support.rogue_sender MODE BROKER QUEUE KEYDIR``),
so its serializer set-up cannot leak into the test process.
"""

from __future__ import annotations

import sys
from pathlib import Path

from celery import Celery

from mailserver.agent.keys import make_key_pair

PAYLOAD = {"files": {"databytes": {"value": "1"}}}


def main(mode: str, broker: str, queue: str, keydir: str) -> None:
    app = Celery("rogue", broker=broker)
    if mode == "unsigned":
        app.conf.update(task_serializer="json", accept_content=["json"])
    elif mode == "foreign":
        key, cert = Path(keydir) / "rogue.key", Path(keydir) / "certs" / "rogue.pem"
        make_key_pair(key, cert, common_name="nodeworx-panel")  # same name, different key
        app.conf.update(
            task_serializer="auth",
            accept_content=["auth"],
            security_key=str(key),
            security_certificate=str(cert),
            security_cert_store=str(cert.parent / "*.pem"),
            security_digest="sha256",
        )
        app.setup_security()
    else:
        raise SystemExit(f"unknown mode {mode}")
    app.send_task("agent.mta.write_controls", kwargs={"payload": PAYLOAD}, queue=queue)


if __name__ == "__main__":
    main(*sys.argv[1:5])
