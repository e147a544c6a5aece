"""A save while whole-log reports run: does the admin feel the reports?

    .venv/bin/python bench/logs_save_during_report_bench.py var/bench/send [--saves 200]

The agent of bench/mta_save_bench.py (Redis with the project's ACL, the signed Celery worker
on node.bench) plus its reads worker group (node.bench.reads, which also runs the log follower
that builds the delivery index), over a server whose qmail-send log is the bench log (hard
links). A save is what the MTA page's Save does at the agent: ``agent.mta.write_controls`` of a
new control/databytes (validate, sha256 check, atomic write with fsyncs, MTA state read back),
timed round trip from this process; the file is checked after each. Three runs:

1. nothing else running;
2. while whole-log ``top-senders`` reports that read the log itself (``source: log``, the
   streaming tools: a core busy for each whole report) run back to back;
3. while the same reports answer from the delivery index, back to back.

Reports go to node.bench.reads, saves to node.bench: a report never holds a save's worker; what
is left is the competition for the two CPUs. Prints the p50/p99 of each run as Markdown.
(mta_save_bench.py measures the whole HTTP save; its agent part was 9.4 ms of the 15 ms p50.)
"""

# ruff: noqa: E501  (Markdown table lines)

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.stack import (  # noqa: E402
    agent_only_env,
    enrolled_env,
    free_port,
    running_agent,
    running_redis,
)


def saves(count: int, roots) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from mailserver.core import agent

    timings = []
    value = 10 * 1024 * 1024
    for _ in range(count + 10):
        value += 1
        began = time.perf_counter()
        agent.call("agent.mta.write_controls", {"files": {"databytes": {"value": str(value)}}})
        timings.append((time.perf_counter() - began) * 1000)
        assert roots.control("databytes").read_text() == f"{value}\n"
    samples = sorted(timings[10:])  # the first saves warm up the worker and the connections
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
    }


def reports_loop(source: str, stop: threading.Event, done: list[float]) -> None:
    from mailserver.core import agent

    payload = {"period": {"last": "10000 days"}, "report": "top-senders", "source": source}
    while not stop.is_set():
        began = time.perf_counter()
        agent.call("agent.logs.report", payload, timeout=290)  # the longest a signed call may wait
        done.append(time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log_dir", type=Path, nargs="?", default=REPO / "var" / "bench" / "send")
    parser.add_argument("--saves", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodeworx-bench-", dir=REPO / "var" / "bench"))
    redis_port = free_port()
    env = {
        "NODEWORX_SERVER_ROOT": str(work / "server"),
        "NODEWORX_SMTPD_USER": "nobody",
        "NODEWORX_LOG_USER": "nobody",
        "NODEWORX_SECRET_KEY": "bench-only",
        "NODEWORX_AGENT_TIMEOUT": "30",
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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nodeworx.settings")
    import django

    django.setup()  # mailserver.core.agent imports the panel's change log models
    from mailserver.core import agent

    agent_env = agent_only_env(work)
    with (
        running_redis(work / "redis", redis_port, password_file=work / "keys" / "broker.pass"),
        running_agent(agent_env, "node.bench", work / "agent.log"),
        running_agent(agent_env, "node.bench.reads", work / "agent-reads.log"),
    ):
        began = time.monotonic()
        while True:  # the reads workers' follower builds the index first
            try:
                if agent.call("agent.logs.index", {}, timeout=30)["state"] == "ready":
                    break
            except agent.AgentError:
                pass  # the worker is still starting
            time.sleep(2)
        built = time.monotonic() - began
        results: dict[str, dict[str, float]] = {"alone": saves(args.saves, roots)}
        for source in ("log", "index"):
            stop, done = threading.Event(), []
            thread = threading.Thread(target=reports_loop, args=(source, stop, done), daemon=True)
            thread.start()
            time.sleep(2 if source == "log" else 0.5)  # the first report is well under way
            results[source] = saves(args.saves, roots)
            stop.set()
            thread.join()
            results[source]["reports"] = len(done)
            results[source]["report_s"] = statistics.median(done) if done else float("nan")
    print(f"Index built by the reads workers' follower in {built:.0f} s (while nothing else ran).\n")
    print(
        "| saves (agent.mta.write_controls round trip) | p50 | p99 | whole-log `top-senders` reports meanwhile |"
    )
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
