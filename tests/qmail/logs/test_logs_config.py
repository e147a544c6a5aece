"""Where the log tools look, and control/queuelifetime read as qmail-send reads it, but never blocking."""

from __future__ import annotations

import os
import threading
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from mailserver.qmail.environment import SERVER_ROOT_ENV
from mailserver.qmail.logs import config, index, timespec


def queuelifetime_within(seconds: float, root: Path) -> int | None:
    result: list[int] = []
    reader = threading.Thread(target=lambda: result.append(config.queuelifetime(root)), daemon=True)
    reader.start()
    reader.join(seconds)
    return result[0] if result else None


def test_queuelifetime_takes_the_leading_digits_or_the_default(tmp_path: Path) -> None:
    (tmp_path / "control").mkdir()
    assert config.queuelifetime(tmp_path) == config.DEFAULT_QUEUELIFETIME
    (tmp_path / "control" / "queuelifetime").write_text("3600x\n")
    assert config.queuelifetime(tmp_path) == 3600


def test_queuelifetime_is_not_read_from_a_fifo_or_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "control").mkdir()
    path = tmp_path / "control" / "queuelifetime"
    os.mkfifo(path)
    got = queuelifetime_within(3, tmp_path)
    if got is None:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert got == config.DEFAULT_QUEUELIFETIME, "blocked on a fifo"
    path.unlink()
    (tmp_path / "elsewhere").write_text("60\n")
    path.symlink_to(tmp_path / "elsewhere")
    assert config.queuelifetime(tmp_path) == config.DEFAULT_QUEUELIFETIME


def tools() -> list[EntryPoint]:
    return [
        ep for ep in entry_points(group="console_scripts") if ep.value.startswith("mailserver.qmail.logs.")
    ]


def test_every_tools_help_names_every_setting_a_pipeline_reads(capsys: pytest.CaptureFixture[str]) -> None:
    # The help named four of them: an admin could not learn from it that the tools follow
    # NODEWORX_SERVER_ROOT or how xwebmail tells webmail's users.
    settings = [SERVER_ROOT_ENV, config.SEND_LOG_ENV, config.QMAIL_ROOT_ENV, config.WEBMAIL_UIDS_ENV]
    settings += [index.CACHE_ENV, timespec.NOW_ENV]
    found = tools()
    assert len(found) > 20, [ep.name for ep in found]
    for tool in found:
        with pytest.raises(SystemExit):
            tool.load()(["--help"])
        shown = capsys.readouterr().out
        assert [name for name in settings if name not in shown] == [], tool.name
