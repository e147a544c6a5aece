"""What a page of boxes declares: its sections, and for each what it edits and what saving calls.

A page is a :class:`SectionPage` (the operation its state is read with, its sections, its
template) and each box a :class:`Section` (its form, the operation a save calls, the services
and run script it shows). The flow in ``flow.py`` shows, saves and refuses every one of them
the same way, so a new page needs no change to shared code: its ``sections.py``, its forms
and a line in its ``urls.py`` (``section_urls(PAGE)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mailserver.protocol import Op

from .forms import SectionForm


@dataclass(frozen=True)
class Section:
    slug: str  # its anchor (#section-SLUG), form prefix and save URL
    title: str  # its one heading
    form: type[SectionForm]
    op: Op  # the write operation a save calls
    intro: str = ""
    services: tuple[str, ...] = ()  # service cards shown in the box, by registry name
    run_script: str | None = None  # the service whose run script the box edits (its status is shown)
    details: str | None = None  # a template of the page's own with more about the box's subject
    # The key of the page's state that the operation answers with alone ("smtp_scanning" for
    # SIMSCAN_WRITE): after a save the page is read again, so the box shows its services too.
    answers_part: str | None = None
    # How long a save waits for the agent (None: the configured default): a save that lints and
    # restarts a daemon (the spam settings: spamassassin --lint, then spamd) takes longer.
    timeout: float | None = None


@dataclass(frozen=True)
class SectionPage:
    namespace: str  # the URL namespace: "<namespace>:page", "<namespace>:save"
    title: str  # the page's heading
    crumb: str  # its name in the breadcrumb and the window title
    read: Op  # the read its state comes from (a mapping with "services" and, if used, "scripts")
    sections: tuple[Section, ...]
    template: str = "sections/page.html"  # a page's own may extend it
    # More for the page's template (a route tester's form, say), from the state read.
    extra_context: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    # The state as the boxes read it, from the agent's (a read's, or a save's "state"): for a page
    # whose state keeps its services' statuses elsewhere than in "services" (the MDA page, per server).
    shape: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    # The notice after a save, from the operation's answer and the shaped state (default:
    # effects.describe_effects): for operations that also restart a service and say so.
    describe: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None

    def shaped(self, state: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.shape(state) if self.shape else state

    def section(self, slug: str) -> Section | None:
        return next((section for section in self.sections if section.slug == slug), None)
