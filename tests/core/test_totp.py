"""The TOTP code maker against the RFCs' own test vectors, and the rules for accepting a code."""

from __future__ import annotations

import pytest

from mailserver.core.security import totp

# RFC 4226 appendix D: HOTP for the ASCII secret "12345678901234567890", counters 0 to 9.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

# RFC 6238 appendix B: 8-digit TOTP, 30 s steps, one seed per hash (the seed repeated to the hash's size).
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_hotp_matches_rfc_4226(counter, expected):
    assert totp.hotp(SEEDS["sha1"], counter) == expected


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_matches_rfc_6238(at, sha1, sha256, sha512):
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[digest], at, digits=8, digest=digest) == expected


def test_a_new_secret_is_160_random_bits_in_base32():
    secret = totp.new_secret()
    assert len(totp.key_of(secret)) == 20
    assert secret != totp.new_secret()


def test_accepts_the_current_code_and_its_neighbours_only():
    secret = totp.new_secret()
    key, at = totp.key_of(secret), 1_800_000_000.0
    step = totp.step_at(at)
    for offset in (-1, 0, 1):
        code = totp.hotp(key, step + offset)
        assert totp.matching_step(secret, code, after_step=0, at=at) == step + offset
    for offset in (-3, 2):
        assert totp.matching_step(secret, totp.hotp(key, step + offset), after_step=0, at=at) is None


def test_a_code_already_used_is_refused():
    secret = totp.new_secret()
    at = 1_800_000_000.0
    code = totp.totp(totp.key_of(secret), at)
    step = totp.matching_step(secret, code, after_step=0, at=at)
    assert step is not None
    assert totp.matching_step(secret, code, after_step=step, at=at) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_refuses_malformed_codes(code):
    assert totp.matching_step(totp.new_secret(), code, after_step=0) is None


def test_the_provisioning_uri_is_what_authenticator_apps_read():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "admin", "NodeWorx")
    assert uri == (
        "otpauth://totp/NodeWorx%3Aadmin?secret=JBSWY3DPEHPK3PXP&issuer=NodeWorx"
        "&algorithm=SHA1&digits=6&period=30"
    )
