"""spamd's run script, and how the panel finds spamd from it."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest

from mailserver.qmail.errors import FieldError
from mailserver.qmail.paths import Roots
from mailserver.spamassassin import spamd

PARAMS = spamd.SpamdParams(site_dir="/etc/spamassassin", home_dir="/var/lib/spamassassin", port=7830)


def test_the_script_reads_back_and_runs_spamd_in_the_foreground(tmp_path):
    text = spamd.render(PARAMS)
    (tmp_path / "run").write_text(text)
    subprocess.run(["/bin/sh", "-n", str(tmp_path / "run")], check=True)
    exec_line = text[text.rindex("\nexec ") :]
    assert (
        " -d " not in exec_line and "--daemonize" not in exec_line
    )  # supervise keeps the process it started
    assert '-x \\\n    --virtual-config-dir="$HOME_DIR/users/%u"' in text
    assert spamd.parse(text, PARAMS.spamd) == spamd.SpamdScript(PARAMS, True, False)
    edited = spamd.parse(text.replace("LISTEN_PORT=7830", "LISTEN_PORT=7831"), PARAMS.spamd)
    assert edited.hand_edited is True and edited.params.port == 7831


def test_bad_values_are_refused():
    for bad in (replace(PARAMS, allowed_ips="127.0.0.1;rm"), replace(PARAMS, max_children=0),
                replace(PARAMS, site_dir="etc/spamassassin")):  # fmt: skip
        with pytest.raises(FieldError):
            spamd.render(bad)


def test_spamd_is_found_where_another_hands_run_script_listens(tmp_path):
    roots = Roots(service=tmp_path / "service", system=tmp_path)
    (tmp_path / "service/spamd").mkdir(parents=True)
    (tmp_path / "service/spamd/run").write_text(
        "#!/bin/sh\nexec /usr/sbin/spamd -x -u spamd --port 7831 -i 127.0.0.2 -s stderr 2>&1\n"
    )
    params, script = spamd.configured(roots)
    assert (params.port, params.address, params.user) == (7831, "127.0.0.2", "spamd")
    assert script is not None and script.managed is False
    (tmp_path / "service/spamd/run").unlink()
    assert spamd.configured(roots)[0].port == 783 and spamd.configured(roots)[1] is None


def test_a_spamd_that_does_not_answer():
    assert spamd.ping("127.0.0.1", 9, timeout=0.5) is False  # the discard port: nothing listens
    with pytest.raises(spamd.SpamdUnreachable):
        spamd.check("127.0.0.1", 9, spamd.GTUBE, timeout=0.5)
