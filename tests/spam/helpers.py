"""Post a box of the Spam Filtering page the way the browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.spam.sections import PAGE


def section_data(slug: str, **changes: Any) -> dict[str, Any]:
    """What the browser would post for a box: the page's values as read now, with the admin's changes."""
    section = PAGE.section(slug)
    assert section is not None
    form = section.form(state=agent.call(Op.SPAM_READ_STATE), prefix=slug)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        data[form.add_prefix(name)] = "" if value is None else value
    for name, value in changes.items():
        key = form.add_prefix(name)
        if value is False:
            data.pop(key, None)
        else:
            data[key] = "on" if value is True else value
    return data


def post_section(client: Client, slug: str, **changes: Any):
    return client.post(
        f"/mailserver/spam/save/{slug}/", section_data(slug, **changes), HTTP_HX_REQUEST="true"
    )
