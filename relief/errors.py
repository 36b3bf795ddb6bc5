"""Domain errors with stable codes; one handler in app.py maps them to HTTP.

Services raise these; routers never build an error body by hand.
"""

from __future__ import annotations

import contextlib
from typing import Any

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "not_authenticated": 401,
    "role_forbidden": 403,
    "scope_forbidden": 403,
    "cross_site_request": 403,
    "not_found": 404,
    "validation_error": 422,
    "unknown_code": 422,
    "no_standard": 422,
    "not_eligible": 422,
    "paid_on_future": 422,
    "paid_on_too_early": 422,
    "lot_expired": 422,
    "no_open_route": 422,
    "household_has_cases": 409,
    "import_rejected": 422,
    "explanation_required": 422,
    "final_before_stable": 422,
    "zero_report_changed": 422,
    "weak_password": 422,
    "wrong_password": 422,
    "password_change_required": 403,
    "above_delegated_limit": 403,
    "too_many_attempts": 429,
    "too_large": 413,
    "busy": 503,
    # 冬春 (issue 15)
    "not_in_survey": 422,
    "survey_not_open": 422,
    "below_minimum": 422,
    "month_out_of_season": 422,
    "no_approved_cases": 422,
    "no_bank_account": 422,
    "village_review_record_missing": 422,
}
# Everything else that is a known domain conflict is 409.
CONFLICT = 409
# Seconds a 503 `busy` reply asks the client to wait (its Retry-After header).
RETRY_AFTER_S = 5


def N_(msgid: str) -> str:
    """Marks a catalogue id for extraction (`make messages`) without translating it."""
    return msgid


class Term(str):
    """A word inside a message that is itself translated: its value is a catalogue id
    (`entity.region`), said in the message's language by `DomainError.text`."""


# The things a `not_found`/`unknown_code` message can name; each is a catalogue id.
ENTITIES: dict[str, str] = {
    "case": N_("entity.case"),
    "casualty": N_("entity.casualty"),
    "deadline": N_("entity.deadline"),
    "dispatch order": N_("entity.dispatch_order"),
    "event": N_("entity.event"),
    "file": N_("entity.file"),
    "household": N_("entity.household"),
    "issue": N_("entity.issue"),
    "item": N_("entity.item"),
    "lot": N_("entity.lot"),
    "notification": N_("entity.notification"),
    "payment": N_("entity.payment"),
    "plan": N_("entity.plan"),
    "policy": N_("entity.policy"),
    "programme": N_("entity.programme"),
    "region": N_("entity.region"),
    "region or warehouse": N_("entity.region_or_warehouse"),
    "reserve entry": N_("entity.reserve_entry"),
    "fund entry": N_("entity.fund_entry"),
    "response": N_("entity.response"),
    "road": N_("entity.road"),
    "user": N_("entity.user"),
    "warehouse": N_("entity.warehouse"),
    "winter survey entry": N_("entity.winter_survey_entry"),
    "winter round": N_("entity.winter_round"),
    "code": N_("entity.code"),
}

