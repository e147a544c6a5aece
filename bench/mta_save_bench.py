"""Bench: the agent round trip as the admin feels it.

Each sample is one HTTP POST of the MTA page's "SMTP Inbound Options" box (a new
Message Size) to a real gunicorn running the panel, which reads the state through
the agent, has the signed Celery worker validate and write control/databytes
atomically, records the change, and answers with the re-rendered box. The sample
ends when the response is in; the file is then checked to hold the new value.

Run: .venv/bin/python bench/mta_save_bench.py [--saves 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
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


class Browser:
    """Just enough of a browser: one keep-alive connection, cookies, CSRF."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None, headers=None):
        body = urllib.parse.urlencode(fields) if fields is not None else None
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if body is not None:
            head["Content-Type"] = "application/x-www-form-urlencoded"
            head["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            head["Referer"] = "http://127.0.0.1/"
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        data = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    if not match:
        raise RuntimeError(f"no field {name}")
    return match.group(1).replace("&quot;", '"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodeworx-bench-"))
    redis_port, web_port = free_port(), free_port()
    env = {
        "NODEWORX_SERVER_ROOT": str(work / "server"),
        "NODEWORX_SMTPD_USER": "nobody",
        "NODEWORX_LOG_USER": "nobody",
        "NODEWORX_SECRET_KEY": "bench-only",
        "NODEWORX_DATABASE_URL": f"sqlite:///{work}/panel.sqlite3",
    }
    os.environ.update(env)
    env.update(enrolled_env(work, "bench", redis_port))
    from mailserver.agent.config import load
    from mailserver.demo.builder import build

    build(load().roots, smtpd_user="nobody", log_user="nobody")
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
    with (
        running_redis(work / "redis", redis_port, password_file=work / "keys" / "broker.pass"),
        running_agent(agent_only_env(work), "node.bench", work / "agent.log"),
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
            run(web_port, args.saves, load().roots)
        finally:
            web.terminate()
            web.wait(10)


def run(port: int, saves: int, roots) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            browser = Browser(port)
            status, html = browser.request("GET", "/login/")
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    browser.request(
        "POST",
        "/login/",
        {
            "username": "admin",
            "password": "bench-pass",
            "csrfmiddlewaretoken": hidden(html, "csrfmiddlewaretoken"),
        },
    )
    status, html = browser.request("GET", "/mailserver/mta/")
    assert status == 200, status
    fields = {name: hidden(html, name) for name in ("inbound-seen",)}
    for name in ("inbound-smtpgreeting", "inbound-concurrencyincoming", "inbound-timeoutsmtpd"):
        fields[name] = hidden(html, name) if f'name="{name}" value=' in html else ""
    timings = []
    value = 10 * 1024 * 1024  # a usual size: below 10 KB the page asks for a confirmation first
    for _ in range(saves + 10):
        value += 1
        fields["inbound-databytes"] = str(value)
        start = time.perf_counter()
        status, html = browser.request(
            "POST", "/mailserver/mta/save/inbound/", fields, {"HX-Request": "true"}
        )
        timings.append((time.perf_counter() - start) * 1000)
        assert status == 200 and "Saved" in html, html[:500]
        assert roots.control("databytes").read_text() == f"{value}\n"
        fields["inbound-seen"] = hidden(html, "inbound-seen")
    samples = sorted(timings[10:])  # the first saves warm up workers and connections
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        json.dumps(
            {
                "saves": len(samples),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "max_ms": round(samples[-1], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
