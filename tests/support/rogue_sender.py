"""Messages an attacker with write access to the broker could push: every format kombu knows.

Each rogue message starts as a real captured agent message (see ``captured``) whose
body and content type are replaced, so everything but the body is exactly what the
agent would otherwise accept. Bodies that some decoder would turn into code create
a marker directory when decoded; that it never appears is the test.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import pickle
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from mailserver.agent import signing


class _MakesMarker:
    """Unpickling this calls os.mkdir(marker): arbitrary code, as far as a test can tell."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.marker,))


def task_body(marker: Path) -> list[Any]:
    """A Celery protocol-2 body (args, kwargs, embed) whose kwargs unpickle into the marker."""
    return [[], {"payload": _MakesMarker(marker), "meta": None}, {}]


def _auth_body(marker: Path) -> bytes:
    """Celery's ``auth`` format (signature beside an unsigned content type) around a pickle."""
    from celery.security.serialization import SecureSerializer

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nodeworx-panel")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    from celery.security.certificate import Certificate
    from celery.security.key import PrivateKey

    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    serializer = SecureSerializer(
        PrivateKey(pem_key.decode()),
        Certificate(cert.public_bytes(serialization.Encoding.PEM).decode()),
        serializer="pickle",
    )
    body = serializer.serialize(task_body(marker))
    return body if isinstance(body, bytes) else body.encode()


def variants(
    marker_dir: Path, panel_key: signing.PrivateKey, stranger: signing.PrivateKey
) -> dict[str, tuple[str, bytes]]:
    """Name -> (content type, body bytes). Each would create marker_dir/<name> if decoded as it claims."""
    out: dict[str, tuple[str, bytes]] = {}

    def marker(name: str) -> Path:
        return marker_dir / name

    out["pickle"] = ("application/x-python-serialize", pickle.dumps(task_body(marker("pickle"))))
    # The panel's own key over a pickle: a valid signature, but the signed bytes are not JSON.
    out["signed-pickle"] = (
        "application/x-nodeworx-signed+json",
        signing.seal(panel_key, signing.TASK, pickle.dumps(task_body(marker("signed-pickle")))),
    )
    out["signed-pickle-claimed-pickle"] = (
        "application/x-python-serialize",
        signing.seal(
            panel_key, signing.TASK, pickle.dumps(task_body(marker("signed-pickle-claimed-pickle")))
        ),
    )
    yaml_text = f"- []\n- payload: !!python/object/apply:os.mkdir ['{marker('yaml')}']\n- {{}}\n"
    out["yaml"] = ("application/x-yaml", yaml_text.encode())
    out["msgpack"] = ("application/x-msgpack", b"\x93\x90\x80\x80")
    write = [[], {"payload": {"files": {"databytes": {"value": "1"}}}, "meta": None}, {}]
    out["json"] = ("application/json", json.dumps(write).encode())
    out["auth-pickle"] = ("application/data", _auth_body(marker("auth-pickle")))
    out["text-pickle"] = ("application/text", pickle.dumps(task_body(marker("text-pickle"))))
    out["foreign-signed"] = (
        "application/x-nodeworx-signed+json",
        signing.seal(stranger, signing.TASK, json.dumps(write).encode()),
    )
    out["no-content-type"] = ("", pickle.dumps(task_body(marker("no-content-type"))))
    return out


def rogue_message(template: dict[str, Any], task_id: str, content_type: str, body: bytes) -> dict[str, Any]:
    """``template`` (a captured message) with another body and content type, under a new task id."""
    message = json.loads(json.dumps(template))
    message["body"] = base64.b64encode(body).decode()
    message["properties"]["body_encoding"] = "base64"
    message["content-type"] = content_type
    message["content-encoding"] = "binary"
    message["headers"]["id"] = task_id
    message["properties"]["correlation_id"] = task_id
    message["properties"]["delivery_tag"] = task_id
    return message
