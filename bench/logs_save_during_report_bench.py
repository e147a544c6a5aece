"""A save on the MTA page while whole-log reports run: does the admin feel the reports?

    .venv/bin/python bench/logs_save_during_report_bench.py var/bench/send [--saves 100]

The stack of bench/mta_save_bench.py (Redis, the signed agent, gunicorn, a logged-in browser)
plus the agent's reads worker group (node.bench.reads, which also runs the log follower), over a
server whose qmail-send log is the bench log (hard links). Three runs of --saves saves each:

1. nothing else running (the MTA save bench's own figure, measured here in the same conditions);
2. while whole-log ``top-senders`` reports that read the log itself (``source: log``, the
   streaming tools: a core busy for the whole report) run back to back;
3. while the same reports answer from the delivery index, back to back.

Reports go to node.bench.reads, saves to node.bench: a report never holds a save's worker.
Prints the p50/p99 of each run as Markdown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import mta_save_bench  # noqa: E402
from tests.support.stack import (  # noqa: E402
    agent_only_env,
    enrolled_env,
    free_port,
    running_agent,
    running_redis,
)


def saves(port: int, count: int, roots) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """mta_save_bench.run's loop, returning its figures instead of printing them."""
    import contextlib
    import io
    import json

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        mta_save_bench.run(port, count, roots)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def reports_loop(source: str, stop: threading.Event, done: list[float]) -> None:
    from mailserver.core import agent

    payload = {"period": {"last": "10000 days"}, "report": "top-senders", "source": source}
    while not stop.is_set():
        began = time.perf_counter()
        agent.call("agent.logs.report", payload, timeout=600)
        done.append(time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log_dir", type=Path, nargs="?", default=REPO / "var" / "bench" / "send")
    parser.add_argument("--saves", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodeworx-bench-", dir=REPO / "var" / "bench"))
    redis_port, web_port = free_port(), free_port()
    env = {
        "NODEWORX_SERVER_ROOT": str(work / "server"),
        "NODEWORX_SMTPD_USER": "nobody",
        "NODEWORX_LOG_USER": "nobody",
        "NODEWORX_SECRET_KEY": "bench-only",
        "NODEWORX_DATABASE_URL": f"sqlite:///{work}/panel.sqlite3",
        "NODEWORX_AGENT_TIMEOUT": "600",
    }
    os.environ.update(env)
    env.update(enrolled_env(work, "bench", redis_port))
    from mailserver.agent.config import load
    from mailserver.demo.builder import build

    roots = load().roots
    build(roots, smtpd_user="nobody", log_user="nobody")
    send = roots.log_dir("send")
    for old in send.iterdir():
        old.unlink()
    for path in [*sorted(args.log_dir.glob("@*.s")), args.log_dir / "current"]:
        os.link(path, send / path.name)
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=REPO, check=True)
    subprocess.run(
        [
            py,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nodeworx.settings';"
            "django.setup(); from django.contrib.auth.models import User;"
            "User.objects.create_superuser('admin', 'a@example.test', 'bench-pass')",
        ],
        cwd=REPO,
        check=True,
    )
    agent_env = agent_only_env(work)
    with (
        running_redis(work / "redis", redis_port, password_file=work / "keys" / "broker.pass"),
        running_agent(agent_env, "node.bench", work / "agent.log"),
        running_agent(agent_env, "node.bench.reads", work / "agent-reads.log"),
    ):
        web = subprocess.Popen(
            [
                str(Path(py).with_name("gunicorn")),
                "nodeworx.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                "2",
            ],
            cwd=REPO,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nodeworx.settings")
            import django

            django.setup()  # mailserver.core.agent records changes in the panel's models
            from mailserver.core import agent

            began = time.monotonic()
            while agent.call("agent.logs.index", {}, timeout=30)["state"] != "ready":
                time.sleep(2)  # the reads workers' follower builds the index first
            built = time.monotonic() - began
            results = {"alone": saves(web_port, args.saves, roots)}
            for source in ("log", "index"):
                stop, done = threading.Event(), []
                thread = threading.Thread(target=reports_loop, args=(source, stop, done), daemon=True)
                thread.start()
                time.sleep(2 if source == "log" else 0.5)  # the first report is well under way
                results[source] = saves(web_port, args.saves, roots)
                stop.set()
                thread.join()
                results[source]["reports"] = len(done)
                results[source]["report_s"] = statistics.median(done) if done else float("nan")
        finally:
            web.terminate()
            web.wait(10)
    print(f"Index built by the reads workers' follower in {built:.0f} s (while nothing else ran).\n")
    print("| saves (MTA page, HTTP) | p50 | p99 | whole-log `top-senders` reports meanwhile |")
    print("|---|---|---|---|")
    alone = results["alone"]
    print(f"| alone | {alone['p50_ms']} ms | {alone['p99_ms']} ms | none |")
    for source, label in (("log", "reading the log"), ("index", "from the index")):
        r = results[source]
        ratio = r["p50_ms"] / alone["p50_ms"]
        print(
            f"| during reports {label} | {r['p50_ms']} ms ({ratio:.2f}×) | {r['p99_ms']} ms | "
            f"{r['reports']} reports, {r['report_s']:.1f} s each |"
        )


if __name__ == "__main__":
    main()
