"""The SMTP scanning box's form alone: what a save sends, and a damaged ``seen`` never reaching the agent."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailserver.virus.forms import SmtpScanningForm

SHA = "a" * 64


def _posted(seen: str, clam: bool) -> dict[str, str]:
    return {"clamav-seen": seen, **({"clamav-clam": "on"} if clam else {})}


@pytest.mark.parametrize("clam", [True, False])
def test_a_save_sends_the_switch_with_the_simcontrol_the_admin_saw(clam):
    form = SmtpScanningForm(
        _posted(json.dumps({"clam": not clam, "simcontrol": SHA}), clam), state=None, prefix="clamav"
    )
    assert form.is_valid()
    assert form.payload() == {"clam": clam, "expect": {"simcontrol": SHA}}


def test_a_page_that_saw_no_simcontrol_expects_none_to_exist():
    form = SmtpScanningForm(
        _posted(json.dumps({"clam": False, "simcontrol": None}), True), state=None, prefix="clamav"
    )
    assert form.is_valid()
    assert form.payload()["expect"] == {"simcontrol": None}


seen_values = st.one_of(
    st.text(max_size=60),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=70), st.just(SHA)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["clam", "simcontrol", "x"]), inner)
        ),
        max_leaves=6,
    ).map(json.dumps),
)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(seen=seen_values, clam=st.booleans())
def test_a_damaged_seen_is_refused_as_stale_and_a_valid_one_sends_a_well_formed_payload(seen, clam):
    form = SmtpScanningForm(_posted(seen, clam), state=None, prefix="clamav")
    if form.is_valid():
        expect = form.payload()["expect"]["simcontrol"]
        assert expect is None or (len(expect) == 64 and set(expect) <= set("0123456789abcdef"))
    else:
        assert "could not tell what you saw" in str(form.non_field_errors())
