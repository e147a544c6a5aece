"""clamd's and freshclam's run scripts."""

from __future__ import annotations

import subprocess

from mailserver.clamav import scripts


def test_both_read_back_and_keep_the_daemons_in_the_foreground(tmp_path):
    for daemon in ("clamd", "freshclam"):
        text = scripts.render(daemon, f"/etc/clamav/{daemon}.conf", scripts.PROGRAMS[daemon])
        (tmp_path / daemon).write_text(text)
        subprocess.run(["/bin/sh", "-n", str(tmp_path / daemon)], check=True)
        exec_line = text[text.rindex("\nexec ") :]
        assert "--foreground" in exec_line and "softlimit" not in exec_line  # threaded: -m would kill clamd
        assert scripts.parse(daemon, text, scripts.PROGRAMS[daemon]) == scripts.ClamScript(
            f"/etc/clamav/{daemon}.conf", True, False
        )
    assert scripts.parse("clamd", "#!/bin/sh\nexec clamd\n", "/usr/sbin/clamd").managed is False
