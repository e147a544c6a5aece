"""Nothing the panel prints bypasses Django's autoescaping (the audit's stored XSS, issue 6).

Help texts, errors and notices quote the server's files and the agent's messages; the templates
escape them as long as no template marks a value safe and no code builds a SafeString from them.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNSAFE_TEMPLATE = re.compile(r"\|\s*safe\b|\{%\s*autoescape\s+off")
UNSAFE_PYTHON = re.compile(r"\bmark_safe\b|\bSafeString\b|\bSafeText\b|\|safe\b")


def _offenders(paths, pattern):
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]


def test_no_template_marks_a_value_safe():
    assert _offenders(sorted((ROOT / "templates").rglob("*.html")), UNSAFE_TEMPLATE) == []


def test_no_panel_code_marks_text_safe():
    assert _offenders(sorted((ROOT / "mailserver").rglob("*.py")), UNSAFE_PYTHON) == []
