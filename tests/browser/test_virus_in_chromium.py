"""An admin turns SMTP-level virus scanning on in a real Chromium, finds it in control/simcontrol
and on the reloaded page, and turns it off again; the EICAR button answers in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility_axe import axe_page, check, log_in, summary  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
SWITCH = "SMTP-Level Virus Scanning"


def _save_switch(page: Page, on: bool) -> None:
    box = page.get_by_test_id("section-clamav")
    box.get_by_label(SWITCH).set_checked(on)
    box.get_by_test_id("save-clamav").click()
    expect(page.get_by_test_id("section-clamav").get_by_test_id("notice")).to_contain_text(
        f"control/simcontrol now turns SMTP-level virus scanning {'on' if on else 'off'}"
    )


def test_admin_turns_smtp_virus_scanning_on_and_finds_it_in_simcontrol(logged_in_page, live_server, roots):
    page = logged_in_page
    simcontrol = roots.control("simcontrol")
    assert not simcontrol.exists()  # the captured server has none: scanning is off
    page.goto(f"{live_server.url}/mailserver/virus/")
    expect(page.get_by_test_id("section-clamav").get_by_label(SWITCH)).not_to_be_checked()

    _save_switch(page, on=True)
    assert simcontrol.read_text() == ":clam=yes,spam=no,spam_hits=10.0\n"
    expect(page.get_by_test_id("service-clamd")).to_be_visible()  # the box keeps its service cards
    page.reload()
    expect(page.get_by_test_id("section-clamav").get_by_label(SWITCH)).to_be_checked()
    expect(page.get_by_test_id("scanning-inactive")).to_contain_text("no mail is scanned")  # no simscan here
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "virus-page.png"), full_page=True)

    _save_switch(page, on=False)  # and back as it was
    assert simcontrol.read_text() == ":clam=no,spam=no,spam_hits=10.0\n"
    page.reload()
    expect(page.get_by_test_id("section-clamav").get_by_label(SWITCH)).not_to_be_checked()


def test_the_eicar_button_answers_in_place(logged_in_page, live_server, roots):
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/virus/")
    page.get_by_test_id("scan-eicar").click()
    expect(page.get_by_test_id("eicar-error")).to_contain_text("clamd")  # no clamd on this server
    assert page.url == f"{live_server.url}/mailserver/virus/"


def test_by_keyboard_the_eicar_button_keeps_the_focus_while_its_answer_comes(
    logged_in_page, live_server, roots
):
    page = logged_in_page
    page.goto(f"{live_server.url}/mailserver/virus/")
    button = page.get_by_test_id("scan-eicar")
    button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("eicar-error")).to_contain_text("clamd")  # no clamd on this server
    expect(page.locator("#eicar-result[role=status]")).to_contain_text("clamd")  # read out as it comes
    expect(button).to_be_focused()  # not dropped to the page's top with the button it replaced
    page.keyboard.press("Enter")  # and a second test is one key away
    expect(page.get_by_test_id("eicar-error")).to_have_count(1)


def test_at_1280_px_the_definitions_sit_beside_the_clamav_box(logged_in_page, live_server, roots):
    page = logged_in_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/mailserver/virus/")
    clamav = page.get_by_test_id("section-clamav").bounding_box()
    definitions = page.get_by_test_id("definitions").bounding_box()
    updates = page.get_by_test_id("updates").bounding_box()
    assert clamav and definitions and updates
    assert definitions["y"] == clamav["y"]  # beside it: no empty half-row at the top
    assert definitions["x"] > clamav["x"] + clamav["width"]
    assert updates["y"] >= definitions["y"] + definitions["height"]  # under it, each as tall as its content


def test_the_virus_page_after_a_save_and_an_eicar_test_has_no_violation(axe_page, admin_user, roots):  # noqa: F811
    log_in(axe_page)
    axe_page.goto("/mailserver/virus/")
    _save_switch(axe_page, on=True)
    axe_page.get_by_test_id("scan-eicar").click()
    expect(axe_page.get_by_test_id("eicar-error")).to_be_visible()
    report: dict[str, list[str]] = {}
    check(axe_page, "Virus Filtering, saved and EICAR tested", report)
    assert not report, summary(report)
