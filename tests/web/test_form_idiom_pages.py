"""Issue 13, "one form idiom for every page": every POST handler of the web package goes
through `relief.web.forms.submit` (validate → service → commit → redirect, or roll back and
show the form again), and a refused form of each page module answers 422 with what was
typed kept and the error summary at its top (which forms.js focuses)."""

from __future__ import annotations

import inspect
import re

import pytest
from fastapi.routing import APIRoute

from relief.web import (
    account,
    duty,
    home,
    ledgers,
    map_pages,
    reserve,
    shell,
    subsidies,
    subsidy_office,
    winter,
)
from relief.web import warehouse as warehouse_pages
from tests.web.conftest import MANAGED_WAREHOUSE
from tests.web.test_duty_pages import snowstorm  # noqa: F401 - fixture
from tests.web.test_ledger_pages import flashflood  # noqa: F401 - fixture

MODULES = (account, home, map_pages, shell, duty, warehouse_pages, subsidies, subsidy_office)
MODULES += (ledgers, reserve)
MODULES += (winter,)  # 冬春 (issue 15)
# POST routes that carry no form a user fills in: a button whose refusal is an error page.
NO_FORM = {
    "/logout": "signs out whoever is signed in; nothing to refuse",
    "/inbox/{inbox_id}/ack": "one button; someone else's notification is the 403 page",
    "/responses/{response_id}/closures/{road_id}/reopen": "one button; errors are pages",
}


def _post_routes() -> list[APIRoute]:
    return [
        route
        for module in MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]


def test_every_post_handler_of_the_web_pages_uses_the_one_form_idiom():
    routes = _post_routes()
    assert len(routes) >= 25  # the walk found the handlers (issue 13 counted 24 and more)
    for route in routes:
        if route.path in NO_FORM:
            continue
        source = inspect.getsource(route.endpoint)
        helper = re.search(r"\b(_submit|submit|_stock_change|_run_whatif)\(", source)
        assert helper, f"POST {route.path} does not go through relief.web.forms.submit"


def test_the_old_idioms_are_gone():
    from relief.web import forms

    for name in ("domain_errors", "invalid_fields", "error_message"):
        assert not hasattr(forms, name)
    for module in MODULES:
        source = inspect.getsource(module)
        assert "_errors=" not in source.replace("import_errors=", ""), module


def _summary(html: str) -> str:
    match = re.search(
        r'<div class="error-summary"[^>]*data-error-summary[^>]*>(.*?)</div>', html, re.S
    )
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("user", "path", "data", "kept"),
    [
        # duty.py: an event whose region is unknown (the service refuses it)
        (
            "duty",
            "/events",
            {
                "name": "暴雪演练",
                "hazard": "snowstorm",
                "started_at": "2026-07-28T08:00",
                "region_codes": "999999",
            },
            "暴雪演练",
        ),
        # warehouse.py: an adjustment that is not a whole number, without a reason
        (
            "manager",
            f"/warehouses/{MANAGED_WAREHOUSE}/adjustments",
            {"item_code": "water", "delta": "十箱", "lot": "", "reason": ""},
            "十箱",
        ),
        # subsidies.py: a household with several mistakes at once
        (
            "county",
            "/subsidies/households",
            {"head_name": "", "id_number": "123", "size": "abc", "region_code": "150102101"},
            "abc",
        ),
        # ledgers.py: an entry sent with only a name
        ("county", "/events/{flashflood}/casualties", {"name": "王小明", "age": "三十"}, "三十"),
        # winter.py: a survey entry with neither a household number nor a count of people
        (
            "township",
            "/winter-spring/survey?season=2026",
            {"household_id": "王家", "people": "三"},
            "三",
        ),
    ],
)
def test_a_refused_form_of_each_module_answers_422_keeps_what_was_typed_and_sums_up(
    client,
    sign_in,
    snowstorm,  # noqa: F811
    flashflood,  # noqa: F811
    user,
    path,
    data,
    kept,
):
    sign_in(user)
    reply = client.post(path.format(flashflood=flashflood), data=data)
    assert reply.status_code == 422
    assert f'value="{kept}"' in reply.text
    summary = _summary(reply.text)
    assert summary and "<li>" in summary
    assert 'tabindex="-1"' in reply.text  # focusable: forms.js moves the focus there


def test_forms_js_focuses_the_summary_on_every_page(client, sign_in):
    sign_in("manager")
    page = client.get(f"/warehouses/{MANAGED_WAREHOUSE}").text
    assert '<script src="/static/web/forms.js" defer></script>' in page
    script = client.get("/static/web/forms.js").text
    assert "[data-error-summary]" in script and ".focus()" in script


def test_a_busy_database_at_sign_in_is_the_busy_page_not_a_wrong_password(
    client, web_users, monkeypatch
):
    from relief.errors import DomainError

    def busy(*_args, **_kwargs):
        raise DomainError("busy", "the database is busy, retry later")

    monkeypatch.setattr(account.auth, "sign_in", busy)
    reply = client.post("/login", data={"username": "duty", "password": "whatever"})
    assert reply.status_code == 503
    assert "Retry-After" in reply.headers
    assert "用户名或密码错误" not in reply.text
