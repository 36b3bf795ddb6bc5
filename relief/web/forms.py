"""The one form idiom of the UI's pages (duty, warehouse, subsidies, ledgers, account).

The pages hold no rules of their own: a service refuses with a `DomainError` (or a model
with a pydantic `ValidationError`) and these helpers put its message where the user will
see it, next to the input the error's `field` names or above the form, keeping everything
that was typed. A POST handler reads:

    form = FormState(values={"delta": delta, "reason": reason})
    amount = whole_number(form, t, "delta", delta)         # parsing: messages on the form
    done = submit(session, form, t, lambda: stock.adjust_stock(...),
                  f"/warehouses/{code}?done=adjustment", fields_in(form.values))
    return done or page(request, ..., adjustment=form, status_code=form.status)

`submit` runs the service call only when the parsing found nothing, commits and answers
303 (post-redirect-get); otherwise it rolls back, records the refusal on the form and the
caller renders the page again with `form.status` (422, or the refusal's own status). A
refusal of the role or scope (401, 403: `refusals`) is raised again for the error pages.
Templates show a form with the macros of `_forms.html` (`error_summary`, `input`,
`field_error`, …), which read only a `FormState`.

- `check_origin`, `same_site_posts` (from relief/origin.py, re-exported).
- `FormState`, `submit`, `validated`, `posted`, `fields_in`, `redirect`: the idiom above
  (`catalogue_words` / `refusal_words` / `service_words`: how a refusal is worded;
  `record_error`: what `submit` does with one, for a form's own `record`).
- `whole_number`, `int_or_none`, `parse_cst`, `cst_input`, `id_number`, `padded`: the
  parsing every page shares (whole numbers typed as `8,100`, CST times of `datetime-local`
  inputs, ID numbers worded in the page's language). Amounts of money (`8,100.00`) are
  read by the model (relief.subsidies.models.amount_text), as the API reads them.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from relief import clock
from relief.auth.models import Actor
from relief.errors import DomainError
from relief.i18n import has
from relief.idempotency import IdempotencyKey
from relief.origin import check_origin, same_site_posts  # noqa: F401 (re-exported)
from relief.subsidies.ids import IdNumberError, normalise_id_number
from relief.web.i18n import Translator
from relief.web.shell import signed_in

FieldMap = Callable[[str], str | None]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# A refusal of who the user is or what they may reach: the error pages, not the form.
REFUSALS = (401, 403)


def redirect(url: str) -> RedirectResponse:
    """Post-redirect-get: the answer to a form that went through."""
    return RedirectResponse(url, status_code=303)


def reraise_refusal(exc: DomainError, statuses: Collection[int] = REFUSALS) -> None:
    """Raise `exc` again when its status is one the error pages answer (not the form)."""
    if exc.status in statuses:
        raise exc


def allowed(check: Callable[[], None]) -> bool:
    """Whether an authorisation rule of relief.auth.deps lets the actor do something: the
    page offers a form only to those the service will accept it from."""
    try:
        check()
    except DomainError:
        return False
    return True


# --- one-time form tokens ------------------------------------------------------------------
#
# Every create-style form carries a hidden `form_token`, new at each render (`render` puts
# one in the page's context; `{{ once() }}` of _forms.html writes the input). The first
# submit that goes through stores the token with where it led, in the same transaction as
# what it registered (the API's idempotency table, method "FORM", scoped to the user and the
# form's address); a second submit of the same rendered form (Back and submit again, a
# double click, a retried POST) finds it and lands on that result with the notice
# 「该表单已提交，未重复登记」 instead of registering again. No worker memory: two submits
# racing on two workers meet at the table's unique key. A post without a token (a script)
# is not checked. Findings 9, 35 and 50 of the issue 13 review.

FORM_TOKEN = "form_token"
ONCE_METHOD = "FORM"
RESUBMITTED = "resubmitted"


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Once:
    """A posted form's token, its address and who posted it (`form_once`)."""

    token: str
    path: str
    username: str


async def _posted_token(request: Request) -> tuple[str, str]:
    sent = await request.form()
    return str(sent.get(FORM_TOKEN, ""))[:255], request.url.path


async def form_once(
    posted: tuple[str, str] = Depends(_posted_token), actor: Actor = Depends(signed_in)
) -> Once | None:
    """A dependency: the posted form's one-time token, or None when it carries none (no
    I/O: `async def` spares it a thread hop)."""
    token, path = posted
    return Once(token, path, actor.username) if token else None


def _prior(session: Session, once: Once) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.username == once.username,
            IdempotencyKey.method == ONCE_METHOD,
            IdempotencyKey.path == once.path,
            IdempotencyKey.key == once.token,
            IdempotencyKey.status_code.is_not(None),  # type: ignore[union-attr]
        )
    ).first()


