"""``mailqueue``: the queue on the mail host's command line (qmHandle's job), run as root.

    mailqueue stats [--json]                 qmail-qstat's figures, and local / remote / todo
    mailqueue list [--json] [filters]        the messages, newest first
    mailqueue view ID                        one message: envelope, headers, start of the body
    mailqueue delete (ID... | filters) [--dry-run]
    mailqueue expire ID...                   bounce them on qmail-send's next pass
    mailqueue check [--json]                 what queue-repair's test mode reports

``--queue DIR`` picks the queue (default: the qmail root's, /var/qmail/queue under
NODEWORX_SERVER_ROOT or NODEWORX_QMAIL_ROOT). delete and expire stop qmail-send with svc -d when
daemontools supervises it (/service/qmail-send), hold its lock while they work and start it again
afterwards, also after a failure; a qmail-send running outside supervise makes them refuse.
``stats --json`` prints {"messages", "unprocessed", "local", "remote", "todo", "bouncing"};
``list --json`` an array of {"id", "arrived", "size", "sender", "bouncing", "preprocessed",
"recipients": [{"address", "channel", "done"}], "next_retry", "expires"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..environment import env_path
from ..errors import FieldError, QmailError
from ..logs import config as log_config
from ..logs.timespec import now as current_time
from ..paths import Roots
from . import content, index, listing, qread, request, schedule
from .changes import delete, expire
from .check import check as check_queue
from .layout import Layout, discover
from .message import QueuedMessage, read_message
from .routing import route_for


def _roots() -> Roots:
    qmail = log_config.qmail_root()
    return Roots(
        qmail=qmail,
        service=log_config.under_server_root(Path("/service")),
        bin=env_path("NODEWORX_BIN_DIR", Path("/usr/bin")),
    )


def _size(value: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    text = value.strip().lower().removesuffix("b")
    unit = text[-1:] if text[-1:] in units else ""
    digits = text[: len(text) - len(unit)]
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"{value!r} is not a size such as 2000, 10k or 5M")
    return int(digits) * units[unit]


def _add_filters(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--sender", help="address, @domain, pattern with * (*@example.com), or <> for bounces")
    group.add_argument("--recipient", help="address, @domain or pattern with *")
    group.add_argument("--domain", help="messages with a recipient at this domain")
    group.add_argument("--older-than", metavar="AGE", help='arrived at least AGE ago ("2 days", seconds)')
    group.add_argument("--newer-than", metavar="AGE", help="arrived at most AGE ago")
    group.add_argument("--min-size", type=_size, metavar="BYTES")
    group.add_argument("--max-size", type=_size, metavar="BYTES")
    group.add_argument("--select", choices=listing.SELECTS, help="only messages in that part of the queue")


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    raw = {
        "sender": args.sender,
        "recipient": args.recipient,
        "domain": args.domain,
        "min_age": args.older_than,
        "max_age": args.newer_than,
        "min_size": args.min_size,
        "max_size": args.max_size,
        "select": args.select,
    }
    return {name: value for name, value in raw.items() if value is not None}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mailqueue",
        description="Look into qmail's queue and change it safely (run as root).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    top.add_argument("--queue", type=Path, help="the queue directory (default: /var/qmail/queue)")
    top.add_argument("--wait", type=float, default=30.0, help="seconds to wait for qmail-send to stop (30)")
    commands = top.add_subparsers(dest="command", required=True)
    stats = commands.add_parser("stats", help="qmail-qstat's figures and the local, remote and todo counts")
    stats.add_argument("--json", action="store_true")
    lister = commands.add_parser("list", help="the queued messages, newest first")
    lister.add_argument("--json", action="store_true")
    _add_filters(lister)
    lister.add_argument("--sort", choices=listing.SORTS, default="arrived")
    lister.add_argument("--reverse", "-r", action="store_true", help="the other way round")
    lister.add_argument("--limit", type=int, help="at most this many messages")
    view = commands.add_parser("view", help="one message: envelope, headers and the start of its body")
    view.add_argument("id", type=int)
    view.add_argument(
        "--body", type=int, default=content.BODY_CAP, metavar="BYTES", help="body bytes to show"
    )
    remover = commands.add_parser("delete", help="delete messages, by number or by filter")
    remover.add_argument("ids", nargs="*", type=int, metavar="ID")
    _add_filters(remover)
    remover.add_argument("--dry-run", "-n", action="store_true", help="only say what would be deleted")
    expirer = commands.add_parser("expire", help="make messages bounce on qmail-send's next pass")
    expirer.add_argument("ids", nargs="+", type=int, metavar="ID")
    checker = commands.add_parser("check", help="report orphaned or inconsistent files; changes nothing")
    checker.add_argument("--json", action="store_true")
    return top


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def _row(message: QueuedMessage) -> str:
    flags = [] if message.preprocessed else ["not yet preprocessed"]
    if message.bouncing:
        flags.append("bouncing")
    size = "?" if message.size is None else message.size
    head = f"#{message.id}  {_when(message.arrived)}  {size} bytes  <{message.sender}>"
    lines = [head + (f"  [{', '.join(flags)}]" if flags else "")]
    for r in message.recipients:
        retry = message.retries.get(r.channel)
        when = (
            ""
            if r.done or retry is None
            else f"  next try {_when(retry.at)}{'' if retry.exact else ' (estimated)'}"
        )
        lines.append(f"    {'done   ' if r.done else 'pending'}  {r.channel:<6}  {r.address}{when}")
    return "\n".join(lines)


class Tool:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.roots = _roots()
        self.layout: Layout = discover(args.queue or self.roots.queue_dir)
        if not self.layout.root.is_dir():
            raise QmailError(f"there is no queue at {self.layout.root}")
        self.now = current_time()
        self.lifetime = schedule.queuelifetime(self.layout.root.parent)

    def stats(self) -> int:
        counts = index.index_for(self.layout).counts()
        if self.args.json:
            print(json.dumps(counts.as_json()))
        else:
            print(qread.qstat(counts), end="")
            print(f"local: {counts.local}  remote: {counts.remote}  todo: {counts.todo}", end="")
            print(f"  bouncing: {counts.bouncing}")
        return 0

    def list(self) -> int:
        wanted = request.list_request({"filters": _filters(self.args), "sort": self.args.sort})
        descending = wanted.descending != self.args.reverse
        found = listing.page(
            self.layout, wanted.filters, now=self.now, lifetime=self.lifetime, sort=wanted.sort,
            descending=descending, limit=self.args.limit, route=route_for(self.layout.root.parent),
        )  # fmt: skip
        if self.args.json:
            print(json.dumps([m.as_json() for m in found.messages]))
            return 0
        for message in found.messages:
            print(_row(message))
        shown = len(found.messages)
        print(
            f"{found.total} message{'s' if found.total != 1 else ''}"
            + (f", {shown} shown" if shown < found.total else "")
        )
        return 0

    def view(self) -> int:
        msg_id = request.message_request({"id": self.args.id})
        message = read_message(
            self.layout,
            msg_id,
            now=self.now,
            lifetime=self.lifetime,
            route=route_for(self.layout.root.parent),
        )
        if message is None:
            raise QmailError(f"message {msg_id} is not in the queue")
        print(_row(message))
        if message.expires is not None:
            print(f"    expires {_when(message.expires)} (queuelifetime {self.lifetime} s)")
        for problem in message.problems:
            print(f"    problem: {problem}")
        text = content.read_content(self.layout, msg_id, cap=max(0, self.args.body))
        print()
        for name, value in text.headers:
            print(f"{name}: {value}")
        print()
        print(text.body, end="" if text.body.endswith("\n") else "\n")
        if text.body_truncated:
            print(f"[… {text.size} bytes in all; use --body to see more]")
        return 0

    def delete(self) -> int:
        filters = _filters(self.args)
        payload: dict[str, Any] = {"dry_run": self.args.dry_run}
        if self.args.ids and filters:
            raise FieldError("ids", "give message numbers or filters, not both")
        payload["ids" if self.args.ids else "filters"] = self.args.ids or filters
        outcome = delete(
            self.layout, self.roots, request.delete_request(payload), now=self.now, wait=self.args.wait
        )
        return _report(outcome)

    def expire(self) -> int:
        wanted = request.expire_request({"ids": self.args.ids})
        outcome = expire(
            self.layout, self.roots, wanted, now=self.now, lifetime=self.lifetime, wait=self.args.wait
        )
        return _report(outcome)

    def check(self) -> int:
        report = check_queue(self.layout, now=self.now)
        if self.args.json:
            print(json.dumps(report.as_json(limit=len(report.problems))))
        else:
            for problem in report.problems:
                print(f"{problem.severity}: {problem.path}: {problem.message}")
            found = len(report.problems)
            print(
                f"{report.messages} messages, {report.files} files: {found or 'no'} problem"
                + "s" * (found != 1)
            )
        return 1 if any(p.severity != "notice" for p in report.problems) else 0


def _report(outcome: Any) -> int:
    for line in outcome.lines():
        print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        tool = Tool(args)
        return int(getattr(tool, args.command)())
    except FieldError as exc:
        print(f"mailqueue: {exc.field}: {exc}", file=sys.stderr)
        return 2
    except (QmailError, OSError) as exc:
        print(f"mailqueue: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # pragma: no cover
        return 0
