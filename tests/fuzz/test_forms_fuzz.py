"""Every form of the MTA and Mail Logs pages, fed arbitrary text in every field.

A form may only answer with errors beside its fields: is_valid() never raises. And a value
a form accepts is one qmail reads back as exactly that value: the file the agent would
write, read the way qmail reads it (control.read_value), gives the same value, marked
canonical; the value shown again on the page and saved unchanged writes the same file; a
run script rendered from the accepted settings parses back to the same settings.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailserver.logs.forms import PRESETS, LogQueryForm, MessageForm
from mailserver.logs.forms import REPORTS as LOG_REPORTS
from mailserver.mta import forms
from mailserver.qmail import control, runscript, smtpauth, smtproutes
from mailserver.qmail.errors import FieldError, InvalidValue
from mailserver.qmail.logs import request as logs_payload
from mailserver.qmail.paths import Roots
from mailserver.qmail.runparams import SmtpdParams, validate_smtpd
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import CONTROL_SAMPLES, edgy_text, field_text, multiline_text, pick
from tests.fuzz.tally import tally

CONTROL_FORMS = [
    forms.ServerOptionsForm,
    forms.InboundForm,
    forms.BlacklistForm,
    forms.OutboundForm,
    forms.RoutesForm,
]
ROOTS = Roots()
seen_text = st.one_of(st.just(""), edgy_text(), st.just('{"me": {"value": "", "sha256": null}}'))
checkbox = st.sampled_from(["", "on", "off", "true", "0"])


def control_form_data(form_class: type[forms.ControlFilesForm]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: st.one_of(field_text(CONTROL_SAMPLES[name]), multiline_text())
        if name in form_class.textareas
        else field_text(CONTROL_SAMPLES[name])
        for name in form_class.controls
    }
    optional = {
        "seen": seen_text,
        "replace_hand_edits": checkbox,
    }
    if form_class is forms.ServerOptionsForm:  # a required choice
        fields["double_bounce"] = st.one_of(st.sampled_from(["on", "off"]), field_text(("on", "off")))
    return st.fixed_dictionaries(fields, optional=optional)


def qmail_reads_it_as_accepted(name: str, value: control.Value) -> None:
    raw = control.render(name, value)
    read = control.read_value(name, raw)
    assert read.canonical, (name, value, read.note)
    assert read.value == value, (name, value, read.value)
    # The page shows the value again; saving it unchanged must write the very same file.
    assert control.render(name, control.validate(name, forms.display(name, value))) == raw
    if name == "smtproutes":
        assert isinstance(value, list)
        assert [route.text for route in smtproutes.parse(raw.decode())] == value


@pytest.mark.parametrize("form_class", CONTROL_FORMS, ids=lambda c: c.__name__)
def test_control_forms_answer_only_with_field_errors_and_accept_only_what_qmail_reads_back(form_class):
    @settings(max_examples=examples(150))
    @given(data=control_form_data(form_class))
    def check(data: dict[str, Any]) -> None:
        form = form_class(data, state=None)
        if not form.is_valid():
            assert form.errors
            tally(form_class.__name__, "refused")
            return
        tally(form_class.__name__, "accepted")
        for name, item in form.payload()["files"].items():
            if item["value"] is not None:
                qmail_reads_it_as_accepted(name, item["value"])

    check()


def _run_script_round_trip(base: SmtpdParams, params: dict[str, Any]) -> None:
    from mailserver.qmail.smtpd_changes import changed_params

    wanted = validate_smtpd(changed_params(params, base), ROOTS)
    parsed = runscript.parse_smtpd(runscript.render_smtpd(wanted, ROOTS), ROOTS)
    assert parsed.managed and not parsed.hand_edited and not parsed.guessed
    assert parsed.params == wanted


RUN_SCRIPT_FORMS = {
    forms.PrimarySmtpForm: (
        SmtpdParams.primary(ROOTS),
        {"auth_mode": field_text(tuple(mode for mode, _ in smtpauth.AUTH_MODE_CHOICES))},
    ),
    forms.AlternateSmtpForm: (
        SmtpdParams.submission(ROOTS),
        {
            "port": field_text(("587", "2525", "25", "0", "65535", "65536")),
            "force_tls": checkbox,
            "require_auth": checkbox,
        },
    ),
    forms.RblForm: (
        SmtpdParams.primary(ROOTS),
        {
            "zones": st.one_of(
                field_text(("zen.spamhaus.org", "bl.example.test\nrbl.example.test")), multiline_text()
            )
        },
    ),
}


@pytest.mark.parametrize("form_class", list(RUN_SCRIPT_FORMS), ids=lambda c: c.__name__)
def test_run_script_forms_answer_only_with_field_errors_and_write_what_they_accepted(form_class):
    base, fields = RUN_SCRIPT_FORMS[form_class]

    @settings(max_examples=examples(150))
    @given(data=st.fixed_dictionaries(fields, optional={"seen": seen_text, "replace_hand_edits": checkbox}))
    def check(data: dict[str, Any]) -> None:
        form = form_class(data, state=None)
        if not form.is_valid():
            assert form.errors
            tally(form_class.__name__, "refused")
            return
        tally(form_class.__name__, "accepted")
        params = form.payload()["params"]
        if "rbl_zones" in params:
            params = {**params, "rbl_zones": list(params["rbl_zones"])}
        _run_script_round_trip(dataclasses.replace(base), params)

    check()


@settings(max_examples=examples(150))
@given(
    address=field_text(("user@example.test", "a@sub.example.test", "x@[192.0.2.1]", "y@EXAMPLE.test")),
    routes=st.one_of(field_text(CONTROL_SAMPLES["smtproutes"]), multiline_text()),
)
def test_route_tester_answers_any_address(address, routes):
    form = forms.RouteTestForm({"address": address})
    tally("RouteTestForm", "accepted" if form.is_valid() else "refused")
    if not form.is_valid():
        return
    try:
        table = smtproutes.parse(
            control.render("smtproutes", control.validate("smtproutes", routes)).decode()
        )
    except InvalidValue:
        table = []
    smtproutes.lookup(table, form.cleaned_data["address"])


LOG_FIELDS = {
    "preset": pick(st.sampled_from([key for key, _ in PRESETS]), edgy_text(8)),
    "last": st.one_of(st.from_regex(r"\A[0-9]{0,12} ?(minutes?|hours?|days?|weeks?|years?)\Z"), edgy_text()),
    "start": st.one_of(st.from_regex(r"\A[0-9]{1,14}\Z"), st.just("2026-11-25 13:00"), edgy_text()),
    "end": st.one_of(st.from_regex(r"\A[0-9]{1,14}\Z"), st.just("now"), edgy_text()),
    "rcpt": field_text(("user@example.test", "a@x.test b@y.test")),
    "sender": field_text(("<>", "dave@example.test")),
    "user": field_text(("root", "mailgag1")),
    "webmail": checkbox,
    "webmail_uids": field_text(("33", "www-data")),
    "report": pick(st.sampled_from([key for key, _ in LOG_REPORTS]), edgy_text(12)),
    "detail": checkbox,
    "channel": pick(st.sampled_from(["both", "local", "remote"]), edgy_text(8)),
    "by": pick(st.sampled_from(["recipient", "sender"]), edgy_text(8)),
    "sort": st.one_of(st.sampled_from(["", "recipient", "succ", "time"]), edgy_text(12)),
    "reverse": checkbox,
    "limit": pick(st.integers(-2, 600).map(str), edgy_text(8)),
}


@settings(max_examples=examples(150))
@given(
    data=st.fixed_dictionaries(
        {key: LOG_FIELDS[key] for key in ("preset", "report")},
        optional={key: value for key, value in LOG_FIELDS.items() if key not in ("preset", "report")},
    )
)
def test_log_query_form_answers_only_with_field_errors_and_builds_a_payload_the_agent_accepts(data):
    form = LogQueryForm(data)
    if not form.is_valid():
        assert form.errors
        tally("LogQueryForm", "refused")
        return
    tally("LogQueryForm", "accepted")
    try:
        logs_payload.report_request(form.payload())
    except FieldError as exc:  # only a period that was valid a moment ago may have moved
        pytest.fail(f"the form accepted {data!r} but the agent refuses it: {exc}")


@settings(max_examples=examples(100))
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "id": field_text(("1466718", "1", "9223372036854775807")),
            "at": field_text(("1795613601", "0.5")),
        },
    )
)
def test_message_form_answers_only_with_field_errors(data):
    form = MessageForm(data)
    tally("MessageForm", "accepted" if form.is_valid() else "refused")
    if form.is_valid():
        logs_payload.message_request(form.cleaned_data)