def with_notice(url: str, notice: str = RESUBMITTED) -> str:
    """`url` with `?notice=…` (before its #fragment): the page says what happened."""
    base, hash_, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}notice={notice}"
    return joined + (hash_ + fragment if hash_ else "")


def _landed(session: Session, once: Once) -> Response | None:
    """The answer to a form submitted again: where the first submit led, with the notice."""
    prior = _prior(session, once)
    if prior is None:
        return None
    return redirect(with_notice(prior.response_body or "/"))


def _claim_token(session: Session, once: Once) -> IdempotencyKey:
    row = IdempotencyKey(
        username=once.username,
        method=ONCE_METHOD,
        path=once.path,
        key=once.token,
        body_hash="",
        status_code=None,
    )
    session.add(row)
    session.flush()  # the unique key: a racing second submit waits here, then fails
    return row


# --- FormState ---------------------------------------------------------------------------------


@dataclass
class FormState:
    """A form as the user left it: the values typed, and the messages by field name.

    Field names are those of the service's errors (`delta`, `lines[2].quantity`), so a
    template looks a message up with the name its input stands for; `general` holds an
    error that names no input of the form. `status` is what the page answers when the form
    comes back (422, or the refusal's own status, e.g. 409); `code` the refusal's code, for
    a page that asks for more once it matters (a reason to cross a stock floor)."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    status: int = 422
    code: str | None = None
    refusal: DomainError | None = None

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def get(self, name: str, default: Any = "") -> Any:
        """A typed value (templates: `form.get("note")`)."""
        return self.values.get(name, default)

    def fail(self, name: str | None, text: str) -> None:
        """A message next to the input `name`, or above the form (None); the first one
        found for an input stays."""
        if name is None:
            self.general = self.general or text
        else:
            self.errors.setdefault(name, text)

    @property
    def ok(self) -> bool:
        return not self.errors and self.general is None

    def summary(self, fields: Sequence[tuple[str, str, str]] = ()) -> list[tuple[str, str, str]]:
        """The messages for the error summary at the top: (input id, label, message), in the
        order of `fields` ((name, input id, label)); an error of an input `fields` does not
        name is listed with its message only (id and label "")."""
        known = {name for name, _, _ in fields}
        out = [
            (id_, label, self.errors[name]) for name, id_, label in fields if name in self.errors
        ]
        out += [("", "", text) for name, text in self.errors.items() if name not in known]
        return out


# --- where an error's field is shown -----------------------------------------------------------


def field_name(path: str | None) -> str:
    """The input a service's field path names: `region_codes[0]` → `region_codes`."""
    return (path or "").split("[", 1)[0].split(".", 1)[0]


def fields_in(names: Collection[str]) -> FieldMap:
    """An error's field shown next to its input when the form has one by that name (or by
    the name its path starts with: `region_codes[0]` → `region_codes`)."""

    def name(path: str) -> str | None:
        if path in names:
            return path
        return field_name(path) if field_name(path) in names else None

    return name


def no_fields(_: str) -> None:
    """For a form whose errors are all shown above it."""
    return None


# --- how a refusal is worded -------------------------------------------------------------------


def error_text(t: Translator, code: str, field_name: str | None, fallback: str) -> str:
    """The UI's words for a code and a field (`err.below_floor`,
    `err.validation_error.quantity`), else `fallback` (the service's own sentence)."""
    leaf = field_name.rsplit(".", 1)[-1] if field_name else ""
    for key in (f"err.{code}.{leaf}", f"err.{code}"):
        text = t(key)
        if text != key:
            return text
    return fallback


def catalogue_words(t: Translator, exc: DomainError) -> str:
    """The UI's words for the refusal's code and field when it has some (`err.below_floor`:
    库存不足), else the service's own sentence: the default."""
    return error_text(t, exc.code, exc.field, exc.text(t.lang))


def refusal_words(t: Translator, exc: DomainError) -> str:
    """A service's refusal in the page's language: its own sentence when it carries values
    ("more than ordered (1000)") and the catalogue has it, which says more than the UI's
    general words for the code and the field; else those words; else its own sentence."""
    said = exc.text(t.lang)
    if exc.params and has(exc.template, t.lang):
        return said
    return error_text(t, exc.code, exc.field, said)


def service_words(t: Translator, exc: DomainError) -> str:
    """The service's own sentence, always (the duty pages: their refusals are specific,
    "reported_at is in the future (now is …)", and the catalogue words them)."""
    return exc.text(t.lang)


Words = Callable[[Translator, DomainError], str]


def record_domain_error(
    form: FormState,
    t: Translator,
    exc: DomainError,
    fields: FieldMap,
    words: Words = catalogue_words,
) -> None:
    form.code, form.refusal = exc.code, exc
    form.fail(fields(exc.field) if exc.field else None, words(t, exc))


