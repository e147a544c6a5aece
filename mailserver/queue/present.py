"""The browse table's links (sorting, pages) and how its rows read; the query string carries the
filters, so every link keeps them and can be bookmarked."""

from __future__ import annotations

import time
from typing import Any

from django.http import QueryDict

from mailserver.qmail.queue.listing import SORTS

from .forms import FILTERS, PER_PAGE, FilterForm


def _query(form: FilterForm, **changes: Any) -> str:
    query = QueryDict(mutable=True)
    for name in FILTERS:
        value = (form.data.get(name) or "").strip()
        if value:
            query[name] = value
    current = {"sort": form.sort_key(), "desc": "1" if form.descending() else "0", "page": form.page_number()}
    for name, value in {**current, **changes}.items():
        if value is None or (name == "page" and value == 1):
            continue  # page 1 is the default: no need to say so
        query[name] = str(value)
    return query.urlencode()


def sort_links(form: FilterForm) -> dict[str, dict[str, Any]]:
    """For each column: the query that sorts by it (again: the other way round), page 1."""
    links = {}
    for key in SORTS:
        active = form.sort_key() == key
        descending = not form.descending() if active else key in ("arrived", "size", "recipients")
        links[key] = {
            "query": _query(form, sort=key, desc="1" if descending else "0", page=None),
            "active": active,
            "descending": form.descending() if active else None,
        }
    return links


def page_links(form: FilterForm, listing: dict[str, Any]) -> dict[str, Any]:
    total, offset = listing["total"], listing["offset"]
    number = form.page_number()
    last = max(1, -(-total // PER_PAGE))
    # A page past the last (a bookmark, or the last page's messages just deleted): said as such,
    # and Previous leads to the last page that has messages, not to another empty one.
    past_end = bool(total) and offset >= total
    return {
        "number": number,
        "last": last,
        "past_end": past_end,
        "first_row": offset + 1 if total and not past_end else 0,
        "last_row": min(offset + PER_PAGE, total) if not past_end else 0,
        "previous": _query(form, page=min(number - 1, last)) if number > 1 else None,
        "next": _query(form, page=number + 1) if number < last else None,
        "filtered": bool(form.filters),
    }


def table_rows(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agent's rows with what the table shows beside them: the checkbox's value, whether the
    next retry time is exact (qmail-send keeps the last try in memory only; after a restart it is
    estimated from the schedule, "about"), and the recipients still waiting."""
    rows = []
    now = time.time()
    for message in messages:
        retries = message.get("retries") or {}
        next_at = message.get("next_retry")
        exact = all(r["exact"] for r in retries.values() if r["at"] == next_at)
        rows.append(
            {
                **message,
                "value": f"{message['id']}:{message['arrived']}",
                "retry_exact": exact,
                "pending": sum(1 for r in message["recipients"] if not r["done"]),
                # Past queuelifetime: its next try is its last, and a temporary failure bounces it.
                "expired": message.get("expires") is not None and message["expires"] <= now,
            }
        )
    return rows


def outcome_notice(outcome: dict[str, Any], done: str) -> str:
    """The notice after a change: how many messages, which, and any left alone and why."""
    changed = outcome["changed"]
    text = f"{changed} message{'s' if changed != 1 else ''} {done}"
    text += f" ({outcome['what']})." if outcome.get("what") else "."
    skipped = [f"{len(ids)} ({why})" for why, ids in (outcome.get("skipped") or {}).items() if ids]
    if skipped:
        text += f" Left alone: {', '.join(skipped)}."
    return text
