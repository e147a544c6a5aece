"""What a change's page shows, for the link to it and for the page itself.

A change to a file (a control file, a run script, Courier's or SpamAssassin's settings) and the
queue's changes are shown as a diff. A service's Start, Stop, Restart or start at boot changed no
file: its page shows the service's state before and after, not a diff of two status lines.
"""

from __future__ import annotations

from django import template

from ..models import Change

register = template.Library()


@register.filter
def service_state(change: Change) -> bool:
    """``service qmail-send``: a service's state; ``service qmail-smtpd/run`` is its run script, a file."""
    return change.target.startswith("service ") and "/" not in change.target


@register.filter
def shown_as(change: Change) -> str:
    """The words of the link to the change's page."""
    return "state before/after" if service_state(change) else "diff"