def record_validation_error(
    form: FormState, t: Translator, exc: ValidationError, fields: FieldMap
) -> None:
    """Every field's problem at once, each next to its input."""
    form.code = "validation_error"
    for problem in exc.errors():
        path = field_path(problem["loc"])
        text = problem_words(t, problem) or error_text(
            t, "validation_error", path, t("err.validation_error")
        )
        form.fail(fields(path) if path else None, text)


# A model's refusals that say more than the field's general words ("fill in …"): the text was
# filled in, it is too long or too large (findings 11, 14, 48).
# A model's own sentences (value errors) said as they are, in the page's language.
SPECIFIC = {
    "the amount is too large": "form.too_large",
    "a name may not hold symbols or emoji": "form.name_letters",
}


def problem_words(t: Translator, problem: Any) -> str | None:
    """The words for one pydantic problem when its kind is one the field's general message
    would misstate: a text over its `max_length` → 「最多 N 字」, an amount too large."""
    kind, context = problem.get("type"), problem.get("ctx") or {}
    if kind in ("string_too_long", "too_long") and "max_length" in context:
        return t("form.too_long", max=context["max_length"])
    said = str(context.get("error", ""))
    if kind == "value_error" and said in SPECIFIC:
        return t(SPECIFIC[said])
    return None


def numbers_in(
    form: FormState,
    t: Translator,
    typed: dict[str, str],
    names: Sequence[str],
    *,
    decimals: int = 0,
) -> dict[str, str | None]:
    """The number inputs `names` of a form read by `number_text` (`４` → `4`, `8,100` →
    `8100`), for a model to take; a blank one is None, one that is not a number is None with
    the field's own words (`err.validation_error.size`: 请填写 1 至 100 之间的整数) on it."""
    out: dict[str, str | None] = {}
    for name in names:
        text = typed.get(name, "")
        if not text.strip():
            out[name] = None
            continue
        try:
            out[name] = number_text(text, decimals=decimals)
        except NumberError:
            form.fail(name, error_text(t, "validation_error", name, t("err.whole_number")))
            out[name] = None
    return out


def record_error(
    form: FormState,
    t: Translator,
    exc: DomainError | ValidationError,
    fields: FieldMap,
    statuses: Collection[int] = REFUSALS,
    words: Words = catalogue_words,
) -> None:
    """A refused form's error recorded on it; a refusal of the role or scope (`statuses`)
    is raised again for the error pages."""
    if isinstance(exc, ValidationError):
        record_validation_error(form, t, exc, fields)
    else:
        reraise_refusal(exc, statuses)
        record_domain_error(form, t, exc, fields, words)


Recorder = Callable[[FormState, Translator, DomainError | ValidationError, FieldMap], None]


def submit(
    session: Session,
    form: FormState,
    t: Translator,
    action: Callable[[], T],
    done: str | Callable[[T], str | Response],
    fields: FieldMap = no_fields,
    *,
    refusals: Collection[int] = REFUSALS,
    status: int | None = 422,
    words: Words = catalogue_words,
    record: Recorder | None = None,
    once: Once | None = None,
) -> Response | None:
    """Validate → service → commit → redirect, or roll back with the refusal on the form.

    `action` builds the service's input (a pydantic model may refuse it) and calls the
    service; it runs only when the form holds no message yet (the page's own checks of what
    was typed put theirs first). It went through: the session is committed and the answer
    is a 303 to `done` (or `done(result)`, which may also be the answer itself). It did not: the session is rolled back, the
    refusal recorded on the form (next to the input `fields` names, else above it, in
    `words`), `form.status` set to `status` (None: the refusal's own, e.g. 409) and None
    returned: the caller renders the page again with the form. `refusals` (401, 403 by
    default) go on to the error pages. `record` replaces the recording for a form that
    words some refusal its own way; it raises the refusals it does not show itself.
    `once` (`form_once`): the form's one-time token; a form submitted again lands on what
    its first submit led to, with a notice, and registers nothing."""
    if once is not None:
        landed = _landed(session, once)
        if landed is not None:
            session.rollback()
            return landed
    if not form.ok:
        session.rollback()
        return None
    try:
        claim = _claim_token(session, once) if once is not None else None
        result = action()
        answer = done(result) if callable(done) else done
        if claim is not None:
            target = answer if isinstance(answer, str) else answer.headers.get("location")
            claim.status_code, claim.response_body = 303, target or "/"
            session.add(claim)
        session.commit()
    except IntegrityError:
        session.rollback()
        landed = _landed(session, once) if once is not None else None
        if landed is None:
            raise
        return landed
    except (DomainError, ValidationError) as exc:
        session.rollback()
        if record is not None:
            record(form, t, exc, fields)
        else:
            record_error(form, t, exc, fields, refusals, words)
        if isinstance(exc, DomainError):
            form.code, form.refusal = exc.code, exc
        own = exc.status if isinstance(exc, DomainError) else 422
        form.status = own if status is None else status
        return None
    return answer if isinstance(answer, Response) else redirect(answer)


