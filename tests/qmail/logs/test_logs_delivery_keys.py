"""Top-* pages grouped on the addresses' integer keys are the streaming tables, sorted and cut.

ranked.py groups on load.key_id hashes when the index was written with them and the page is
sorted by a number; keyed.py names just the rows that can be on the page. Held here to the
streaming tables for every numeric column, both orders and pages past the first (where ties
straddle the page's edges), with virtual-domain recipients rewritten, on keys that collide, and
on an index written before the keys existed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from index_support import TOPS, Both, build

from mailserver.qmail.logs.deliveries import keyed, load
from mailserver.qmail.logs.deliveries.follow import Follower
from mailserver.qmail.logs.deliveries.ranked import ranked
from mailserver.qmail.logs.deliveries.store import Store, current_format
from mailserver.qmail.logs.domains import Domains
from mailserver.qmail.logs.files import LogDir
from mailserver.qmail.logs.messages import messages
from mailserver.qmail.logs.reports import Stats, sides_for, table
from mailserver.qmail.logs.tai64n import stamp, to_unix

PAGES = ((0, 5), (3, 5), (10, 4), (40, 6))  # (offset, limit)


def whole(log_dir: Path) -> tuple[float, float]:
    log = LogDir(log_dir)
    try:
        return to_unix(log.first_label() or b"") - 1, to_unix(log.last_label() or b"") + 1
    finally:
        log.close()


def same_pages(both: Both, names: tuple[str, ...] = TOPS) -> int:
    """Every numeric column, both orders, each of PAGES: ranked == the streaming table's slice.

    Returns how many pages were compared.
    """
    compared = 0
    for name in names:
        for by in ("recipient", "sender") if name in ("top-deferrals", "top-failures") else ("recipient",):
            stats = Stats(None, both.domains, sides_for(name, by)).add_all(messages(both.chunks()))
            streamed = table(name, stats, by=by)
            for column in streamed.columns[1:]:
                if column == "last_reason":
                    continue
                for reverse in (False, True):
                    streamed.sort(column, reverse=reverse)
                    for offset, limit in PAGES:
                        got, total = ranked(both.report(None), name, by, column, reverse, limit, offset)
                        expected = streamed.rows[offset : offset + limit]
                        assert (got.rows, total) == (expected, len(streamed.rows)), (
                            name, by, column, reverse, offset,
                        )  # fmt: skip
                        compared += 1
    return compared


@pytest.fixture
def keyed_pages(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each page came from the integer keys (True) or fell back to the texts (False)."""
    seen: list[bool] = []
    page = keyed.page

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = page(*args, **kwargs)
        seen.append(result is not None)
        return result

    monkeypatch.setattr(keyed, "page", spy)
    return seen


def test_pages_on_integer_keys_are_the_streaming_tables_pages(send_log, tmp_path, keyed_pages):
    store = build(send_log, tmp_path / "ix")
    start, end = whole(send_log)
    both = Both(send_log, store, tmp_path / "cache", start, end)
    assert both.period.ids
    assert same_pages(both) > 100
    both.close()
    assert keyed_pages and all(keyed_pages)  # no fallback: the fixture's addresses share no key


def test_virtual_domain_recipients_are_counted_under_the_address_they_were_sent_to(
    send_log, tmp_path, keyed_pages
):
    """alice-lists@example.test is lists@example.test once example.test maps to the prefix alice."""
    store = build(send_log, tmp_path / "ix")
    start, end = whole(send_log)
    both = Both(send_log, store, tmp_path / "cache", start, end, domains=Domains({"example.test": "alice"}))
    table_ = both.report(None).table("top-recipients")
    assert "lists@example.test" in [row[0] for row in table_.rows]
    same_pages(both, ("top-recipients", "top-user-stats", "top-domain-stats"))
    both.close()
    assert keyed_pages and all(keyed_pages)


@pytest.mark.parametrize(
    "keys",
    [
        {c: "0::BIGINT" for c in load.KEYS},  # every address and domain one key
        {"sid": load.key_id("'<>'")},  # every sender the null sender's key: all would count as bounces
    ],
    ids=["one-key", "senders-as-null-sender"],
)
def test_addresses_that_share_a_key_are_counted_on_their_texts(
    send_log, tmp_path, monkeypatch, keyed_pages, keys
):
    """Keys made to collide: every page falls back to the texts and is still right."""
    colliding = {
        table: {c: keys.get(c, e) for c, e in columns.items()} for table, columns in load.DERIVED.items()
    }
    monkeypatch.setattr(load, "DERIVED", colliding)
    store = build(send_log, tmp_path / "ix")
    start, end = whole(send_log)
    both = Both(send_log, store, tmp_path / "cache", start, end)
    same_pages(both, ("top-senders", "top-recipients", "top-domain-stats"))
    streamed, indexed = both.causes(None)  # deferrals by cause: grouped per domain key, then named
    assert streamed == indexed
    both.close()
    assert keyed_pages and not any(keyed_pages)


