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
import html as html_lib
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
from html.parser import HTMLParser
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


class FormFields(HTMLParser):
    """What a browser would post from the form whose action is ``action``: every named input
    (checked boxes only), select and textarea, with the values the page gave them."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action or a.get("hx-post") == self.action
        elif not self.inside or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[a["name"]] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.fields):
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(html)
    if not parser.fields:
        raise RuntimeError(f"no form posting to {action} in the page")
    return parser.fields


def hidden(html: str, name: str) -> str:
    """A field's value as the page rendered it (attributes in any order)."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html_lib.unescape(value.group(1)) if value else ""
    raise RuntimeError(f"no field {name}")


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


PREFIX = "inbound"  # the box's slug in mailserver/mta/sections.py: its form's prefix and save URL
SAVE = f"/mailserver/mta/save/{PREFIX}/"
DATABYTES = f"{PREFIX}-databytes"


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
    # The box as a browser posts it: every field of its form, with what the page showed.
    fields = form_fields(html, SAVE)
    print("posting the fields", sorted(fields), file=sys.stderr)
    assert DATABYTES in fields and f"{PREFIX}-seen" in fields, sorted(fields)
    timings = []
    value = 10 * 1024 * 1024  # a usual size: below 10 KB the page asks for a confirmation first
    for _ in range(saves + 10):
        value += 1
        fields[DATABYTES] = str(value)
        start = time.perf_counter()
        status, html = browser.request("POST", SAVE, fields, {"HX-Request": "true"})
        timings.append((time.perf_counter() - start) * 1000)
        assert status == 200 and "Saved" in html, html[:500]
        assert roots.control("databytes").read_text() == f"{value}\n"
        fields = form_fields(html, SAVE)  # the box again, with what the admin now sees
    samples = sorted(timings[10:])  # the first saves warm up workers and connections
    p50 = statistics.median(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        json.dumps(
            {
                "saves": len(samples),
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "p99_ms": round(p99, 1),
                "mean_ms": round(statistics.fmean(samples), 1),
                "max_ms": round(samples[-1], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
