"""ClamAV's files read as ClamAV writes them: database headers (built by the real sigtool), the
configuration, and freshclam's log as freshclam 1.4.6 wrote it on a host with no update server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mailserver.clamav import conf, database, freshclam
from mailserver.qmail.paths import Roots

DATA = Path(__file__).parent / "data"


@pytest.fixture
def built_daily(tmp_path: Path) -> Path:
    """daily.cud built by sigtool from two signatures (unsigned: no signing key exists here)."""
    (tmp_path / "daily.hdb").write_text(
        "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n"
        "0123456789abcdef0123456789abcdef:10:Other-Test-Signature\n"
    )
    (tmp_path / "COPYING").write_text("test\n")
    subprocess.run(
        ["/usr/bin/sigtool", "--build=daily.cud", "--unsigned", "--cvd-version=27123"],
        input="nodeworx\n", text=True, cwd=tmp_path, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    (tmp_path / "daily.hdb").unlink()
    return tmp_path / "daily.cud"


def test_the_header_says_what_sigtool_says(built_daily):
    info = database.read_header(built_daily, "daily")
    printed = subprocess.run(
        ["/usr/bin/sigtool", f"--info={built_daily}"], capture_output=True, text=True
    ).stdout
    assert f"Version: {info.version}\n" in printed and info.version == 27123
    assert f"Signatures: {info.signatures}\n" in printed and info.signatures == 2
    assert f"Functionality level: {info.functionality_level}\n" in printed
    assert f"Builder: {info.builder}\n" in printed
    assert f"Build time: {info.build_time.replace('-', ':', 1)}\n" in printed
    assert info.built is not None and abs(info.built - built_daily.stat().st_mtime) < 120
    assert info.signed is False


def test_the_databases_of_a_directory(built_daily):
    directory = built_daily.parent
    (directory / "local.ndb").write_text("# mine\nOne:0:*:41424344\nTwo:0:*:45464748\n")
    found = database.read_databases(directory)
    assert found.official["daily"].file == "daily.cud" and found.official["main"] is None
    assert [(s.file, s.signatures) for s in found.local] == [("local.ndb", 2)]
    assert found.any_loaded


def test_an_empty_directory_has_nothing_for_clamd_to_load(tmp_path):
    found = database.read_databases(tmp_path)
    assert not found.any_loaded  # clamd exits with "No supported database files found"
    assert database.read_databases(tmp_path / "missing").exists is False


def test_a_file_that_is_no_database_is_reported_not_read(tmp_path):
    (tmp_path / "main.cvd").write_bytes(b"<html>captive portal</html>")
    found = database.read_databases(tmp_path)
    assert found.official["main"] is None
    assert "no ClamAV-VDB header" in found.problems["main"]


def test_configuration_as_clamav_reads_it(tmp_path):
    path = tmp_path / "clamd.conf"
    path.write_text(
        "# comment\nExample\nLocalSocket /run/clamav/clamd.ctl\nDatabaseMirror a\nDatabaseMirror b\n"
    )
    found = conf.read(path)
    assert found.example is True
    assert found.get("LocalSocket") == "/run/clamav/clamd.ctl"
    assert found.all("DatabaseMirror") == ["a", "b"]
    roots = Roots(system=tmp_path / "tree")
    assert conf.database_dir(roots, found) == tmp_path / "tree/var/lib/clamav"  # the stock path, in the tree
    assert conf.read(tmp_path / "none.conf").exists is False


def test_freshclams_offline_failure_from_its_update_log():
    lines = (DATA / "freshclam-offline.log").read_text().splitlines()
    attempt = freshclam.last_attempt(lines)
    assert attempt.result == "failed" and not attempt.ok
    assert attempt.started_text == "Tue Dec  1 16:19:21 2026"
    # freshclam wrote two messages on one line; each is its own error here
    assert attempt.errors[:2] == (
        "remote_cvdhead: Download failed (6)",
        "Message: Couldn't resolve host name",
    )
    assert attempt.errors[-1] == "Update failed."


def test_freshclams_stdout_puts_the_level_first():
    lines = [
        "ClamAV update process started at Tue Dec  1 16:19:21 2026",
        "WARNING: Tue Dec  1 16:19:21 2026 -> Can't query current.cvd.clamav.net",
        "ERROR: Tue Dec  1 16:19:21 2026 -> Update failed.",
    ]
    assert freshclam.messages(lines)[1:] == [
        "WARNING: Can't query current.cvd.clamav.net",
        "ERROR: Update failed.",
    ]
    assert freshclam.last_attempt(lines).errors == ("Update failed.",)


def test_a_good_update_and_the_last_of_several_attempts():
    lines = [
        "Mon Nov 30 03:00:00 2026 -> ClamAV update process started at Mon Nov 30 03:00:00 2026",
        "Mon Nov 30 03:00:01 2026 -> ERROR: Update failed.",
        "Tue Dec  1 03:00:00 2026 -> ClamAV update process started at Tue Dec  1 03:00:00 2026",
        "Tue Dec  1 03:00:02 2026 -> daily.cld updated "
        "(version: 27501, sigs: 2070100, f-level: 90, builder: raynman)",
        "Tue Dec  1 03:00:02 2026 -> main.cvd database is up-to-date "
        "(version: 62, sigs: 6647427, f-level: 90, builder: sigmgr)",
        "Tue Dec  1 03:00:03 2026 -> Clamd successfully notified about the update.",
    ]
    attempt = freshclam.last_attempt(lines)
    assert attempt.result == "updated" and attempt.ok
    assert [(d.database, d.outcome) for d in attempt.databases] == [
        ("daily", "updated"),
        ("main", "up-to-date"),
    ]
    assert freshclam.last_attempt(lines[:1] + lines[3:5][1:]).result == "up to date"
    assert freshclam.last_attempt(["nothing yet"]) is None
