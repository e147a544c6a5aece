"""The daily Bayes IMAP training job, run by the watchdog (and on demand by the agent).

Touches the training settings file in SpamAssassin's site directory (read), every
mailbox's ``.Learn Spam`` and ``.Learn Ham`` folders (created, read, emptied; see
:mod:`mailserver.spamassassin.training`), spamd's per-user directories under its home, and
the record of the last run in the agent's state directory. Runs ``sa-learn`` as spamd's
user through setuidgid. Imports no Celery: the watchdog runs it without the worker.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import time
from dataclasses import asdict
from typing import Any

from mailserver.qmail.environment import env_float
from mailserver.qmail.hostpath import on_host
from mailserver.qmail.serverfile import read_optional
from mailserver.spamassassin import localcf, site, spamd, training

from .config import AgentConfig

RECORD = "imap-training.json"
SA_LEARN = "usr/bin/sa-learn"


def settings_path(config: AgentConfig) -> Any:
    return site.site_dir(config.roots) / training.SETTINGS_FILE


def read_settings(config: AgentConfig) -> training.TrainingSettings:
    data = read_optional(settings_path(config)) or b""
    return training.parse_settings(data.decode("utf-8", "replace"))


def last_run(config: AgentConfig) -> dict[str, Any] | None:
    try:
        data = (config.state_dir / RECORD).read_text()
    except OSError:
        return None
    try:
        found = json.loads(data)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def run_training(config: AgentConfig, *, limit: int | None = None) -> training.TrainingRun:
    """One pass over every mailbox: make the folders, learn up to the limit, empty them."""
    roots = config.roots
    chosen = read_settings(config)
    params, _ = spamd.configured(roots)
    run = training.TrainingRun(at=time.time())
    try:
        entry = pwd.getpwnam(params.user)
    except KeyError:
        run.errors.append(f"spamd's user {params.user!r} does not exist: nothing can be learned.")
        return _record(config, run)
    site_dir = site.site_dir(roots)
    local = read_optional(site_dir / "local.cf") or b""
    bayes_path = localcf.parse(local.decode("utf-8", "replace")).settings.bayes_path
    home_dir = on_host(roots, params.home_dir)
    for box in training.mailboxes(roots):
        run.mailboxes += 1
        try:
            run.folders_created += len(training.ensure_folders(box))
        except OSError as exc:
            link = exc.errno in (errno.ELOOP, errno.ENOTDIR)
            why = "a symbolic link or not a directory" if link else exc.strerror
            run.errors.append(f"{box.user}: the training folders could not be made ({why})")
            continue
        try:
            user_dir = None if bayes_path else training.user_dir(home_dir, box, entry.pw_uid, entry.pw_gid)
        except OSError as exc:
            # spamd's home missing or unwritable: a failed run the box shows, not an error of the call
            # (which left the box's line on the run before and recorded nothing).
            run.errors.append(
                f"{box.user}: spamd's Bayes directory could not be made ({exc.strerror}: {exc.filename})"
            )
            continue
        argv = training.sa_learn_command(
            roots.system / SA_LEARN, roots.program("setuidgid"), params.user, site_dir, bayes_path, user_dir
        )
        for kind in training.FOLDERS:
            result = training.train_folder(
                box,
                kind,
                limit or chosen.limit,
                sa_learn=argv,
                spamd_uid=entry.pw_uid,
                spamd_gid=entry.pw_gid,
            )
            run.learned[kind] += result.learned
            run.discarded += result.discarded
            if result.error:
                run.errors.append(result.error)
    return _record(config, run)


def _record(config: AgentConfig, run: training.TrainingRun) -> training.TrainingRun:
    config.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = config.state_dir / RECORD
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(run)))
    os.replace(tmp, path)
    return run


def daily_training(config: AgentConfig) -> Any:
    """The watchdog's job: once a day, at NODEWORX_TRAINING_HOUR (host time), when training is on."""
    hour = int(env_float("NODEWORX_TRAINING_HOUR", 3.0))

    def job(now: float) -> None:
        if time.localtime(now).tm_hour != hour or not read_settings(config).enabled:
            return
        last = last_run(config)
        if last and time.strftime("%Y-%m-%d", time.localtime(float(last.get("at", 0)))) == time.strftime(
            "%Y-%m-%d", time.localtime(now)
        ):
            return  # already done today
        run_training(config)

    job.__name__ = "bayes_imap_training"
    return job
