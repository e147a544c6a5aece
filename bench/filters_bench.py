"""What a Spam or Virus Filtering page costs on the mail host: lint, spamd's restart, clamd's answers.

Builds a throw-away site directory (Debian's *.pre files) and an offline clamd (one EICAR
signature) under a temporary directory, runs the real programs, and prints medians:

- ``spamassassin --lint`` on a candidate copy, clean and with two bad lines (every save pays one);
- spamd from start to its first PONG (what a save's restart costs before GTUBE scores again),
  and one CHECK of GTUBE;
- clamd from start to its first answer, pyclamd's PING+VERSION (every Virus page load and every
  mail alert) and an INSTREAM scan of EICAR.

Rerun: ``.venv/bin/python bench/filters_bench.py [--runs 5]`` as root (about a minute).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from mailserver.clamav import clamd
from mailserver.spamassassin import lint, localcf, spamd
from mailserver.spamassassin.settings import SpamSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(action: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        out.append(time.perf_counter() - start)
    return out


def show(label: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"| {label} | {len(ms)} | {statistics.median(ms):.1f} ms | {ms[0]:.1f} ms | {ms[-1]:.1f} ms |")


def wait(predicate: Callable[[], bool], timeout: float = 60) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise RuntimeError("timed out")
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="nodeworx-filters-bench-"))
    work.chmod(0o711)  # spamd's user reads its site directory
    site = work / "spamassassin"
    site.mkdir()
    for pre in Path("/etc/spamassassin").glob("*.pre"):
        shutil.copyfile(pre, site / pre.name)
    home = work / "spamd-home"
    home.mkdir()
    spamd_user = pwd.getpwnam("debian-spamd")
    os.chown(home, spamd_user.pw_uid, spamd_user.pw_gid)
    processes: list[subprocess.Popen[bytes]] = []
    print("| what | runs | median | min | max |\n|---|---|---|---|---|")
    try:
        clean = localcf.render(replace(SpamSettings(), auto_whitelist=True, trusted_networks=("10.0.0.0/8",)))
        bad = localcf.render(replace(SpamSettings(), advanced="no_such_directive 1\nheader X Subject =~ /(/"))

        def run_lint(rendered: localcf.Rendered) -> lint.LintResult:
            return lint.lint_candidate(
                site, rendered, spamassassin=Path("/usr/bin/spamassassin"),
                setuidgid=Path("/usr/bin/setuidgid"), user="debian-spamd",
            )  # fmt: skip

        show("lint, clean candidate", timed(lambda: run_lint(clean), runs))
        show("lint, two bad lines", timed(lambda: run_lint(bad), runs))

        port = free_port()
        params = spamd.SpamdParams(
            site_dir=str(site), home_dir=str(home), port=port, max_children=2, network_tests=False
        )
        script = work / "spamd.run"
        script.write_text(spamd.render(params))
        starts = []
        for _ in range(runs):
            process = subprocess.Popen(
                ["/bin/sh", str(script)], stdout=subprocess.DEVNULL, start_new_session=True
            )
            processes.append(process)
            starts.append(wait(lambda: spamd.ping("127.0.0.1", port, timeout=0.5)))
            show_gtube = timed(lambda: spamd.check("127.0.0.1", port, spamd.GTUBE), 5)
            process.terminate()
            process.wait(timeout=30)
        show("spamd start to first PONG", starts)
        show("spamd CHECK of GTUBE (last start)", show_gtube)

        database = work / "clamav"
        database.mkdir()
        (database / "test.hdb").write_text("44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n")
        sock = work / "clamd.ctl"
        conf = work / "clamd.conf"
        conf.write_text(f"LocalSocket {sock}\nDatabaseDirectory {database}\nForeground yes\n")
        where = clamd.Endpoint(sock, None, None)
        clamd_starts = []
        for _ in range(runs):
            process = subprocess.Popen(
                ["/usr/sbin/clamd", "--foreground", f"--config-file={conf}"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            processes.append(process)
            clamd_starts.append(wait(lambda: clamd.ask(where, 1.0).answering))
            asks = timed(lambda: clamd.ask(where), 50)
            scans = timed(lambda: clamd.scan(where), 50)
            process.terminate()
            process.wait(timeout=30)
        show("clamd start to first answer (1 signature)", clamd_starts)
        show("pyclamd PING + VERSION", asks)
        show("pyclamd INSTREAM of EICAR", scans)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
