"""Form plumbing shared by the UI's page modules (duty, warehouse, subsidies).

The pages hold no rules of their own: a service refuses with a `DomainError` (or a model
with a pydantic `ValidationError`) and these helpers put its message where the user will
see it, next to the input the error's `field` names or above the form.

- `check_origin`, `same_site_posts` (from relief/web/origin.py, re-exported): a POST whose
  `Origin` names another host is refused before anything is read.
- `redirect`: post-redirect-get, a 303 to the page that shows the result.
- `FormState`, `record_error` (`record_domain_error`, `record_validation_error`): a form as
  the user left it, with the messages by field name (the warehouse and subsidy pages).
- `domain_errors`, `invalid_fields`, `error_message`: the same as plain dicts of messages
  (the duty pages).
- `reraise_refusal`: a refusal of the role or scope (403, …) goes on to the error page
  instead of being shown on the form.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from relief.errors import DomainError
from relief.web.i18n import MESSAGES, Translator
from relief.web.origin import check_origin, same_site_posts  # noqa: F401 (re-exported)
from relief.web.shell import request_lang

FieldMap = Callable[[str], str | None]


def redirect(url: str) -> RedirectResponse:
    """Post-redirect-get: the answer to a form that went through."""
    return RedirectResponse(url, status_code=303)


def reraise_refusal(exc: DomainError, statuses: Collection[int] = (401, 403)) -> None:
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


# --- FormState: the warehouse and subsidy pages ----------------------------------------------


@dataclass
class FormState:
    """A form as the user left it: the values typed, and the messages by field name.

    Field names are those of the service's errors (`delta`, `lines[2].quantity`), so a
    template looks a message up with the name its input stands for; `general` holds an
    error that names no field of the form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


def error_text(t: Translator, code: str, field_name: str | None, fallback: str) -> str:
    """The message for an error in the page's language: a worded one for the code and the
    field (`err.below_floor`, `err.validation_error.quantity`), else the service's own."""
    leaf = field_name.rsplit(".", 1)[-1] if field_name else ""
    for key in (f"err.{code}.{leaf}", f"err.{code}"):
        text = t(key)
        if text != key:
            return text
    return fallback


def fields_in(names: Collection[str]) -> FieldMap:
    """An error's field shown next to its input when the form has one by that name."""
    return lambda name: name if name in names else None


def no_fields(_: str) -> None:
    """For a form whose errors are all shown above it."""
    return None


def record_domain_error(form: FormState, t: Translator, exc: DomainError, fields: FieldMap) -> None:
    fallback = exc.text(t.lang)
    text = error_text(t, exc.code, exc.field, fallback)
    name = fields(exc.field) if exc.field else None
    if name is None:
        form.general = text
    else:
        form.errors[name] = text


def record_validation_error(
    form: FormState, t: Translator, exc: ValidationError, fields: FieldMap
) -> None:
    for problem in exc.errors():
        path = field_path(problem["loc"])
        text = error_text(t, "validation_error", path, t("err.validation_error"))
        name = fields(path) if path else None
        if name is None:
            form.general = form.general or text
        else:
            form.errors.setdefault(name, text)


def record_error(
    form: FormState,
    t: Translator,
    exc: DomainError | ValidationError,
    fields: FieldMap,
    statuses: Collection[int] = (401, 403),
) -> None:
    """A refused form's error recorded on it; a refusal of the role or scope (`statuses`)
    is raised again for the error pages."""
    if isinstance(exc, ValidationError):
        record_validation_error(form, t, exc, fields)
    else:
        reraise_refusal(exc, statuses)
        record_domain_error(form, t, exc, fields)


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as a service names a field: `lines[2].quantity`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


# --- plain dicts of messages: the duty pages --------------------------------------------------


def field_name(field: str | None) -> str:
    """The input a service's field path names: `region_codes[0]` → `region_codes`."""
    return (field or "").split("[", 1)[0].split(".", 1)[0]


def error_message(request: Request, exc: DomainError) -> str:
    return exc.text(request_lang(request))


def domain_errors(request: Request, exc: DomainError, fields: Iterable[str]) -> dict[str, str]:
    """A service's refusal placed next to the input it names, else above the form (a
    field the form does not have would otherwise hide the message)."""
    name = field_name(exc.field)
    return {name if name in fields else "form": error_message(request, exc)}


def invalid_fields(request: Request, exc: ValidationError) -> dict[str, str]:
    """Pydantic's complaints by input name, in the page's language."""
    words = MESSAGES[request_lang(request)]
    out: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        out.setdefault(name, words["form.invalid"])
    return out
