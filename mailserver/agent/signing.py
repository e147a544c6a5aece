"""Ed25519 signatures over exact bytes: the only thing either side of the broker trusts.

The panel signs the tasks it sends with its private key; each agent holds only the
panel's public key, so root on one mail host cannot command another. Each agent
signs its results with its own node key; the panel checks a result against the key
of the node it asked. A signature covers a purpose label as well as the bytes, so a
signed result can never pass for a signed task (or the other way round), even if
one key were ever used for both.

Private keys are PKCS#8 PEM files; public keys are one line of base64 (the raw 32
bytes), short enough to paste from one host's terminal into another's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TASK = b"nodeworx-task-v1"
RESULT = b"nodeworx-result-v1"


class BadSignature(Exception):
    """Not signed, signed by a key that is not trusted here, or altered after signing."""


@dataclass(frozen=True)
class PublicKey:
    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        """A short fingerprint that names the key in every signature it makes."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    def text(self) -> str:
        return base64.b64encode(self.raw).decode()

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
            return cls(Ed25519PublicKey.from_public_bytes(raw))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("not an Ed25519 public key (expected 44 characters of base64)") from exc

    def verify(self, signature: bytes, purpose: bytes, data: bytes) -> None:
        try:
            self.key.verify(signature, purpose + b"\n" + data)
        except InvalidSignature as exc:
            raise BadSignature(f"the signature does not match key {self.key_id}") from exc


@dataclass(frozen=True)
class PrivateKey:
    key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.public_key())

    def sign(self, purpose: bytes, data: bytes) -> bytes:
        return self.key.sign(purpose + b"\n" + data)

    def pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def load_private(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return PrivateKey(key)


def load_public(path: Path) -> PublicKey:
    return PublicKey.from_text(path.read_text())


def load_public_dir(directory: Path) -> dict[str, PublicKey]:
    """Every ``*.pub`` in ``directory``, by file stem (a node's name, or a panel's label)."""
    if not directory.is_dir():
        return {}
    return {path.stem: load_public(path) for path in sorted(directory.glob("*.pub"))}


def write_private(path: Path, key: PrivateKey, mode: int = 0o600) -> None:
    """Create ``path`` with ``mode`` from the start: the key never exists world-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(key.pem())


def write_public(path: Path, key: PublicKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key.text() + "\n")


# A token is "<key id> <base64 signature>\n<exact signed bytes>": the header names the
# key and carries the signature; everything after the first newline is what was signed.


def seal(key: PrivateKey, purpose: bytes, data: bytes) -> bytes:
    signature = base64.b64encode(key.sign(purpose, data))
    return key.public.key_id.encode() + b" " + signature + b"\n" + data


def open_sealed(token: bytes, purpose: bytes, trusted: Mapping[str, PublicKey]) -> tuple[str, bytes]:
    """The name of the trusted key that signed ``token`` and the signed bytes; BadSignature otherwise."""
    header, newline, data = token.partition(b"\n")
    key_id, _, signature_text = header.partition(b" ")
    if not newline or not key_id or not signature_text:
        raise BadSignature("the message is not signed (no signature header)")
    by_id = {key.key_id: (name, key) for name, key in trusted.items()}
    found = by_id.get(key_id.decode("ascii", "replace"))
    if found is None:
        raise BadSignature(f"signed by key {key_id.decode('ascii', 'replace')!r}, which is not trusted here")
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except binascii.Error as exc:
        raise BadSignature("the signature is not base64") from exc
    name, public = found
    public.verify(signature, purpose, data)
    return name, data
