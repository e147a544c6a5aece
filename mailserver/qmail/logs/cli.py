"""The guide's command-line tools, one console script each (see [project.scripts]).

    qmail-last-x "3 hours" | xsend alice@example.com | show-failures-detail
    qmail-start-end "$(hstamp '5 hours ago')" "$(hstamp '3 hours ago')" | top-senders-remote

Selectors print raw multilog lines (``| tai64nlocal`` works on them), filters pass raw lines of
whole messages, operators read them on stdin (or from files) and print a report. Run without
arguments, a selector prints its help; so does a filter or operator whose stdin is a terminal.
Warnings go to stderr so they never mix into the pipe.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator

from mailserver.qmail.environment import SERVER_ROOT_ENV

from . import config, index, timespec

BLOCK = 1 << 20  # read the pipe in big blocks: the operators work on whole blocks of lines

Main = Callable[[list[str] | None], int]
# Every setting a tool reads, each on its own line: a pipeline's tools share the one environment.
ENV_HELP = "\n".join(
    [
        "environment:",
        f"  {SERVER_ROOT_ENV}      the mail host's root the defaults below are under (default /)",
        f"  {config.SEND_LOG_ENV}   qmail-send's log directory (default /var/log/qmail/send)",
        f"  {config.QMAIL_ROOT_ENV}       qmail's directory, for control/queuelifetime (default /var/qmail)",
        f"  {config.WEBMAIL_UIDS_ENV}     xwebmail's users or uids, comma-separated (apache,www-data)",
        f"  {index.CACHE_ENV}  where the info-line tables are kept ('off': in memory only)",
        f"  {timespec.NOW_ENV}              a fixed 'now' in epoch seconds, for repeatable runs",
    ]
)


def guard(main: Callable[[list[str] | None], int]) -> Main:
    """Exit quietly when the reader goes away (`| head`), and report bad input without a traceback."""

    def run(argv: list[str] | None = None) -> int:
        prog = os.path.basename(sys.argv[0])
        # The joiner makes a few objects per log line and none of them form cycles; the cyclic
        # collector would only rescan the open messages over and over (it halved throughput).
        gc.disable()
        try:
            return main(argv)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except (timespec.TimeSpecError, ValueError, FileNotFoundError) as error:
            print(f"{prog}: {error}", file=sys.stderr)
            return 2

    return run


def parser_for(prog: str, description: str, examples: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=f"examples:\n{examples}\n\n{ENV_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


# -- selectors --------------------------------------------------------------------------------
def _selector_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-dir", help="qmail-send's multilog directory")
    parser.add_argument(
        "--lookback",
        help="how far back to look for headers of queued mail "
        "(fuzzy duration; default queuelifetime + 1 day)",
    )


def _emit(args: argparse.Namespace, start: float, end: float) -> int:
    from .selection import select

    lookback = timespec.parse_duration(args.lookback) if args.lookback else None
    selection = select(config.send_log_dir(args.log_dir), start, end, lookback=lookback)
    for warning in selection.warnings:
        print(warning, file=sys.stderr)
    sys.stdout.flush()
    widen_pipe(sys.stdout.fileno())
    selection.write_to(sys.stdout.fileno())
    return 0


def widen_pipe(fd: int) -> None:
    """Ask for a 1 MB pipe (Linux): fewer wake-ups between the stages of a gigabyte pipeline."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # not a pipe, not Linux, or over /proc/sys/fs/pipe-max-size: keep the default


@guard
def qmail_last_x(argv: list[str] | None = None) -> int:
    parser = parser_for(
        "qmail-last-x",
        "Select the send log of the last X (a fuzzy duration, one unit) "
        "and pipe it into an operator or x-filter.",
        '  qmail-last-x "3 hours" | show-all\n  qmail-last-x "6 days" | top-senders',
    )
    parser.add_argument("period", nargs="?", help='e.g. "3 hours", "5 minutes", "6 days", "12 hours ago"')
    _selector_options(parser)
    args = parser.parse_args(argv)
    if args.period is None:
        parser.print_help()
        return 0
    now = timespec.now()
    return _emit(args, max(0.0, now - timespec.parse_duration(args.period)), now)


@guard
def qmail_start_end(argv: list[str] | None = None) -> int:
    parser = parser_for(
        "qmail-start-end",
        "Select the send log between two moments: epoch seconds "
        '(`date +%%s -d ...`), hstamps ("5 hours ago"), YYYY-MM-DD HH:MM or now.',
        "  qmail-start-end \"$(hstamp '5 hours ago')\" \"$(hstamp '3 hours ago')\" | show-all\n"
        "  qmail-start-end 1320438841 1321043679 | top-deferrals",
    )
    parser.add_argument("start", nargs="?")
    parser.add_argument("end", nargs="?", help="default: now")
    _selector_options(parser)
    args = parser.parse_args(argv)
    if args.start is None:
        parser.print_help()
        return 0
    now = timespec.now()
    start = timespec.parse_point(args.start, at=now)
    end = timespec.parse_point(args.end, at=now) if args.end else now
    if end < start:
        raise timespec.TimeSpecError("START is after END")
    return _emit(args, start, end)


@guard
def hstamp(argv: list[str] | None = None) -> int:
    parser = parser_for(
        "hstamp",
        "Print the epoch seconds of a fuzzy date, for qmail-start-end.",
        "  hstamp '5 hours ago'\n  qmail-start-end \"$(hstamp '1 week ago')\" \"$(hstamp '3 seconds ago')\"",
    )
    parser.add_argument("when", nargs="?", help='e.g. "5 hours ago", "20 minutes", "now"')
    args = parser.parse_args(argv)
    if args.when is None:
        parser.print_help()
        return 0
    print(timespec.hstamp(args.when))
    return 0


# -- reading the pipe -------------------------------------------------------------------------
def read_input(parser: argparse.ArgumentParser, files: list[str]) -> Iterator[bytes] | None:
    """Blocks of stdin or of the named files; None (after printing help) on a bare terminal."""
    if not files:
        if sys.stdin.isatty():
            parser.print_help()
            return None
        widen_pipe(0)
        return iter(lambda: os.read(0, BLOCK), b"")
    return _read_files(files)


def _read_files(files: Iterable[str]) -> Iterator[bytes]:
    for name in files:
        with open(name, "rb") as handle:
            while block := handle.read(BLOCK):
                yield block


def write_lines(lines: Iterable[str]) -> None:
    write = sys.stdout.write
    for line in lines:
        write(line + "\n")
    sys.stdout.flush()
