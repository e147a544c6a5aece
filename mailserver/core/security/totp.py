"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as authenticator apps make them."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from urllib.parse import quote, urlencode

STEP = 30  # seconds per code
DIGITS = 6
DRIFT = 1  # codes of the neighbouring steps are accepted too (clock skew, typing time)


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 section 5.3: HMAC the counter, dynamically truncate, keep ``digits`` digits."""
    mac = hmac.new(key, counter.to_bytes(8, "big"), digest).digest()
    offset = mac[-1] & 0x0F
    code = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def step_at(at: float) -> int:
    return int(at // STEP)


def totp(key: bytes, at: float, digits: int = DIGITS, digest: str = "sha1") -> str:
    return hotp(key, step_at(at), digits, digest)


def new_secret() -> str:
    """160 random bits (RFC 4226's recommended length), base32 without padding for the apps."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def key_of(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def matching_step(secret: str, code: str, after_step: int, at: float | None = None) -> int | None:
    """The step whose code this is, if it is within the drift and later than ``after_step``.

    A step at or before ``after_step`` was already used for a login, so its code is refused
    (a code seen over a shoulder or in a proxy log cannot be replayed).
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(time.time() if at is None else at)
    key = key_of(secret)
    for step in range(now - DRIFT, now + DRIFT + 1):
        if step > after_step and hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP}
    )
    return f"otpauth://totp/{label}?{query}"
