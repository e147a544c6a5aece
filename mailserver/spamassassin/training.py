"""Bayes IMAP training: "Learn Spam" and "Learn Ham" folders in every mailbox, fed to sa-learn daily.

With training on, every mailbox gets two IMAP folders (Courier's Maildir++ folders
``.Learn Spam`` and ``.Learn Ham``, subscribed). Once a day each folder's messages, at most
the daily limit per folder (oldest first), are learned with ``sa-learn --spam``/``--ham``
as spamd's user, into the global Bayes database or the mailbox's own (spamd's
``--virtual-config-dir``, ``HOME/users/<user>``), and then the folder is emptied, as the
guide says: messages beyond the limit are discarded unlearned.

Mailboxes are the Maildirs of system users (uid 1000 and up, ``~/Maildir``) and of
vpopmail (``/home/vpopmail/domains/DOMAIN/USER/Maildir``). Users own them, so everything
inside is opened relative to a directory descriptor and never through a symbolic link: a
user cannot make the root agent create, read or delete anything outside their mailbox.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import re
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mailserver.qmail.errors import FieldError
from mailserver.qmail.hostpath import on_host, system_path
from mailserver.qmail.paths import Roots
from mailserver.qmail.serverfile import open_regular, read_fd

FOLDERS = {"spam": "Learn Spam", "ham": "Learn Ham"}
DEFAULT_LIMIT = 50
LIMIT_MAX = 10_000
SETTINGS_FILE = "nodeworx-imap-training"  # in the site directory; SpamAssassin reads only *.cf and *.pre
MESSAGE_LIMIT = 10 * 1024 * 1024  # sa-learn skips bigger messages anyway (and so does spamc)
SA_LEARN_TIMEOUT = 300.0
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LEARNED = re.compile(r"Learned tokens from ([0-9]+) message")


@dataclass(frozen=True)
class TrainingSettings:
    enabled: bool = False
    limit: int = DEFAULT_LIMIT


def check_limit(raw: object) -> int:
    """The daily learning limit per folder, as the form and the agent accept it."""
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not re.fullmatch(r"[0-9]{1,6}", text) or not 1 <= int(text) <= LIMIT_MAX:  # not isdigit(): "²"
        raise FieldError(
            "learn_limit", f"The learning limit must be 1 to {LIMIT_MAX} messages a day per folder."
        )
    return int(text)


def parse_settings(text: str) -> TrainingSettings:
    values = dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
    limit = values.get("LIMIT", "").strip()
    return TrainingSettings(
        enabled=values.get("ENABLED", "").strip() == "yes",
        limit=int(limit)
        if re.fullmatch(r"[0-9]{1,6}", limit) and 1 <= int(limit) <= LIMIT_MAX
        else DEFAULT_LIMIT,
    )


def render_settings(settings: TrainingSettings) -> str:
    return (
        "# Bayes IMAP training, written by the control panel (Spam Filtering).\n"
        "# The panel's daily job reads it; SpamAssassin does not.\n"
        f"ENABLED={'yes' if settings.enabled else 'no'}\n"
        f"LIMIT={settings.limit}\n"
    )


@dataclass(frozen=True)
class Mailbox:
    user: str  # the name spamc passes: "alice" or "alice@example.com"
    home: Path  # the directory holding Maildir (a trusted, root-made place)
    uid: int
    gid: int


def mailboxes(roots: Roots) -> list[Mailbox]:
    found: list[Mailbox] = []
    domains = system_path(roots, "home/vpopmail/domains")
    if domains.is_dir() and not domains.is_symlink():
        for domain in sorted(domains.iterdir()):
            if not domain.is_dir() or domain.is_symlink():
                continue
            for user in sorted(domain.iterdir()):
                maildir = user / "Maildir"
                if maildir.is_dir() and not maildir.is_symlink():
                    st = maildir.stat()
                    found.append(Mailbox(f"{user.name}@{domain.name}", user, st.st_uid, st.st_gid))
    for entry in pwd.getpwall():
        if not 1000 <= entry.pw_uid < 65534 or not entry.pw_dir.startswith("/"):
            continue
        home = on_host(roots, entry.pw_dir)
        maildir = home / "Maildir"
        if maildir.is_dir() and not maildir.is_symlink():
            found.append(Mailbox(entry.pw_name, home, entry.pw_uid, entry.pw_gid))
    return found


@contextlib.contextmanager
def _opened(name: str, dir_fd: int | None = None) -> Iterator[int]:
    fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _ensure_dir(name: str, parent: int, uid: int, gid: int) -> bool:
    try:
        os.mkdir(name, 0o700, dir_fd=parent)
    except FileExistsError:
        return False
    with _opened(name, parent) as fd:
        os.fchown(fd, uid, gid)
    return True


def ensure_folders(box: Mailbox) -> list[str]:
    """Create the two training folders (and subscribe them); returns the folders created."""
    created = []
    with _opened(str(box.home)) as home, _opened("Maildir", home) as maildir:
        for folder in FOLDERS.values():
            name = f".{folder}"
            if _ensure_dir(name, maildir, box.uid, box.gid):
                created.append(folder)
            with _opened(name, maildir) as fd:
                for sub in ("cur", "new", "tmp"):
                    _ensure_dir(sub, fd, box.uid, box.gid)
                with contextlib.suppress(FileExistsError):
                    marker = os.open(
                        "maildirfolder",
                        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                        0o600,
                        dir_fd=fd,
                    )
                    os.fchown(marker, box.uid, box.gid)
                    os.close(marker)
        _subscribe(maildir, box)
    return created


def _subscribe(maildir: int, box: Mailbox) -> None:
    """Courier lists a folder to most clients only once it is in courierimapsubscribed."""
    name = "courierimapsubscribed"
    try:
        fd, _ = open_regular(name, dir_fd=maildir)
        try:
            lines = read_fd(fd, name).decode("utf-8", "replace").splitlines()
        finally:
            os.close(fd)
    except FileNotFoundError:
        lines = []
    wanted = [f"INBOX.{folder}" for folder in FOLDERS.values() if f"INBOX.{folder}" not in lines]
    if not wanted:
        return
    tmp = f".{name}.nodeworx-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=maildir)
    try:
        os.write(fd, "".join(f"{line}\n" for line in [*lines, *wanted]).encode())
        os.fchown(fd, box.uid, box.gid)
    finally:
        os.close(fd)
    os.rename(tmp, name, src_dir_fd=maildir, dst_dir_fd=maildir)


@dataclass
class FolderRun:
    learned: int = 0
    discarded: int = 0  # emptied without being learned (beyond the limit, or too big)
    error: str | None = None


def _messages(folder: int) -> list[tuple[int, str]]:
    """(directory fd, name) of the folder's messages, oldest first; the caller closes the fds."""
    found: list[tuple[int, str, str]] = []
    for sub in ("new", "cur"):
        try:
            fd = os.open(sub, _DIR_FLAGS, dir_fd=folder)
        except OSError:
            continue
        found.extend((fd, sub, name) for name in os.listdir(fd) if not name.startswith("."))
    # Maildir names begin with the delivery time in seconds: sorting by name is oldest first.
    found.sort(key=lambda item: item[2])
    return [(fd, name) for fd, _, name in found]


