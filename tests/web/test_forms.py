"""The form idiom of relief/web/forms.py on its own: `submit` (validate → service → commit →
redirect, or roll back with the refusal on the form), `FormState`, and the parsing helpers
every page shares. Issue 13: "one form idiom for every page"."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import BaseModel, Field

from relief import clock
from relief.errors import DomainError
from relief.web.forms import (
    FormState,
    cst_input,
    fields_in,
    id_number,
    parse_cst,
    service_words,
    submit,
    validated,
    whole_number,
)
from relief.web.i18n import Translator

ZH = Translator("zh")


class FakeSession:
    """Counts what `submit` did to the transaction."""

    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1


class Line(BaseModel):
    quantity: int = Field(ge=0)
    reason: str = Field(min_length=1)


def _refuse(exc: Exception):
    def action() -> None:
        raise exc

    return action


def test_a_form_that_goes_through_is_committed_and_answered_303():
    session, form = FakeSession(), FormState(values={"delta": "5"})
    done = submit(session, form, ZH, lambda: 7, lambda n: f"/things/{n}?done=1")
    assert done is not None and done.status_code == 303
    assert done.headers["location"] == "/things/7?done=1"
    assert (session.commits, session.rollbacks) == (1, 0)
    assert form.ok


def test_a_form_with_a_message_already_never_calls_the_service():
    session, form = FakeSession(), FormState(values={"delta": "x"})
    form.fail("delta", "请填写整数")
    called = []
    done = submit(session, form, ZH, lambda: called.append(1), "/x")
    assert done is None and called == []
    assert (session.commits, session.rollbacks) == (0, 1)
    assert form.status == 422 and form.error("delta") == "请填写整数"


def test_a_refusal_is_rolled_back_and_shown_next_to_its_input_with_what_was_typed():
    session, form = FakeSession(), FormState(values={"delta": "-9999", "reason": "破损"})
    refusal = DomainError("below_floor", "below the floor", "delta")
    done = submit(session, form, ZH, _refuse(refusal), "/x", fields_in(form.values))
    assert done is None
    assert (session.commits, session.rollbacks) == (0, 1)
    assert form.error("delta") == ZH("err.below_floor")  # the UI's words for the code
    assert form.values == {"delta": "-9999", "reason": "破损"}
    assert (form.status, form.code, form.refusal) == (422, "below_floor", refusal)


def test_a_refusal_naming_no_input_of_the_form_is_shown_above_it():
    form = FormState(values={"reason": ""})
    refusal = DomainError("conflict", "order {id} changed", "version", params={"id": 3})
    submit(FakeSession(), form, ZH, _refuse(refusal), "/x", fields_in(("reason",)), status=None)
    assert form.errors == {} and form.general
    assert form.status == refusal.status  # status=None: the refusal's own


def test_a_refusal_of_the_role_or_scope_goes_on_to_the_error_page():
    session, form = FakeSession(), FormState()
    refusal = DomainError("scope_forbidden", "not yours", "region_code")
    assert refusal.status == 403
    with pytest.raises(DomainError):
        submit(session, form, ZH, _refuse(refusal), "/x", fields_in(("region_code",)))
    assert session.rollbacks == 1 and session.commits == 0


def test_a_model_refusal_marks_every_field_at_once():
    form = FormState(values={"quantity": "-1", "reason": ""})
    line = validated(form, ZH, Line, {"quantity": -1, "reason": ""}, fields_in(form.values))
    assert line is None
    assert set(form.errors) == {"quantity", "reason"}
    ok = FormState()
    assert validated(ok, ZH, Line, {"quantity": 2, "reason": "r"}, fields_in(())) == Line(
        quantity=2, reason="r"
    )


def test_the_service_words_say_the_services_own_sentence():
    form = FormState()
    refusal = DomainError("validation_error", "unknown region: {code}", "x", params={"code": "9"})
    submit(FakeSession(), form, ZH, _refuse(refusal), "/x", words=service_words)
    assert form.general == refusal.text("zh")


def test_a_field_path_is_shown_at_the_input_it_starts_with():
    name = fields_in(("region_codes", "lines[2].quantity"))
    assert name("region_codes[0]") == "region_codes"
    assert name("lines[2].quantity") == "lines[2].quantity"
    assert name("note") is None


def test_the_summary_lists_the_messages_in_the_forms_order_then_the_others():
    form = FormState(errors={"b": "B 错", "a": "A 错", "z": "Z 错"})
    fields = [("a", "in-a", "甲"), ("b", "in-b", "乙")]
    assert form.summary(fields) == [
        ("in-a", "甲", "A 错"),
        ("in-b", "乙", "B 错"),
        ("", "", "Z 错"),
    ]


@pytest.mark.parametrize(
    ("typed", "number", "message"),
    [
        ("8,100", 8100, None),
        (" 12 ", 12, None),
        ("-3", -3, None),
        ("", None, "err.required"),
        ("12箱", None, "err.whole_number"),
        ("1.5", None, "err.whole_number"),
    ],
)
def test_a_whole_number_is_read_as_typed_or_its_message_recorded(typed, number, message):
    form = FormState()
    assert whole_number(form, ZH, "n", typed) == number
    assert form.error("n") == (ZH(message) if message else None)


def test_a_blank_optional_whole_number_is_none_without_a_message():
    form = FormState()
    assert whole_number(form, ZH, "damaged", " ", required=False) is None
    assert form.ok


def test_cst_times_round_trip_through_the_datetime_local_input():
    at = datetime(2026, 7, 28, 9, 30, tzinfo=clock.CST)
    assert cst_input(at) == "2026-07-28T09:30"
    assert parse_cst("2026-07-28T09:30") == at
    assert parse_cst("28/07/2026") is None


def test_an_id_number_is_worded_in_the_pages_language():
    form = FormState()
    id_number(form, ZH, "id_number", "123")
    assert form.error("id_number") and "123" not in form.error("id_number")