def validated(
    form: FormState, t: Translator, model: type[M], data: dict[str, Any], fields: FieldMap
) -> M | None:
    """`model` made from `data`, or None with every field's problem on the form (shown
    together with the page's own checks, before the service is asked)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        record_validation_error(form, t, exc, fields)
        return None


def posted(*names: str, **defaults: str) -> Callable[[Request], Awaitable[dict[str, str]]]:
    """A dependency: the named inputs of the posted form as text ("" or `defaults` when
    not sent), for forms with more inputs than a signature should list, or that several
    handlers read alike (the household form, a report's counts)."""

    async def read(request: Request) -> dict[str, str]:
        sent = await request.form()
        return {name: str(sent.get(name, defaults.get(name, ""))) for name in names}

    return read


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as a service names a field: `lines[2].quantity`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


# --- parsing what was typed --------------------------------------------------------------------


class NumberError(ValueError):
    """Why a typed number is not one: `required`, `whole` (a fraction where a whole number
    is wanted: `4.0`), `decimals` (more than the field allows), `number` (anything else)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def number_text(text: str, *, decimals: int = 0) -> str:
    """The one reading of a number typed into any form (findings 10, 14, 15, 28, 52): the
    plain ASCII text Python reads, or NumberError.

    Full-width digits and punctuation are folded (NFKC: ４ → 4, ，→ ,), spaces dropped, and
    commas taken as thousands separators where they group by three (8,100 and 8，100).
    Refused: `_` (1_0), exponents (1e3), other digits (١٢٣, which NFKC leaves as they are),
    a fraction in a whole-number field (4.0), more than `decimals` places in one that takes
    them (amounts: 2)."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    folded = folded.replace(" ", "").replace("\u00a0", "")
    if not folded:
        raise NumberError("required")
    if not folded.isascii() or not _NUMBER.fullmatch(folded):
        raise NumberError("number")
    plain = folded.replace(",", "")
    _, _, fraction = plain.partition(".")
    if "." in plain and decimals == 0:
        raise NumberError("whole")
    if len(fraction) > decimals:
        raise NumberError("decimals")
    return plain


def whole_number(
    form: FormState, t: Translator, name: str, text: str, *, required: bool = True
) -> int | None:
    """An integer typed into a field (`8,100`, `８１００` and ` 12 ` too, never `1_0` or
    `1e3`: `number_text`), or None with the field's message recorded; a blank optional field
    is None without a message."""
    if not (text or "").strip() and not required:
        return None
    try:
        return int(number_text(text))
    except NumberError as exc:
        form.fail(name, t("err.required") if exc.reason == "required" else t("err.whole_number"))
        return None


def int_or_none(text: str | None) -> int | None:
    """A whole number typed or sent as text (read as `number_text` reads it), or None (the
    caller says what None means)."""
    try:
        return int(number_text(text or ""))
    except NumberError:
        return None


# The largest id a row may have (PostgreSQL's integer), the largest a query may name.
MAX_QUERY_ID = 2_147_483_647


def query_id(text: str | None) -> int | None:
    """A query parameter's id or count (`?event_id=7`, `?stuck_days=14`): ASCII digits,
    spaces around them allowed, 0 … MAX_QUERY_ID; anything else (`abc`, `-1`, `1_000`,
    `１２`, a number too large) is None, which the page reads as "no filter" — a filter
    or a hand-edited link never fails."""
    cleaned = (text or "").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 10:
        return None
    value = int(cleaned)
    return value if value <= MAX_QUERY_ID else None


def cst_input(value: datetime | None) -> str:
    """A time as `<input type="datetime-local">` wants it, in CST."""
    shown = clock.to_cst(value)
    return shown.strftime(DATETIME_LOCAL) if shown else ""


def parse_cst(text: str) -> datetime | None:
    """A `datetime-local` value typed in CST (what the forms say), or None."""
    try:
        return datetime.strptime(text.strip(), DATETIME_LOCAL).replace(tzinfo=clock.CST)
    except ValueError:
        return None


def id_number(form: FormState, t: Translator, name: str, text: str) -> None:
    """A typed ID number checked as the service will (relief.subsidies.ids), only to word
    its reason in the page's language (`idn.<code>`) next to the input; the service checks
    it again and stays the judge."""
    try:
        normalise_id_number(text)
    except IdNumberError as exc:
        key = f"idn.{exc.code}"
        worded = t(key)
        form.fail(name, str(exc) if worded == key else worded)


def padded(values: list[str], size: int) -> list[str]:
    """A repeated input's values, with blanks up to `size` (rows the browser left out)."""
    return [*values, *[""] * (max(size, len(values)) - len(values))]