def train_folder(
    box: Mailbox, kind: str, limit: int, *, sa_learn: list[str], spamd_uid: int, spamd_gid: int
) -> FolderRun:
    """Learn up to ``limit`` messages of the mailbox's folder as ``kind``, then empty it."""
    run = FolderRun()
    try:
        with _opened(str(box.home)) as home, _opened("Maildir", home) as maildir, \
                _opened(f".{FOLDERS[kind]}", maildir) as folder:  # fmt: skip
            entries = _messages(folder)
            try:
                with tempfile.TemporaryDirectory(prefix="nodeworx-learn-") as tmp:
                    os.chown(tmp, spamd_uid, spamd_gid)
                    copied = 0
                    for dir_fd, name in entries:
                        if copied >= limit:
                            break
                        if _copy(dir_fd, name, Path(tmp) / f"{copied:06d}", spamd_uid, spamd_gid):
                            copied += 1
                    if copied:
                        run.learned = _sa_learn(sa_learn, kind, tmp)
                for dir_fd, name in entries:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(name, dir_fd=dir_fd)
                run.discarded = max(0, len(entries) - run.learned)
            finally:
                for fd in {fd for fd, _ in entries}:
                    os.close(fd)
    except OSError as exc:
        reason = "a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        run.error = f"{box.user}: {FOLDERS[kind]} could not be read ({reason})"
    except LearnFailed as exc:
        run.error = f"{box.user}: {FOLDERS[kind]}: {exc}"
    return run


def _copy(dir_fd: int, name: str, target: Path, uid: int, gid: int) -> bool:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MESSAGE_LIMIT:
            return False
        fd, _ = open_regular(name, dir_fd=dir_fd)
    except (OSError, ValueError):
        return False
    try:
        data = read_fd(fd, name, MESSAGE_LIMIT)
    finally:
        os.close(fd)
    target.write_bytes(data)
    os.chown(target, uid, gid)
    target.chmod(0o600)
    return True


class LearnFailed(Exception):
    """sa-learn could not be run or refused."""


def _sa_learn(argv: list[str], kind: str, directory: str) -> int:
    try:
        done = subprocess.run(
            [*argv, f"--{kind}", directory], capture_output=True, text=True, timeout=SA_LEARN_TIMEOUT,
            env={"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": directory}, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LearnFailed(f"sa-learn could not be run: {exc}") from None
    found = _LEARNED.search(done.stdout)
    if done.returncode != 0 or not found:
        raise LearnFailed((done.stderr or done.stdout).strip()[-300:] or f"sa-learn exited {done.returncode}")
    return int(found[1])


@dataclass
class TrainingRun:
    at: float
    mailboxes: int = 0
    folders_created: int = 0
    learned: dict[str, int] = field(default_factory=lambda: {"spam": 0, "ham": 0})
    discarded: int = 0
    errors: list[str] = field(default_factory=list)


def sa_learn_command(
    sa_learn: Path,
    setuidgid: Path,
    spamd_user: str,
    site_dir: Path,
    bayes_path: str | None,
    user_dir: Path | None,
) -> list[str]:
    """``setuidgid SPAMD_USER sa-learn --siteconfigpath=SITE [--dbpath=…]``: the global database
    (bayes_path in local.cf) or the mailbox's own, in spamd's virtual config directory."""
    argv = [str(setuidgid), spamd_user, str(sa_learn), f"--siteconfigpath={site_dir}"]
    if bayes_path is None and user_dir is not None:
        argv.append(f"--dbpath={user_dir}/bayes")
    return argv


def user_dir(home_dir: Path, box: Mailbox, spamd_uid: int, spamd_gid: int) -> Path:
    """spamd's per-user directory (``--virtual-config-dir=HOME/users/%u``), made if missing."""
    users = home_dir / "users"
    for directory in (users, users / box.user):
        if not directory.exists():
            directory.mkdir(mode=0o700)
            os.chown(directory, spamd_uid, spamd_gid)
    return users / box.user