def test_an_index_of_an_older_format_is_read_on_texts_and_built_again(send_log, tmp_path, keyed_pages):
    store = build(send_log, tmp_path / "ix")
    manifest_path = store.root / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data.pop("format")  # as an index written before the integer keys
    manifest_path.write_text(json.dumps(data))
    start, end = whole(send_log)
    both = Both(send_log, store, tmp_path / "cache", start, end)
    assert not both.period.ids
    same_pages(both, ("top-recipients",))
    both.close()
    assert not keyed_pages  # never tried: the segments have no keys

    follower = Follower(send_log, store, workers=1)
    follower.start()
    follower.close()
    manifest = Store(store.root).manifest()
    assert manifest is not None and manifest.format == current_format()
    both = Both(send_log, Store(store.root), tmp_path / "cache2", start, end)
    assert both.period.ids
    same_pages(both, ("top-recipients",))
    both.close()
    assert keyed_pages and all(keyed_pages)


NEW_MESSAGE = [  # a new sender, to a new recipient, in a new domain
    "new msg 990001",
    "info msg 990001: bytes 1234 from <first.time@sender.example> qp 4242 uid 0",
    "starting delivery 991: msg 990001 to remote done@fresh.example",
    "delivery 991: success: 250_ok/",
]
UNDER_WAY = "starting delivery 990: msg 990001 to remote newbie@fresh.example"


def indexed_copy(send_log: Path, tmp_path: Path) -> tuple[Path, Store, float]:
    """A copy of the fixture log, indexed: (its directory, the index, just after its last line)."""
    live = tmp_path / "send"
    shutil.copytree(send_log, live)
    return live, build(live, tmp_path / "ix"), whole(live)[1]


def follow(live: Path, store: Store, after: float, lines: list[str], *, merged: bool = False) -> None:
    """``lines`` appended to ``current`` from ``after`` on, read by the follower in one tick (its
    segment then merged with the build's when ``merged``)."""
    with open(live / "current", "a") as current:
        for i, line in enumerate(lines):
            current.write(f"{stamp(after + i)} {line}\n")
    follower = Follower(live, store, workers=1)
    follower.start()
    assert follower.tick()
    if merged:
        follower._merge_small()
    follower._save_state()
    follower.close()


@pytest.mark.parametrize("merged", [False, True], ids=["as-followed", "merged"])
def test_addresses_first_seen_while_following_are_named(send_log, tmp_path, keyed_pages, merged):
    """The follower's small segments and the running one have no keys file: an address first
    seen in them is named from their rows; once merged, from the merged segment's keys file."""
    live, store, end = indexed_copy(send_log, tmp_path)
    follow(live, store, end, [*NEW_MESSAGE[:2], UNDER_WAY, *NEW_MESSAGE[2:]], merged=merged)
    manifest = store.manifest()
    assert manifest is not None
    assert any(not s["rows"].get("keys") for s in manifest.segments) is not merged
    both = Both(live, store, tmp_path / "cache", end - 86400 * 30, end + 10)
    for name, column, wanted in [
        ("top-recipients", "messages", {"newbie@fresh.example", "done@fresh.example"}),
        ("top-senders", "messages", {"first.time@sender.example"}),
        ("top-domain-stats", "sent", {"fresh.example", "sender.example"}),
    ]:
        stats = Stats(None, both.domains, sides_for(name)).add_all(messages(both.chunks()))
        streamed = table(name, stats).sort(column, reverse=True)
        got, total = ranked(both.report(None), name, "recipient", column, True, 10_000)
        assert (got.rows, total) == (streamed.rows, len(streamed.rows)), name
        assert wanted <= {row[0] for row in got.rows}, name
    both.close()
    assert keyed_pages and all(keyed_pages)


def test_a_sender_seen_while_following_with_the_null_senders_key_sends_pages_to_the_texts(
    send_log, tmp_path, monkeypatch, keyed_pages
):
    """The bounce keys are checked against the rows without a keys file too."""
    live, store, end = indexed_copy(send_log, tmp_path)
    colliding = {table: {**columns, "sid": load.key_id("'<>'")} for table, columns in load.DERIVED.items()}
    monkeypatch.setattr(load, "DERIVED", colliding)  # the new rows' sender: the null sender's key
    follow(live, store, end, NEW_MESSAGE)
    both = Both(live, store, tmp_path / "cache", end - 86400 * 30, end + 10)
    stats = Stats(None, both.domains, sides_for("top-recipients")).add_all(messages(both.chunks()))
    streamed = table("top-recipients", stats).sort("bounces")
    got, total = ranked(both.report(None), "top-recipients", "recipient", "bounces", False, 10_000)
    assert (got.rows, total) == (streamed.rows, len(streamed.rows))
    both.close()
    assert keyed_pages == [False]