# Each code's own words (catalogue id `error.<code>`): what a message says when the catalogue
# lacks its sentence, and what a page without a sentence of its own shows.
ERROR_IDS: tuple[str, ...] = (
    N_("error.bad_request"),
    N_("error.not_authenticated"),
    N_("error.role_forbidden"),
    N_("error.scope_forbidden"),
    N_("error.cross_site_request"),
    N_("error.not_found"),
    N_("error.validation_error"),
    N_("error.unknown_code"),
    N_("error.stock_insufficient"),
    N_("error.below_floor"),
    N_("error.lot_not_expired"),
    N_("error.transfer_up_tiers"),
    N_("error.idempotency_key_reused"),
    N_("error.busy"),
    N_("error.weak_password"),
    N_("error.wrong_password"),
    N_("error.password_change_required"),
    N_("error.too_many_attempts"),
    N_("error.too_large"),
    N_("error.duplicate"),
    N_("error.invalid_transition"),
    N_("error.deadline_already_done"),
    N_("error.no_standard"),
    N_("error.not_eligible"),
    N_("error.import_rejected"),
    N_("error.duplicate_case"),
    N_("error.notice_window_open"),
    N_("error.budget_exceeded"),
    N_("error.budget_below_spent"),
    N_("error.case_not_approved"),
    N_("error.overpayment"),
    N_("error.already_reversed"),
    N_("error.reserve_insufficient"),
    N_("error.above_delegated_limit"),
    N_("error.temporary_repeat"),
    N_("error.help_first_emergency_only"),
    N_("error.help_first_decided"),
    N_("error.help_first_already_paid"),
    N_("error.help_first_window_closed"),
    N_("error.recovery_not_due"),
    N_("error.funds_insufficient"),
    N_("error.invalid_reversal"),
    N_("error.paid_on_future"),
    N_("error.household_has_cases"),
    N_("error.household_stale"),
    N_("error.demand_stale"),
    N_("error.case_stale"),
    N_("error.explanation_required"),
    N_("error.final_before_stable"),
    N_("error.already_stable"),
    N_("error.zero_report_changed"),
    N_("error.duplicate_casualty"),
    N_("error.conflict"),
    N_("error.method_not_allowed"),
    N_("error.scenario_invalid"),
    N_("error.duplicate_registration"),
    N_("error.lot_expiry_mismatch"),
    N_("error.plan_already_approved"),
    N_("error.plan_is_what_if"),
    N_("error.plan_no_longer_fits"),
    N_("error.plan_stale"),
    N_("error.plan_computing"),
    N_("error.plan_failed"),
    N_("error.response_already_active"),
    N_("error.duplicate_reference"),
    N_("error.paid_on_too_early"),
    N_("error.lot_expired"),
    N_("error.no_open_route"),
    N_("error.unknown"),
    N_("error.not_in_survey"),
    N_("error.survey_not_open"),
    N_("error.already_in_survey"),
    N_("error.entry_superseded"),
    N_("error.totals_already_submitted"),
    N_("error.village_review_record_missing"),
    N_("error.month_out_of_season"),
    N_("error.no_approved_cases"),
    N_("error.below_minimum"),
    N_("error.duplicate_round"),
    N_("error.round_already_paid"),
    N_("error.no_bank_account"),
)


class Terms(tuple):
    """Several words of a message, each a catalogue id, said as a list in the message's
    language (`审批人、管理员`; `approver, admin`)."""


# Words that messages name through a `Term` built at run time (`Term(f"order.{status}")`):
# the ids that no other code or template uses, marked here for extraction.
TERM_IDS: tuple[str, ...] = (
    N_("order.done.dispatched"),
    N_("order.done.received"),
    N_("order.done.cancelled"),
    N_("plan.doing.made"),
    N_("plan.doing.approved"),
    N_("plan.doing.compared"),
    N_("programme_kind.rebuild"),
    N_("programme_kind.grain"),
    N_("programme_kind.transitional"),
    N_("programme_kind.winter_spring"),
    N_("programme_kind.temporary"),
    N_("stock.doing.remove"),
    N_("stock.doing.dispose"),
    N_("stock.doing.count"),
    N_("stock.doing.load"),
    N_("stock.no_expiry"),
    N_("stock.default_lot"),
)


class Named(str):
    """A thing a message names that has a name in each language (an item: `tent`, 帐篷):
    English keeps the value itself (the code API clients know), Chinese says `zh`."""

    zh: str

    def __new__(cls, value: str, zh: str | None = None) -> Named:
        named = super().__new__(cls, value)
        named.zh = zh or value
        return named


