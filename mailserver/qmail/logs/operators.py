"""The x-filters and operators: the tools that read a selection on stdin (or from files).

x-filters (xrcpt, xsend, xuser, xwebmail) print the raw lines of the messages they keep, so
they chain; operators print a report: show-* one row per delivery attempt as it is read,
top-* a table sorted by any column. See reports.py for what each count means.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from .cli import Main, guard, parser_for, read_input, write_lines

if TYPE_CHECKING:
    from .domains import Domains
    from .filters import Rule

# Each stage of a pipeline is a fresh process: modules are imported where they are used so
# that, say, show-all does not pay for loading the x-filters.
RESULTS = ("success", "deferral", "failure")


def _domains(args: argparse.Namespace) -> Domains:
    from . import config
    from .domains import Domains

    return Domains.load(config.qmail_root(args.qmail_root))


# -- x-filters --------------------------------------------------------------------------------
def _filter(
    prog: str,
    description: str,
    examples: str,
    needs_args: bool,
    predicate: Callable[[argparse.Namespace], Rule],
    extra: Callable[[argparse.ArgumentParser], None],
) -> Main:
    @guard
    def main(argv: list[str] | None = None) -> int:
        parser = parser_for(prog, description, examples)
        extra(parser)
        parser.add_argument("--file", action="append", default=[], help="read a log file instead of stdin")
        args = parser.parse_args(argv)
        if needs_args and not args.values:
            parser.print_help()
            return 0
        chunks = read_input(parser, args.file)
        if chunks is None:
            return 0
        from .filters import apply

        out = sys.stdout.buffer
        for block in apply(chunks, predicate(args)):
            out.write(block)
        out.flush()
        return 0

    return main


def _values(name: str, help_text: str) -> Callable[[argparse.ArgumentParser], None]:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("values", nargs="*", metavar=name, help=help_text)
        parser.add_argument("--qmail-root", help="qmail's directory (control/virtualdomains, users/assign)")

    return add


def _xrcpt(args: argparse.Namespace) -> Rule:
    from .filters import by_recipient

    return by_recipient(args.values, _domains(args))


def _xsend(args: argparse.Namespace) -> Rule:
    from .filters import by_sender

    return by_sender(args.values)


def _xuser(args: argparse.Namespace) -> Rule:
    from .filters import by_owner

    domains = _domains(args)
    owned = set().union(*(domains.owned_by(user) for user in args.values))
    if not owned:
        print(
            f"xuser: warning: {', '.join(args.values)} owns no domain in control/virtualdomains",
            file=sys.stderr,
        )
    return by_owner(owned)


def _xwebmail(args: argparse.Namespace) -> Rule:
    from .config import webmail_uids
    from .filters import by_uid

    uids = webmail_uids(args.uid)
    if not uids:
        raise ValueError("no webmail uid: give --uid or set NODEWORX_WEBMAIL_UIDS")
    return by_uid(uids)


def _uid_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--uid",
        action="append",
        help="webmail uid or user name (repeatable, or comma list; "
        "default NODEWORX_WEBMAIL_UIDS, else apache/www-data)",
    )


xrcpt = _filter(
    "xrcpt",
    "Keep only messages with a delivery to ADDRESS.",
    "  qmail-last-x '6 days ago' | xrcpt i.get.lots.of.spam@example.tld | show-all",
    True,
    _xrcpt,
    _values("ADDRESS", "recipient address(es)"),
)
xsend = _filter(
    "xsend",
    "Keep only messages sent by ADDRESS ('<>' for bounces).",
    "  qmail-last-x '20 hours' | xsend mail-is-broken@example.tld | show-failures-detail",
    True,
    _xsend,
    _values("ADDRESS", "sender address(es)"),
)
xuser = _filter(
    "xuser",
    "Keep only mail from or to the domains a Unix user owns (control/virtualdomains and users/assign).",
    "  qmail-start-end \"$(hstamp '1 week ago')\" now | xuser mailgag1 | show-deferrals",
    True,
    _xuser,
    _values("UNIXUSER", "Unix user name(s)"),
)
xwebmail = _filter(
    "xwebmail",
    "Keep only mail injected by the webmail (its uid or uids).",
    "  qmail-last-x '12 hours ago' | xwebmail | show-all",
    False,
    _xwebmail,
    _uid_option,
)


# -- operators --------------------------------------------------------------------------------
def _show(prog: str, results: tuple[str, ...], detail: bool) -> Main:
    what = "all deliveries" if len(results) == 3 else f"{results[0]} results"

    @guard
    def main(argv: list[str] | None = None) -> int:
        parser = parser_for(
            prog,
            f"Show {what} piped in from a selector" + (", with senders." if detail else "."),
            f"  qmail-last-x '12 hours' | {prog}",
        )
        parser.add_argument("files", nargs="*", help="log files to read instead of stdin")
        parser.add_argument("--tsv", action="store_true", help="tab-separated output")
        parser.add_argument("--raw", action="store_true", help="print texts escaped as logged")
        args = parser.parse_args(argv)
        chunks = read_input(parser, args.files)
        if chunks is None:
            return 0
        from .render import show_header, show_line
        from .reports import show

        rows = (show_line(row, detail=detail, tsv=args.tsv, raw=args.raw) for row in show(chunks, results))
        write_lines([show_header(detail, args.tsv)])
        write_lines(rows)
        return 0

    return main


def _top(name: str, channel: str | None) -> Main:
    prog = name + (f"-{channel}" if channel else "")

    @guard
    def main(argv: list[str] | None = None) -> int:
        from .reports import Stats, sides_for, table

        columns = " ".join(table(name, Stats()).columns)
        parser = parser_for(
            prog,
            f"{name} over the log piped in"
            + (f", {channel} deliveries only." if channel else ".")
            + f"\ncolumns: {columns} (see the counting rules in mailserver/qmail/logs/reports.py)",
            f"  qmail-last-x '1 day' | {prog} --sort failure",
        )
        parser.add_argument("files", nargs="*", help="log files to read instead of stdin")
        parser.add_argument("--sort", help="column to sort by (any column; a unique prefix is enough)")
        parser.add_argument("-r", "--reverse", action="store_true", help="reverse the order")
        parser.add_argument("-n", "--limit", type=int, help="print only the first N rows")
        parser.add_argument("--tsv", action="store_true", help="tab-separated output")
        parser.add_argument(
            "--by",
            choices=("recipient", "sender"),
            default="recipient",
            help="top-deferrals / top-failures: count per recipient or per sender",
        )
        parser.add_argument(
            "--qmail-root", help="qmail's directory, to print virtual-domain addresses as sent"
        )
        args = parser.parse_args(argv)
        chunks = read_input(parser, args.files)
        if chunks is None:
            return 0
        from .messages import messages
        from .render import table_lines

        stats = Stats(channel, _domains(args), sides_for(name, args.by)).add_all(messages(chunks))
        result = table(name, stats, by=args.by).sort(args.sort, reverse=args.reverse)
        write_lines(table_lines(result, tsv=args.tsv, limit=args.limit))
        return 0

    return main


@guard
def deferrals_by_cause(argv: list[str] | None = None) -> int:
    """``deferrals-by-cause``: deferrals and failures per destination domain and reply class."""
    from .causes import COLUMNS

    parser = parser_for(
        "deferrals-by-cause",
        "Deferrals and failures in the log piped in, grouped by the recipient's domain and by what the "
        "remote server said (greylisting, rate limits, connection failures, timeouts, DNS, unknown "
        f"users, ...), with counts, first and last seen and the last reply.\ncolumns: {' '.join(COLUMNS)}",
        "  qmail-last-x '1 day' | deferrals-by-cause --channel remote\n"
        "  qmail-last-x '6 hours' | xsend news@example.test | deferrals-by-cause --sort fail",
    )
    parser.add_argument("files", nargs="*", help="log files to read instead of stdin")
    parser.add_argument("--channel", choices=("local", "remote"), help="only local or only remote deliveries")
    parser.add_argument("--sort", help="column to sort by (any column; a unique prefix is enough)")
    parser.add_argument("-r", "--reverse", action="store_true", help="reverse the order")
    parser.add_argument("-n", "--limit", type=int, help="print only the first N rows")
    parser.add_argument("--tsv", action="store_true", help="tab-separated output")
    parser.add_argument("--qmail-root", help="qmail's directory, to print virtual-domain addresses as sent")
    args = parser.parse_args(argv)
    chunks = read_input(parser, args.files)
    if chunks is None:
        return 0
    from .causes import Causes
    from .messages import messages
    from .render import table_lines
    from .tai64n import format_local

    result = Causes(args.channel, _domains(args)).add_all(messages(chunks)).table()
    result.sort(args.sort, reverse=args.reverse)
    for row in result.rows:  # the seen columns as local times, once sorted
        row[4], row[5] = format_local(int(row[4])), format_local(int(row[5]))
    write_lines(table_lines(result, tsv=args.tsv, limit=args.limit))
    return 0


show_all, show_all_detail = _show("show-all", RESULTS, False), _show("show-all-detail", RESULTS, True)
show_success, show_success_detail = (
    _show("show-success", ("success",), False),
    _show("show-success-detail", ("success",), True),
)
show_failures, show_failures_detail = (
    _show("show-failures", ("failure",), False),
    _show("show-failures-detail", ("failure",), True),
)
show_deferrals = _show("show-deferrals", ("deferral",), False)
show_deferrals_detail = _show("show-deferrals-detail", ("deferral",), True)
top_recipients = _top("top-recipients", None)
top_recipients_local = _top("top-recipients", "local")
top_recipients_remote = _top("top-recipients", "remote")
top_senders = _top("top-senders", None)
top_senders_local = _top("top-senders", "local")
top_senders_remote = _top("top-senders", "remote")
top_deferrals = _top("top-deferrals", None)
top_deferrals_local = _top("top-deferrals", "local")
top_deferrals_remote = _top("top-deferrals", "remote")
top_failures = _top("top-failures", None)
top_failures_local = _top("top-failures", "local")
top_failures_remote = _top("top-failures", "remote")
top_user_stats = _top("top-user-stats", None)
top_user_stats_local = _top("top-user-stats", "local")
top_user_stats_remote = _top("top-user-stats", "remote")
top_domain_stats = _top("top-domain-stats", None)
top_domain_stats_local = _top("top-domain-stats", "local")
top_domain_stats_remote = _top("top-domain-stats", "remote")
