"""Ed25519 seals: what verifies, and every way a seal fails."""

from __future__ import annotations

import pytest

from mailserver.agent import signing

DATA = b'[[],{"meta":{},"payload":{}},{}]'


def test_a_sealed_body_opens_with_the_signers_public_key():
    key = signing.PrivateKey.generate()
    name, data = signing.open_sealed(
        signing.seal(key, signing.TASK, DATA), signing.TASK, {"panel": key.public}
    )
    assert (name, data) == ("panel", DATA)


def test_a_single_changed_byte_breaks_the_seal():
    key = signing.PrivateKey.generate()
    sealed = bytearray(signing.seal(key, signing.TASK, DATA))
    sealed[-3] ^= 1
    with pytest.raises(signing.BadSignature, match="does not match"):
        signing.open_sealed(bytes(sealed), signing.TASK, {"panel": key.public})


def test_a_result_seal_is_no_task_seal():
    key = signing.PrivateKey.generate()
    with pytest.raises(signing.BadSignature):
        signing.open_sealed(signing.seal(key, signing.RESULT, DATA), signing.TASK, {"panel": key.public})


def test_a_key_that_is_not_trusted_is_named_in_the_refusal():
    stranger = signing.PrivateKey.generate()
    trusted = signing.PrivateKey.generate()
    with pytest.raises(signing.BadSignature, match=f"'{stranger.public.key_id}', which is not trusted"):
        signing.open_sealed(
            signing.seal(stranger, signing.TASK, DATA), signing.TASK, {"panel": trusted.public}
        )


@pytest.mark.parametrize("token", [b"", DATA, b"abc\n" + DATA, b"abc !!!\n" + DATA])
def test_unsigned_or_malformed_tokens_are_refused(token):
    key = signing.PrivateKey.generate()
    with pytest.raises(signing.BadSignature):
        signing.open_sealed(token, signing.TASK, {"panel": key.public})


def test_a_private_key_file_is_created_0600_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "node.key"
    key = signing.PrivateKey.generate()
    signing.write_private(path, key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert signing.load_private(path).public.raw == key.public.raw
    with pytest.raises(FileExistsError):
        signing.write_private(path, signing.PrivateKey.generate())


def test_a_public_key_is_one_pastable_line():
    key = signing.PrivateKey.generate().public
    assert len(key.text()) == 44
    assert signing.PublicKey.from_text(key.text() + "\n").raw == key.raw
    with pytest.raises(ValueError, match="not an Ed25519 public key"):
        signing.PublicKey.from_text("not-a-key")
