"""The URLs of a page of sections: the page, and one save per box (``<namespace>:page``, ``:save``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import flow
from .declaration import SectionPage


def section_urls(page: SectionPage) -> list[URLPattern]:
    return [
        path("", flow.show, {"page": page}, name="page"),
        path("save/<slug:slug>/", flow.save, {"page": page}, name="save"),
    ]