def coded(prefix: str, *values: object) -> Named:
    """Codes a message names as they are in English (the values API clients send:
    `collapsed, severe`) and by their catalogue words `<prefix>.<code>` in Chinese
    (`倒塌、严重损坏`); a code without a word stays itself."""
    from relief.i18n import has, translate

    def zh(value: object) -> str:
        key = f"{prefix}.{value}"
        return translate(key, "zh") if has(key, "zh") else str(value)

    return Named(", ".join(map(str, values)), "、".join(zh(v) for v in values))


def entity(name: str) -> Term:
    """The catalogue word of a thing a message names (`region` -> 地区 in Chinese); a name
    missing from ENTITIES (tests/test_error_messages.py fails on one) is said as `code`."""
    return Term(ENTITIES.get(name, ENTITIES["code"]))


class DomainError(Exception):
    """An expected failure with a stable `code`, a message and the field it concerns.

    `message` is an English sentence that is also the message's id in the catalogue
    (relief/locale): a literal template with `{name}` placeholders whose values are given in
    `params`, so that the catalogue can say it in Chinese (`make messages` extracts it;
    tests/test_error_messages.py fails on an f-string or a variable here):

        DomainError("validation_error", "reported_at is in the future (now is {now})",
                    "reported_at", params={"now": now_text})

    A parameter that is a word (an entity, a status) is a `Term` holding a catalogue id, so
    that it too is said in the message's language. `text(lang)` is the message in a
    language; the API answers in its `Accept-Language`; `message` is the English text.
    """

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        self.code = code
        self.field = field
        self.status = status or STATUS_BY_CODE.get(code, CONFLICT)
        self.extra = extra or {}
        self.headers = headers or {}  # e.g. Retry-After on 429
        self.message = self.text("en")
        super().__init__(self.message)

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh" or "en") from the catalogue. A sentence the catalogue
        lacks (a bug tests/test_messages.py catches) is the code's own words in Chinese
        (`error.<code>`), never English, and the template itself in English."""
        from relief.i18n import has, translate

        target = "en" if lang == "en" else "zh"
        values = {key: _said(value, target) for key, value in self.params.items()}
        if has(self.template, target):
            template = translate(self.template, target)
        elif target == "zh":
            key = f"error.{self.code}"
            return translate(key, "zh") if has(key, "zh") else translate("error.unknown", "zh")
        else:
            template = self.template
        if not values:
            return template
        with contextlib.suppress(KeyError, IndexError, ValueError):
            return template.format(**values)
        return template

    def detail(self, lang: str = "en", *, prefer_zh: bool | None = None) -> dict[str, Any]:
        """The API's error body, its message in `lang` (`prefer_zh` is the old spelling,
        kept for code written before issue 13; new code passes the language or calls
        `text(lang)`)."""
        if prefer_zh is not None:
            lang = "zh" if prefer_zh else "en"
        message = self.text(lang)
        extra = {
            key: value.said(lang) if hasattr(value, "said") else value
            for key, value in self.extra.items()
        }
        return {"code": self.code, "message": message, "field": self.field, **extra}


def _said(value: Any, lang: str) -> Any:
    from relief.i18n import translate

    target = "en" if lang == "en" else "zh"
    if isinstance(value, Term):
        return translate(value, target)
    if isinstance(value, Named):
        return value.zh if target == "zh" else str(value)
    if isinstance(value, Terms):
        return ("、" if target == "zh" else ", ").join(translate(v, target) for v in value)
    return value


def not_found(entity_name: str, key: object, field: str | None = None) -> DomainError:
    return DomainError(
        "not_found",
        "{entity} {key} does not exist",
        field,
        params={"entity": entity(entity_name), "key": key},
    )


def unknown_code(field: str, code: object, what: str = "code") -> DomainError:
    return DomainError(
        "unknown_code", "unknown {what}: {code}", field, params={"what": entity(what), "code": code}
    )


def invalid(field: str, message: str, params: dict[str, Any] | None = None) -> DomainError:
    return DomainError("validation_error", message, field, params=params)
