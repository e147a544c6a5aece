"""Post a box of a page of sections (MTA, Spam Filtering, …) the way the browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mailserver.core import agent
from mailserver.core.sections.declaration import SectionPage


def section_data(page: SectionPage, slug: str, **changes: Any) -> dict[str, Any]:
    """What the browser would post for a box: the page's values as read now, with the admin's changes.

    A change of ``True`` ticks a checkbox, ``False`` unticks it (an unticked box is not posted).
    """
    section = page.section(slug)
    assert section is not None, f"{page.namespace} has no box {slug!r}"
    form = section.form(state=page.shaped(agent.call(page.read)), prefix=slug)
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


def post_section(client: Client, page: SectionPage, slug: str, **changes: Any) -> Any:
    data = section_data(page, slug, **changes)
    return client.post(f"/mailserver/{page.namespace}/save/{slug}/", data, HTTP_HX_REQUEST="true")
