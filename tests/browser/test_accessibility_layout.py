"""The layout works by keyboard and on a phone, under the real Content-Security-Policy.

A skip link leads past the navigation, the focus ring is thick and contrasting, the sidebar
folds into a menu below 768 px, every icon has a glyph and the favicon is served.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mailserver.core.navigation import MAIL_SERVER_PAGES
from mailserver.core.templatetags.panel import page_url

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 375, "height": 740}
TABLET = {"width": 767, "height": 900}
DESKTOP = {"width": 1280, "height": 900}

UNNAMED_NAV = "nav:not([aria-label]):not([aria-labelledby]), [role=navigation]:not([aria-label])"
CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective));
"""

# The focused element's outline, and the first opaque background behind it.
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement, background = "rgb(255, 255, 255)";
  for (; node; node = node.parentElement) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg !== "rgba(0, 0, 0, 0)" && bg !== "transparent") { background = bg; break; }
  }
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor,
          background: background, text: el.textContent.trim()};
}"""


def luminance(css: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"[0-9.]+", css)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    # Bootstrap's link blue on its light grey: axe reported 4.26:1.
    assert contrast("rgb(13, 110, 253)", "rgb(248, 249, 250)") == pytest.approx(4.26, abs=0.01)


@pytest.fixture
def panel(logged_in_page: Page) -> Page:
    logged_in_page.add_init_script(CSP_VIOLATIONS)
    logged_in_page.emulate_media(reduced_motion="reduce")  # no slide-in for a click to race
    logged_in_page.reload()
    return logged_in_page


def test_the_first_tab_shows_a_skip_link_that_moves_focus_to_the_content(panel: Page) -> None:
    skip = panel.get_by_role("link", name="Skip to main content")
    expect(skip).not_to_be_in_viewport()  # hidden until focused
    panel.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    panel.keyboard.press("Enter")
    expect(panel.locator("main#main")).to_be_focused()
    panel.keyboard.press("Tab")  # the next stop is inside the content, past every navigation link
    assert panel.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_the_focus_ring_is_thick_and_contrasts_with_what_is_around_it(panel: Page) -> None:
    seen = []
    for _ in range(12):  # brand, top links, log out, sidebar links, breadcrumb…, on dark and light
        panel.keyboard.press("Tab")
        ring = panel.evaluate(FOCUS_RING)
        seen.append(ring["text"])
        assert ring["style"] == "solid" and ring["width"] >= 3, ring
        assert contrast(ring["color"], ring["background"]) >= 3, ring
    assert {"NodeWorx", "Log out", "MTA", "Mail Logs"} <= set(seen)
    assert panel.evaluate("window.__cspViolations") == []


def test_below_768px_the_sidebar_is_a_menu_opened_from_the_top_bar(panel: Page) -> None:
    sections = panel.get_by_role("navigation", name="Mail Server")
    menu = panel.get_by_test_id("menu-button")
    panel.set_viewport_size(DESKTOP)
    expect(sections).to_be_visible()
    expect(menu).to_be_hidden()

    for size in (TABLET, PHONE):
        panel.set_viewport_size(size)
        expect(sections).to_be_hidden()
        expect(menu).to_be_visible()
        # The page's own content starts in the first screen, not below six navigation links.
        box = panel.get_by_role("heading", level=1).bounding_box()
        assert box is not None and box["y"] < 250, box

    menu.click()
    expect(sections).to_be_visible()
    expect(sections.get_by_role("link", name="MTA")).to_have_attribute("aria-current", "page")
    panel.keyboard.press("Escape")
    expect(sections).to_be_hidden()
    expect(menu).to_be_focused()  # focus returns to where the admin was

    menu.click()
    expect(sections).to_be_visible()
    sections.get_by_role("link", name="Mail Logs").click()
    panel.wait_for_url("**/mailserver/logs/")
    expect(panel.get_by_role("navigation", name="Mail Server")).to_be_hidden()
    assert panel.evaluate("window.__cspViolations") == []


def test_no_page_scrolls_sideways_at_320px(panel: Page, live_server) -> None:
    # WCAG 1.4.10 Reflow, which axe does not measure; wide tables scroll inside their own box.
    wider = {}
    panel.set_viewport_size({"width": 320, "height": 640})
    paths = ["/", "/changes/", "/account/two-factor/", *(page_url(p) for p in MAIL_SERVER_PAGES)]
    for path in paths:
        panel.goto(live_server.url + path)
        width = panel.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wider[path] = width
    assert wider == {}


def test_every_navigation_landmark_is_named(panel: Page, live_server) -> None:
    unnamed = {}
    for path in ["/", "/changes/", *(page_url(p) for p in MAIL_SERVER_PAGES)]:
        panel.goto(live_server.url + path)
        navs = panel.locator(UNNAMED_NAV)
        if navs.count():
            unnamed[path] = navs.count()
    assert unnamed == {}
    panel.goto(live_server.url + "/")  # the layout's own three
    navigation = panel.get_by_role("navigation")
    names = navigation.evaluate_all("(all) => all.map((n) => n.getAttribute('aria-label'))")
    assert names == ["Panel", "Mail Server", "Breadcrumb"]


def test_every_icon_has_a_glyph_and_is_hidden_from_screen_readers(panel: Page, live_server) -> None:
    missing = []
    for path in ("/", "/mailserver/mta/", "/mailserver/logs/"):
        panel.goto(live_server.url + path)
        icons = panel.locator("i.bi")
        for index in range(icons.count()):
            icon = icons.nth(index)
            glyph = icon.evaluate("(el) => getComputedStyle(el, '::before').content")
            if glyph in ("none", "normal", "", '""'):
                missing.append(f"{path}: {icon.get_attribute('class')} has no glyph")
            if icon.get_attribute("aria-hidden") != "true":  # a private-use character read aloud
                missing.append(f"{path}: {icon.get_attribute('class')} is not aria-hidden")
    assert missing == []


def test_the_favicon_is_an_svg_served_with_the_static_files(panel: Page, live_server) -> None:
    href = panel.locator("link[rel=icon]").get_attribute("href")
    assert href is not None and href.endswith(".svg")
    response = panel.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text().lstrip().startswith("<svg")
