"""What crosses the broker: signed JSON task bodies out, signed JSON results back.

Celery's own ``auth`` serializer checked a signature and then decoded the body with
the content type that travels, unsigned, beside it, so a signed pickle ran code as
root. Here the signature is checked first, over the exact bytes that follow it, and
those bytes are then decoded as JSON and nothing else. The agent accepts only this
content type; kombu refuses every other one (pickle, yaml, msgpack, plain json…)
before any decoder sees the body.

Tasks are signed by the panel (``signing.TASK``) and checked against the agent's
panel trust store. Results are sealed by the node (``signing.RESULT``) and carry,
inside the signature, the node, the operation, the task id and the task's nonce, so
the panel can tell a genuine answer to *this* call from a forged one or from another
call's answer copied into place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from kombu.serialization import register as _kombu_register

from . import config, signing

CONTENT_TYPE = "application/x-nodeworx-signed+json"
register: Callable[..., None] = _kombu_register  # kombu has no type hints
SERIALIZER = "nodeworx-signed"


class Untrusted(Exception):
    """A task or result that is not signed by a key trusted for it, or not for this call."""


def _dumps(data: Any) -> bytes:
    # ASCII-only JSON, so that the bytes signed are the bytes any transport carries.
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii")


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


@cache
def _panel_key() -> signing.PrivateKey:
    return signing.load_private(config.load().panel_key)


@cache
def _panel_trust() -> dict[str, signing.PublicKey]:
    trust = signing.load_public_dir(config.load().panel_trust)
    if not trust:
        raise Untrusted(f"no trusted panel key in {config.load().panel_trust}: enrol this node first")
    return trust


@cache
def _node_key() -> signing.PrivateKey:
    return signing.load_private(config.load().node_key)


def encode_task(body: Any) -> str:
    """The panel's side: sign the task body (args, kwargs, embed) with the panel key."""
    return signing.seal(_panel_key(), signing.TASK, _dumps(body)).decode("ascii")


def decode_task(body: bytes | str) -> Any:
    """The agent's side: verify, then JSON. Nothing but JSON is ever decoded, signed or not."""
    _, data = signing.open_sealed(_bytes(body), signing.TASK, _panel_trust())
    decoded = json.loads(data)
    # Celery's protocol 2: [args, kwargs, embed]. Anything else would trip Celery up further on.
    shape = [list, dict, dict]
    if not (isinstance(decoded, list) and len(decoded) == 3 and all(map(isinstance, decoded, shape))):
        raise Untrusted("the signed body is not a task (args, kwargs, embed)")
    return decoded


def _refuse_undeclared(body: bytes | str) -> Any:
    raise Untrusted("a body without a content type of its own is not decoded")


def register_serializer() -> None:
    register(SERIALIZER, encode_task, decode_task, content_type=CONTENT_TYPE, content_encoding="utf-8")
    # kombu lets these two content types past any accept list and hands their raw
    # bytes on undecoded, which Celery then chokes on: give them a decoder that refuses.
    for trusted_by_kombu in ("application/data", "application/text"):
        register(
            f"nodeworx-refuse-{trusted_by_kombu}", None, _refuse_undeclared, content_type=trusted_by_kombu
        )


@dataclass(frozen=True)
class Call:
    """What the panel asked, to check an answer against."""

    node: str
    op: str
    task_id: str
    nonce: str


def seal_result(call: Call, envelope: dict[str, Any]) -> str:
    """The agent's side: the envelope, bound to the call it answers, signed with the node key."""
    document = {
        "node": call.node,
        "op": call.op,
        "task_id": call.task_id,
        "nonce": call.nonce,
        "envelope": envelope,
    }
    return signing.seal(_node_key(), signing.RESULT, _dumps(document)).decode("ascii")


def open_result(call: Call, result: object) -> dict[str, Any]:
    """The panel's side: the envelope, if ``result`` is signed by the node asked and answers this call."""
    if not isinstance(result, str):
        raise Untrusted(f"the answer is not a signed result (a {type(result).__name__})")
    node_key = config.load().node_keys / f"{config.queue_for(call.node).removeprefix('node.')}.pub"
    if not node_key.is_file():
        raise Untrusted(f"no public key for node {call.node} ({node_key}): enrol the node first")
    try:
        _, data = signing.open_sealed(
            result.encode("utf-8"), signing.RESULT, {call.node: signing.load_public(node_key)}
        )
    except signing.BadSignature as exc:
        raise Untrusted(f"the answer is not signed by node {call.node}: {exc}") from exc
    document = json.loads(data)
    for field in ("node", "op", "task_id", "nonce"):
        if document.get(field) != getattr(call, field):
            raise Untrusted(f"the signed answer is for another {field} ({document.get(field)!r})")
    envelope = document.get("envelope")
    if not isinstance(envelope, dict):
        raise Untrusted("the signed answer holds no result envelope")
    return envelope
