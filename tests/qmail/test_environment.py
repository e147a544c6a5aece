"""One reading of NODEWORX_* paths: the agent and the log tools find the same directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailserver.agent.config import load
from mailserver.qmail.environment import INSTALL_DIR, env_path, server_root
from mailserver.qmail.logs import config as log_config
from mailserver.qmail.logs import index


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a directory that is not the installation directory, as a shell or svscan might."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_relative_server_root_is_the_same_directory_for_the_agent_and_the_log_tools(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", "var/demo")
    monkeypatch.delenv("NODEWORX_QMAIL_SEND_LOG", raising=False)
    monkeypatch.delenv("NODEWORX_QMAIL_ROOT", raising=False)
    roots = load().roots
    assert roots.qmail == INSTALL_DIR / "var/demo/var/qmail"
    assert log_config.qmail_root() == roots.qmail
    assert log_config.send_log_dir() == roots.log / "send"
    assert not log_config.send_log_dir().is_relative_to(elsewhere)


def test_the_log_tools_own_variables_follow_the_same_rule(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEWORX_QMAIL_SEND_LOG", "var/logs/send")
    monkeypatch.setenv("NODEWORX_QMAIL_ROOT", "/srv/qmail")
    assert log_config.send_log_dir() == INSTALL_DIR / "var/logs/send"
    assert log_config.qmail_root() == Path("/srv/qmail")


def test_an_option_typed_on_the_command_line_is_relative_to_the_current_directory(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEWORX_QMAIL_SEND_LOG", "/ignored")
    assert log_config.send_log_dir("send").resolve() == elsewhere / "send"


def test_without_a_server_root_the_log_tools_read_this_host_and_the_agent_the_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NODEWORX_SERVER_ROOT", "NODEWORX_QMAIL_SEND_LOG", "NODEWORX_QMAIL_ROOT"):
        monkeypatch.delenv(name, raising=False)
    assert log_config.send_log_dir() == Path("/var/log/qmail/send")
    assert load().server_root == INSTALL_DIR / "var/demo"
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", "")  # empty counts as unset
    assert server_root(Path("/")) == Path("/")


@pytest.mark.skipif(os.geteuid() != 0, reason="root's cache: the agent runs as root")
def test_roots_cache_moves_with_the_server_root(monkeypatch: pytest.MonkeyPatch, elsewhere: Path) -> None:
    monkeypatch.setenv("NODEWORX_SERVER_ROOT", "var/demo")
    monkeypatch.delenv("NODEWORX_QMAIL_LOG_CACHE", raising=False)
    assert index.cache_root() == INSTALL_DIR / "var/demo/var/cache/nodeworx/qmail-logs"


def test_env_path_takes_absolute_values_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEWORX_TEST_PATH", "/etc/nodeworx")
    assert env_path("NODEWORX_TEST_PATH", Path("x")) == Path("/etc/nodeworx")
    monkeypatch.delenv("NODEWORX_TEST_PATH")
    assert env_path("NODEWORX_TEST_PATH", Path("x")) == INSTALL_DIR / "x"
