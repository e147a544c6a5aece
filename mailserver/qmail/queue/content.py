"""A queued message's headers and the start of its body, read from its mess file with a cap.

The mess file is the message as qmail-queue stored it: qmail's own Received line(s) first,
then the headers and the body, with LF line ends. A message can be tens of megabytes, so no
more than ``cap`` bytes of the body are read; the answer says when it was cut. Headers are
unfolded and RFC 2047 words decoded for display; the body is shown as stored (MIME parts are
not decoded: the admin sees what qmail sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.header import decode_header, make_header
from typing import Any, Final

from ..errors import QmailError
from .layout import Layout
from .reader import read_head

HEADER_CAP: Final = 256 * 1024  # headers beyond this are cut too (a broken or hostile message)
BODY_CAP: Final = 64 * 1024


@dataclass(frozen=True)
class Content:
    headers: list[tuple[str, str]]
    body: str
    size: int  # bytes of the whole mess file
    body_truncated: bool
    headers_truncated: bool

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "headers": [[name, value] for name, value in self.headers],
            "body": self.body,
            "size": self.size,
            "body_truncated": self.body_truncated,
            "headers_truncated": self.headers_truncated,
        }


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _headers(block: bytes) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in block.decode("utf-8", "replace").split("\n"):
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        elif ":" in line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return [(name, _decoded(value)) for name, value in headers]


def read_content(layout: Layout, msg_id: int, cap: int = BODY_CAP) -> Content:
    """Headers and up to ``cap`` bytes of the body of message ``msg_id``."""
    path = layout.path("mess", msg_id)
    try:
        head, size = read_head(path, HEADER_CAP + cap)
    except FileNotFoundError:
        raise QmailError(
            f"Message {msg_id} is not in the queue (there is no {layout.relative('mess', msg_id)})."
        ) from None
    end = head.find(b"\n\n")
    if end < 0:
        whole = len(head) == size
        return Content(_headers(head), "", size, body_truncated=False, headers_truncated=not whole)
    body = head[end + 2 : end + 2 + cap]
    body_truncated = end + 2 + len(body) < size
    return Content(_headers(head[:end]), body.decode("utf-8", "replace"), size, body_truncated, False)
