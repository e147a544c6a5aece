"""Spam Filtering operations: read the state, lint a candidate, write local.cf, score GTUBE.

Touches the SpamAssassin site directory's ``local.cf`` (ROOTS.system/etc/spamassassin on
Debian, /etc/mail/spamassassin elsewhere) and, when the global Bayes database is turned on,
creates its directory under spamd's home (owned by spamd's user). Runs ``spamassassin
--lint`` as spamd's user on a temporary copy of the site directory (never on the live one),
``svc -t`` on ROOTS.service/spamd after a change, and talks SPAMC to spamd on the address
its run script names. Reads spamd's run script and the other ``*.cf`` files of the site.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailserver.protocol import Op
from mailserver.protocol.filters import LintProblem, SpamState
from mailserver.qmail import atomic
from mailserver.qmail.errors import Conflict, FieldError, InvalidValue, UnreadableFile
from mailserver.qmail.hostpath import on_host
from mailserver.spamassassin import changes as spam_changes
from mailserver.spamassassin import lint, localcf, site, spamd
from mailserver.spamassassin.settings import Dialect

from .celeryapp import settings
from .daemons import auto_restart, file_seen, restart_if_up
from .operations import Payload, operation
from .service_ops import statuses
from .simscan_ops import scanning_state
from .training_ops import training_state
from .transaction import FilePlan, HandEdited, changed_meanwhile, serialised

SERVICE = "spamd"
SPAMASSASSIN = "usr/bin/spamassassin"


class LintFailed(FieldError):
    """spamassassin --lint refused the candidate: nothing was written. One line per problem."""

    def __init__(self, problems: tuple[lint.LintProblem, ...]):
        first = next((p.field for p in problems if p.field), None) or "advanced"
        lines = "\n".join(problem.describe() for problem in problems)
        super().__init__(
            first, f"SpamAssassin's lint refused the new settings; nothing was changed.\n{lines}"
        )
        self.problems = problems


@dataclass(frozen=True)
class SpamdPlace:
    params: spamd.SpamdParams
    script: dict[str, Any]


def spamd_place() -> SpamdPlace:
    """spamd's settings from its run script (the panel's, or a guess from another), else Debian's."""
    params, script = spamd.configured(settings.roots)
    return SpamdPlace(params, {
        **file_seen(settings.roots.service_dir(SERVICE) / "run"),
        "managed": bool(script and script.managed),
        "hand_edited": bool(script and script.hand_edited),
    })  # fmt: skip


def _dialect() -> Dialect:
    return Dialect.for_version(site.version(settings.roots.system / SPAMASSASSIN))


def _global_bayes_path(place: SpamdPlace) -> str:
    return f"{place.params.home_dir}/bayes/bayes"


def _local_cf() -> tuple[Path, atomic.FileState, localcf.Parsed]:
    path = site.site_dir(settings.roots) / "local.cf"
    try:
        state = atomic.read_state(path)
    except UnreadableFile as exc:
        raise FieldError("settings", str(exc)) from None
    return path, state, localcf.parse(state.content.decode("utf-8", "replace"), _dialect())


def spam_state() -> SpamState:
    roots = settings.roots
    path, state, parsed = _local_cf()
    place = spamd_place()
    site_dir = site.site_dir(roots)
    return {
        "node": settings.node,
        "version": site.version(roots.system / SPAMASSASSIN),
        "services": statuses([SERVICE]),
        "auto_restart": {SERVICE: auto_restart(SERVICE)},
        "settings": spam_changes.as_form(parsed.settings),
        "local_cf": {
            "path": str(path),
            "exists": state.exists,
            "sha256": state.sha256,
            "mtime": state.mtime,
            "managed": parsed.managed,
            "hand_edited": parsed.hand_edited,
            "text": state.content.decode("utf-8", "replace")
            if (state.exists and parsed.hand_edited) or (state.exists and not parsed.managed)
            else "",
            "notes": list(parsed.notes),
        },
        "site_dir": str(site_dir),
        "overrides": [
            {"file": o.file, "line": o.line, "field": o.field, "text": o.text}
            for o in site.overrides(site_dir)
        ],
        "spamd": {
            "address": place.params.address,
            "port": place.params.port,
            "answering": spamd.ping(_reach(place.params.address), place.params.port, timeout=2.0),
            "script": place.script,
        },
        "smtp_scanning": scanning_state(),
        "training": training_state(),
    }


def _reach(address: str) -> str:
    return "127.0.0.1" if address in ("0", "0.0.0.0") else address  # noqa: S104


@operation(Op.SPAM_READ_STATE)
def read_state(payload: Payload) -> SpamState:
    return spam_state()


def _problems(result: lint.LintResult) -> list[LintProblem]:
    return [
        {
            "field": p.field, "file": p.file, "line": p.line, "field_line": p.field_line,
            "text": p.text, "message": p.message, "describe": p.describe(),
        }
        for p in result.problems
    ]  # fmt: skip


