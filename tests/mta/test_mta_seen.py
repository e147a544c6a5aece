"""A damaged hidden ``seen`` field gets the box's "reload the page" error, never a server error.

The form tests need no server (a save is validated without the agent's state); the page tests
post through the agent's operations (in process) and check that nothing was written.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailserver.core.models import Change
from mailserver.core.sections import seen
from mailserver.mta.sections import BY_SLUG, SECTIONS
from tests.support.mta_forms import section_data

# Input each box accepts (with an empty seen: "saw no files").
VALID_INPUT = {
    "primary": {"auth_mode": "auth_no/tls_optional"},
    "alternate": {"port": "2587"},
    "server": {"me": "mail.example.test", "double_bounce": "on"},
    "inbound": {"databytes": "5000000"},
    "blacklists": {"badmailfrom": "a@b.example.test"},
    "rbl": {"zones": "zen.spamhaus.org"},
    "outbound": {"timeoutremote": "60"},
    "routes": {"smtproutes": "example.com:relay.example.net"},
}
SHA = "ab" * 32

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
not_a_file_entry = json_values.filter(
    lambda v: not (isinstance(v, dict) and set(v) == {"value", "sha256"} and isinstance(v["value"], str))
)


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return bool(text.strip())
    return False


@st.composite
def malformed_seen(draw, slug: str) -> str:
    """A value the page never writes for this box: every one of them must be refused."""
    section = BY_SLUG[slug]
    scripted = section.op == "agent.mta.write_smtpd"
    keys = ["sha256", "values"] if scripted else [*section.form.controls, "_meta"]
    kind = draw(st.sampled_from(["text", "not-an-object", "bad-entry", "unknown-key", "deep"]))
    if kind == "text":
        return draw(st.text(min_size=1).filter(_not_json))
    if kind == "not-an-object":
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict))))
    if kind == "deep":
        depth = draw(st.integers(min_value=2000, max_value=200_000))
        return draw(st.sampled_from(["[", '{"a":'])) * depth
    if kind == "unknown-key":
        key = draw(st.text(alphabet=string.ascii_letters + "_-", min_size=1).filter(lambda k: k not in keys))
        return json.dumps({key: draw(json_values)})
    key = draw(st.sampled_from(keys))
    if key == "sha256":
        bad = json_values.filter(lambda v: v is not None and not (isinstance(v, str) and len(v) == 64))
    elif key == "values":
        bad = json_values.filter(
            lambda v: not isinstance(v, dict) or any(isinstance(x, list | dict | float) for x in v.values())
        )
    elif key == "_meta":
        bad = st.one_of(
            json_values.filter(lambda v: not isinstance(v, dict)),
            st.fixed_dictionaries({"conf_spawn": st.sampled_from([True, 0, -3, "120", 1.5, None, [120]])}),
            st.fixed_dictionaries({"discarding": st.sampled_from([0, 1, "false", None, {}])}),
        )
    else:
        bad = st.one_of(
            not_a_file_entry,
            st.fixed_dictionaries(
                {"value": json_values.filter(lambda v: not isinstance(v, str)), "sha256": st.just(SHA)}
            ),
            st.fixed_dictionaries(
                {"value": st.text(max_size=5), "sha256": st.text(max_size=70).filter(lambda s: len(s) != 64)}
            ),
        )
    return json.dumps({key: draw(bad)})


def _form(slug: str, seen_value: str):
    data = {f"{slug}-{name}": value for name, value in VALID_INPUT[slug].items()}
    data[f"{slug}-seen"] = seen_value
    return BY_SLUG[slug].form(data, state=None, prefix=slug)


@pytest.mark.parametrize("slug", list(BY_SLUG))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_malformed_seen_is_refused_with_a_reload_message(slug, data):
    form = _form(slug, data.draw(malformed_seen(slug)))
    assert not form.is_valid()
    assert form.non_field_errors() == [seen.STALE]
    assert "seen" not in form.errors


@pytest.mark.parametrize("slug", list(BY_SLUG))
def test_a_box_saved_with_what_the_page_wrote_is_accepted(slug):
    section = BY_SLUG[slug]
    if section.op == "agent.mta.write_smtpd":
        written = {"sha256": SHA, "values": {"port": 587, "force_tls": True, "auth_mode": "x", "zones": ""}}
    else:
        written = {name: {"value": "", "sha256": None} for name in section.form.controls}
        written["_meta"] = {"conf_spawn": 120, "discarding": False}
    for value in ("", json.dumps(written)):
        form = _form(slug, value)
        assert form.is_valid(), form.errors
        payload = form.payload()
        expects = (
            [f["expect"] for f in payload["files"].values()] if "files" in payload else [payload["expect"]]
        )
        assert all(e is None or e == SHA for e in expects)


@pytest.mark.django_db
class TestOnThePage:
    @pytest.mark.parametrize("htmx", [True, False], ids=["box", "full-page"])
    @pytest.mark.parametrize("slug", [s.slug for s in SECTIONS])
    def test_the_admin_is_told_to_reload_and_nothing_is_written(self, admin_client, roots, slug, htmx):
        before = _server_files(roots)
        for damaged in ("{not json", "[]", json.dumps({_first_key(slug): 5}), "[" * 50_000, "null"):
            data = section_data(slug, **VALID_INPUT[slug])
            data[f"{slug}-seen"] = damaged
            extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            response = admin_client.post(f"/mailserver/mta/save/{slug}/", data, **extra)
            assert response.status_code == 200
            assert "the page was out of date or damaged" in response.content.decode()
        assert _server_files(roots) == before
        assert not Change.objects.exists()

    @pytest.mark.parametrize("slug", ["server", "inbound"])
    def test_a_refused_save_from_a_page_that_listed_no_files_is_shown(self, admin_client, roots, slug):
        # seen "{}": every field is a change expected absent; the agent refuses the files that
        # exist, and the refusal must still render with the ones that are absent (doublebounceto,
        # timeoutsmtpd), not fail on them.
        data = {**section_data(slug), f"{slug}-seen": "{}"}
        data[f"{slug}-confirm_unusual"] = "on"  # the test server's Message Size, 2000, is unusual
        response = admin_client.post(f"/mailserver/mta/save/{slug}/", data, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "Changed on the server while you edited" in response.content.decode()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_fuzzed_seen_values_never_cause_a_server_error(self, admin_client, roots, data):
        slug = data.draw(st.sampled_from(list(BY_SLUG)))
        posted = section_data(slug, **VALID_INPUT[slug])
        posted[f"{slug}-seen"] = data.draw(malformed_seen(slug))
        response = admin_client.post(f"/mailserver/mta/save/{slug}/", posted, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "the page was out of date or damaged" in response.content.decode()


def _first_key(slug: str) -> str:
    section = BY_SLUG[slug]
    return "sha256" if section.op == "agent.mta.write_smtpd" else section.form.controls[0]


def _server_files(roots) -> dict[str, str]:
    files = {p.name: p.read_text() for p in roots.control_dir.iterdir() if p.is_file()}
    for service in ("qmail-smtpd", "qmail-submission"):
        files[service] = (roots.service_dir(service) / "run").read_text()
    return files


def test_after_a_conflict_a_field_the_admin_did_not_touch_shows_the_servers_value_and_is_kept(
    admin_client, roots
):
    import html as html_lib
    import re

    data = section_data("inbound", databytes="5000000")
    roots.control("databytes").write_text("3000000\n")  # the admin's file: a conflict
    roots.control("timeoutsmtpd").write_text("600\n")  # another file of the box, not the admin's edit
    html = admin_client.post("/mailserver/mta/save/inbound/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "it now holds: 3000000" in html  # beside the admin's own edit
    # Not "save again to replace it with your value" beside the 1200 the page had shown: a second
    # save wrote that back over the 600 set on the server meanwhile.
    assert 'name="inbound-timeoutsmtpd" value="600"' in html
    assert "it now holds: 600. The field shows it now: saving again keeps it." in html
    shown = {key: re.search(rf'name="{key}"[^>]*? value="([^"]*)"', html) for key in data}
    again = {key: html_lib.unescape(found[1]) for key, found in shown.items() if found}
    admin_client.post("/mailserver/mta/save/inbound/", again, HTTP_HX_REQUEST="true")
    assert roots.control("databytes").read_text() == "5000000\n"
    assert roots.control("timeoutsmtpd").read_text() == "600\n"
