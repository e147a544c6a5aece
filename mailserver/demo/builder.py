"""Build a qmail-shaped server tree from data captured on a real notqmail host.

The tree mirrors a real server under one root (var/qmail, var/log/qmail,
service, etc), so the agent drives it exactly as it would drive ``/``:
control files, the queue snapshot (numeric owners kept when run as root),
the real multilog logs, tcprules databases, and service directories whose run
scripts come from the panel's templates. qmail itself is in no package
registry, so its programs are absent here: those services get a ``down`` file
and show as "not installed" instead of restarting in a loop under svscan.

Building wipes the control files, the queue and the logs under its root, so it
only ever touches a root it made itself: an empty or missing directory, which it
marks with ``.nodeworx-demo``, or one that already bears that mark. ``/`` and any
other tree (a real mail server above all) are refused before anything is written.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from mailserver.qmail import runscript
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import SmtpdParams

if TYPE_CHECKING:
    from mailserver.agent.config import AgentConfig

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_RULES = {"smtp": '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n', "submission": ":allow\n"}
MARKER = ".nodeworx-demo"
_MARK_TEXT = (
    "This tree is a NodeWorx demo mail server built by `python -m mailserver.demo`.\n"
    "The builder may wipe and rebuild everything here; never put real data in it.\n"
)


class NotADemoRoot(Exception):
    """The builder was pointed at a directory it did not make (``/``, a real server, other files)."""


def demo_root(roots: Roots) -> Path:
    """The one directory holding every root the builder writes (``/`` for the stock Roots())."""
    return Path(os.path.commonpath([roots.qmail, roots.service, roots.log, roots.tcprules]))


def configured(argv: list[str]) -> AgentConfig | None:
    """The agent's configuration for ``python -m mailserver.demo[.daemons] ROOT``; None (said on
    stderr) when ROOT is not the tree it names (NODEWORX_SERVER_ROOT)."""
    from mailserver.agent.config import load  # the commands' environment, read by them alone

    config = load()
    if len(argv) > 1 and Path(argv[1]).resolve() != config.server_root.resolve():
        print(f"NODEWORX_SERVER_ROOT ({config.server_root}) differs from {argv[1]}", file=sys.stderr)
        return None
    return config


def check_root(root: Path) -> None:
    """Refuse ``root`` unless it is missing, empty, or marked as a demo tree by the builder."""
    resolved = root.resolve()
    if resolved == Path(resolved.anchor):
        raise NotADemoRoot(
            f"Refusing to build the demo mail server in {resolved}: that is this machine's own root, "
            "and building there would wipe a real server's queue and control files."
        )
    if (resolved / MARKER).is_file() or not resolved.exists():
        return
    if not resolved.is_dir():
        raise NotADemoRoot(f"Refusing to build the demo mail server in {resolved}: it is not a directory.")
    if not any(resolved.iterdir()):
        return
    what = (
        "it holds a qmail server (var/qmail/control)"
        if (resolved / "var/qmail/control").exists()
        else "it already holds files"
    )
    raise NotADemoRoot(
        f"Refusing to build the demo mail server in {resolved}: {what} and has no {MARKER} mark, "
        "so it was not built by the demo builder and rebuilding would wipe it. Use an empty or new "
        "directory (an old demo tree from before the mark: remove it by hand first)."
    )


def _claim(roots: Roots) -> None:
    """Check the root, then create and mark it, before the first byte of the demo is written."""
    root = demo_root(roots)
    check_root(root)
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER
    if not marker.is_file():
        marker.write_text(_MARK_TEXT)


def reset_controls(roots: Roots) -> None:
    """Put the control directory back to the captured server's files (tests start from it)."""
    check_root(demo_root(roots))
    control = roots.control_dir
    if control.exists():
        shutil.rmtree(control)
    shutil.copytree(DATA / "control", control)
    for path in [control, *control.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def reset(roots: Roots, *, smtpd_user: str, log_user: str) -> None:
    """Put back the files a test may change: control files, SMTP run scripts, aliases."""
    reset_controls(roots)
    for name, params in _smtpd_params(roots, smtpd_user).items():
        _write(roots.qmail / "supervise" / name / "run", runscript.render_smtpd(params, roots), 0o755)
    for alias in (roots.qmail / "alias").glob(".qmail-*"):
        alias.unlink()


def _smtpd_params(roots: Roots, user: str) -> dict[str, SmtpdParams]:
    return {
        "qmail-smtpd": _with_user(SmtpdParams.primary(roots), user),
        "qmail-submission": _with_user(SmtpdParams.submission(roots), user),
    }


def build(roots: Roots, *, smtpd_user: str = "qmaild", log_user: str = "qmaill") -> None:
    """Create (or refresh) the demo tree under ``roots``; keeps nothing of a previous run's services.

    Raises NotADemoRoot, having written nothing, unless the root is new, empty or a demo tree.
    """
    _claim(roots)
    for directory in (
        roots.qmail / "bin",
        roots.qmail / "alias",
        roots.qmail / "users",
        roots.log,
        roots.service,
        roots.tcprules,
    ):
        directory.mkdir(parents=True, exist_ok=True)
    reset_controls(roots)
    _queue(roots)
    _logs(roots)
    _own_logs(roots, log_user)
    for name, rules in DEFAULT_RULES.items():
        _rules(roots, name, rules)
    _service(roots, "qmail-send", runscript.render_send(roots), "send", log_user)
    (roots.qmail / "rc").write_text(runscript.render_rc(roots))
    (roots.qmail / "rc").chmod(0o755)
    for name, params in _smtpd_params(roots, smtpd_user).items():
        _service(roots, name, runscript.render_smtpd(params, roots), name.removeprefix("qmail-"), log_user)


def _with_user(params: SmtpdParams, user: str) -> SmtpdParams:
    from dataclasses import replace

    return replace(params, user=user)


def _queue(roots: Roots) -> None:
    queue = roots.queue_dir
    if queue.exists():
        shutil.rmtree(queue)
    # Queues a reset moved aside in the demo: a rebuilt demo starts without them (the panel
    # never deletes one; the builder may, under a root it marked as its own).
    for old in queue.parent.glob(f"{queue.name}.bad-*"):
        shutil.rmtree(old)
    with tarfile.open(DATA / "queue-snapshot.tar") as tar:
        # The tar's top directory is "queue/"; numeric owners are restored when root.
        # Our own data; Debian 12's Python 3.11.2 predates extraction filters.
        if hasattr(tarfile, "fully_trusted_filter"):
            tar.extractall(roots.qmail, numeric_owner=True, filter="fully_trusted")  # noqa: S202
        else:
            tar.extractall(roots.qmail, numeric_owner=True)  # noqa: S202


def _logs(roots: Roots) -> None:
    for name in ("send", "smtpd"):
        target = roots.log_dir(name)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(DATA / "logs" / name, target)
        for path in target.iterdir():
            path.chmod(0o644 if path.name == "current" else 0o744)
    roots.log_dir("submission").mkdir(exist_ok=True)


def _own_logs(roots: Roots, user: str) -> None:
    """multilog runs as the log user (setuidgid) and must be able to write its directory."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return
    if os.getuid() != 0:
        return
    for directory in roots.log.iterdir():
        for path in [directory, *directory.iterdir()]:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def _rules(roots: Roots, name: str, text: str) -> None:
    source, cdb = roots.rules(name)
    source.write_text(text)
    tmp = cdb.with_name(cdb.name + ".tmp")
    with open(source, "rb") as rules:
        subprocess.run(
            [str(roots.program("tcprules")), str(cdb), str(tmp)], stdin=rules, check=True, timeout=10
        )


def _service(roots: Roots, name: str, run: str, log_name: str, log_user: str) -> None:
    """A service directory under var/qmail/supervise, linked into the scanned directory."""
    directory = roots.qmail / "supervise" / name
    (directory / "log").mkdir(parents=True, exist_ok=True)
    directory.chmod(0o1755)
    _write(directory / "run", run, 0o755)
    _write(directory / "log" / "run", runscript.render_log(roots, log_name, log_user), 0o755)
    program = roots.qmail_program("qmail-send" if name == "qmail-send" else "qmail-smtpd")
    for down in (directory / "down", directory / "log" / "down"):
        if os.access(program, os.X_OK):
            down.unlink(missing_ok=True)
        else:
            down.touch()
    link = roots.service_dir(name)
    if not link.is_symlink():
        link.symlink_to(directory)


def _write(path: Path, text: str, mode: int) -> None:
    path.write_text(text)
    path.chmod(mode)