def _candidate(payload: Payload) -> tuple[spam_changes.SpamRequest, localcf.Rendered, SpamdPlace]:
    place = spamd_place()
    _, _, parsed = _local_cf()
    request = spam_changes.settings_request(
        payload, parsed.settings, global_bayes_path=_global_bayes_path(place)
    )
    return request, localcf.render(request.settings, _dialect()), place


def _lint(rendered: localcf.Rendered, place: SpamdPlace) -> lint.LintResult:
    roots = settings.roots
    user = place.params.user
    try:
        pwd.getpwnam(user)
    except KeyError:
        user = "nobody"  # spamd's user is missing here: lint as nobody rather than as root
    return lint.lint_candidate(
        site.site_dir(roots), rendered, spamassassin=roots.system / SPAMASSASSIN,
        setuidgid=roots.program("setuidgid"), user=user,
    )  # fmt: skip


@operation(Op.SPAM_CHECK)
def check(payload: Payload) -> dict[str, Any]:
    """Lint the settings of ``payload`` (as for a write) without writing anything.

    Answers {"ok", "problems": [{field, line, field_line, text, message, describe}], "seconds",
    "text": the local.cf that would be written}: the page shows each problem beside its field.
    """
    _, rendered, place = _candidate(payload)
    result = _lint(rendered, place)
    return {"ok": result.ok, "problems": _problems(result), "seconds": result.seconds, "text": rendered.text}


@operation(Op.SPAM_WRITE)
def write(payload: Payload) -> dict[str, Any]:
    """Payload: {"settings": {field: value} (only the fields that change), "expect": sha256 of
    local.cf as seen (null: no file), "replace_hand_edit": bool}.

    Validated field by field, then linted as a whole on a copy of the site directory; only a
    clean candidate replaces local.cf (a lint failure is refused line by line, nothing
    written). Then spamd, if it runs, is restarted so that it reads the new settings. A payload
    that changes nothing SpamAssassin reads writes nothing: above all no local.cf of defaults.
    """
    _candidate(payload)  # a payload refused field by field never takes the write lock
    with serialised():
        path, state, parsed = _local_cf()
        request, rendered, place = _candidate(payload)
        if _nothing_asked(request, state, parsed, rendered):
            # As a control file the admin did not change is not sent: nothing written, linted or
            # restarted, whatever the expectation (the page compares it with what it showed).
            return {"changes": [], "lint": None, "spamd": {"restarted": False, "note": "Nothing changed."},
                    "state": spam_state()}  # fmt: skip
        if not path.parent.is_dir():
            raise InvalidValue(f"{path.parent} is missing: is SpamAssassin installed?")
        if not atomic.still_as_seen(state, request.expect):
            raise Conflict(changed_meanwhile("local.cf"))
        if state.exists and (parsed.hand_edited or not parsed.managed) and not request.replace_hand_edit:
            raise HandEdited(
                f"{path} was not written by this panel (or was edited by hand). Review it and confirm to "
                "replace it: its directives without a field of their own are kept in the advanced "
                "preferences, "
                "its comments are not."
            )
        result = _lint(rendered, place)
        if not result.ok:
            raise LintFailed(result.problems)
        if request.settings.bayes_path:
            _bayes_directory(request.settings.bayes_path, place.params.user)
        plan = FilePlan()
        plan.add(f"spamassassin {path.name}", path, rendered.text.encode(), request.expect)
        changes = plan.apply()
    restart = restart_if_up(SERVICE)
    return {
        "changes": changes,
        "lint": {"ok": True, "seconds": result.seconds},
        "spamd": restart,
        "state": spam_state(),
    }


def _nothing_asked(
    request: spam_changes.SpamRequest,
    state: atomic.FileState,
    parsed: localcf.Parsed,
    rendered: localcf.Rendered,
) -> bool:
    """Whether the write would change nothing SpamAssassin reads, and replace no file the admin asked to.

    Without local.cf SpamAssassin uses its own defaults, which are what the page shows: a save that
    changes no field must not write them into a new local.cf (nor restart spamd to read them).
    """
    if state.exists and state.content == rendered.text.encode():
        return True
    replacing = state.exists and (parsed.hand_edited or not parsed.managed) and request.replace_hand_edit
    return request.settings == parsed.settings and not replacing


def _bayes_directory(bayes_path: str, user: str) -> None:
    """The global Bayes database's directory, owned by spamd's user (who writes it)."""
    directory = on_host(settings.roots, bayes_path).parent
    if directory.is_dir():
        return
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise InvalidValue(
            f"spamd's user {user!r} does not exist here, so the Bayes database has no owner."
        ) from None
    directory.mkdir(mode=0o700, parents=False)
    os.chown(directory, entry.pw_uid, entry.pw_gid)


@operation(Op.SPAM_SCAN_GTUBE)
def scan_gtube(payload: Payload) -> dict[str, Any]:
    """spamd's verdict on the GTUBE test message (every SpamAssassin scores it 1000)."""
    place = spamd_place()
    verdict = spamd.check(_reach(place.params.address), place.params.port, spamd.GTUBE)
    return {"spam": verdict.spam, "score": verdict.score, "threshold": verdict.threshold}
