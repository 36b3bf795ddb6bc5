"""Every reply says nosniff, forbids framing and keeps the referrer on the site (issue 12,
point 17): pages, JSON, errors, print views, PDFs, static files, /docs and /openapi.json.
The routes are read from the application, so a GET route added later is covered too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_no_5xx import ROUTES
from tests.web.conftest import MANAGED_WAREHOUSE, OTHER_WAREHOUSE

GET_PATHS = sorted({path for method, path in ROUTES if method == "GET"})


def _assert_protected(reply) -> None:
    where = f"{reply.request.method} {reply.request.url.path} → {reply.status_code}"
    assert reply.headers.get("X-Content-Type-Options") == "nosniff", where
    assert reply.headers.get("Referrer-Policy") == "same-origin", where
    csp = reply.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where


def _order(client, sign_in) -> int:
    sign_in("manager")
    reply = client.post(
        f"/warehouses/{MANAGED_WAREHOUSE}/transfer",
        data={
            "to_warehouse_code": OTHER_WAREHOUSE,
            "item_code": ["water"],
            "quantity": ["5"],
            "reason": "补充",
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return int(re.match(r"/orders/(\d+)", reply.headers["location"]).group(1))


def test_the_route_list_has_the_pages_the_api_and_the_docs():
    assert {"/", "/docs", "/openapi.json", "/api/v1/dispatch-orders/{order_id}/print"} <= set(
        GET_PATHS
    )


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_every_get_route_sends_the_security_headers(client, sign_in, signed_in):
    if signed_in:
        sign_in("admin")
    for path in GET_PATHS:
        filled = re.sub(r"\{[^}]+\}", "1", path)
        reply = client.get(filled, follow_redirects=False)
        _assert_protected(reply)
        if not path.startswith("/static/"):
            _assert_not_stored(reply)


def test_print_views_pdfs_static_files_docs_and_errors_send_them(client, sign_in):
    order = _order(client, sign_in)
    replies = [
        client.get(f"/api/v1/dispatch-orders/{order}/print"),
        client.get(f"/api/v1/dispatch-orders/{order}/pdf"),
        client.get(f"/orders/{order}"),
        client.get("/static/web/relief.css"),
        client.get("/static/swagger/swagger-ui-bundle.js"),
        client.get("/docs"),
        client.get("/openapi.json"),
        client.get("/no/such/page"),
        client.get("/api/v1/no/such/thing"),
        client.post("/api/v1/regions", content=b"{not json"),
        client.post("/api/v1/auth/token", data={"username": "manager", "password": "wrong"}),
    ]
    assert [r.status_code for r in replies[:7]] == [200] * 7
    assert replies[1].headers["content-type"] == "application/pdf"
    for reply in replies:
        _assert_protected(reply)
    # The UI's pages keep their own, stricter policy: no inline script or style at all.
    assert "style-src" not in replies[2].headers["Content-Security-Policy"]


def test_only_the_docs_page_may_run_inline_script(client):
    assert (
        "script-src 'self' 'unsafe-inline'"
        in client.get("/docs").headers["Content-Security-Policy"]
    )
    for path in ("/openapi.json", "/api/v1/health", "/"):
        assert "unsafe-inline' " not in client.get(path).headers["Content-Security-Policy"]
        assert "script-src" not in client.get(path).headers["Content-Security-Policy"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_swagger_ui_still_works_under_its_policy_in_chromium(live_server):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    from tests.web.test_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda msg: (
                    refused.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            page.goto(f"{live_server}/docs")
            # Swagger UI's inline start-up script ran and drew its frame into the page.
            page.wait_for_selector("#swagger-ui .swagger-ui")
            # …and read the OpenAPI 3.1 document: the operations are listed (Swagger UI 4
            # answered "Unable to render this definition").
            page.wait_for_selector('[data-path="/api/v1/auth/token"]')
            assert page.locator(".opblock").count() > 50
            assert refused == []
        finally:
            browser.close()


def _assert_not_stored(reply) -> None:
    where = f"{reply.request.method} {reply.request.url.path} → {reply.status_code}"
    assert "no-store" in reply.headers.get("Cache-Control", ""), where
    assert reply.headers.get("Pragma") == "no-cache", where


def test_replies_that_carry_secrets_are_never_stored_by_a_cache(client, sign_in, web_users):
    """N9: tokens, one-time passwords, ID numbers and payment lists must not stay in a
    browser's or a proxy's cache: every API reply and every page says no-store."""
    from tests.conftest import PASSWORD

    token = client.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
    assert token.status_code == 200
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    replies = [
        token,
        client.post("/api/v1/auth/token", data={"username": "admin", "password": "wrong-1"}),
        client.get("/api/v1/me", headers=bearer),
        client.post("/api/v1/users/duty/reset-password", headers=bearer),
        client.get("/api/v1/households/1", headers=bearer),
        client.get("/"),
        client.post("/login", data={"username": "admin", "password": "wrong-1"}),
    ]
    sign_in("manager")
    replies.append(client.get("/password"))
    for reply in replies:
        _assert_not_stored(reply)
    assert replies[3].status_code == 200


def test_static_files_may_still_be_cached(client):
    reply = client.get("/static/web/relief.css")
    assert reply.status_code == 200
    assert "no-store" not in reply.headers.get("Cache-Control", "")
