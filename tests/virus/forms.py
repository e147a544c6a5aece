"""Post the Virus Filtering page's ClamAV box the way the browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mailserver.core import agent
from mailserver.protocol import Op
from mailserver.virus.sections import PAGE

SAVE = "/mailserver/virus/save/clamav/"


def clamav_box(clam: bool) -> dict[str, Any]:
    """The box as the page shows it now (its ``seen``), with the switch set to ``clam``."""
    form = PAGE.sections[0].form(state=agent.call(Op.VIRUS_READ_STATE), prefix="clamav")
    data: dict[str, Any] = {form.add_prefix("seen"): form.initial["seen"]}
    if clam:
        data[form.add_prefix("clam")] = "on"  # an unticked checkbox is not posted at all
    return data


def save_clamav_box(client: Client, clam: bool) -> Any:
    return client.post(SAVE, clamav_box(clam), HTTP_HX_REQUEST="true")
