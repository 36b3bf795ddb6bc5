"""The page of goods to households (发放到户, issue 16) without a browser: linked from the
township's home, holdings from a received order, an issue that asks for more than is held
refused next to the item with what was typed kept, a reversal, the fulfilment table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.dispatch import service as dispatch
from relief.emergency import service as emergency
from relief.emergency.models import EventIn
from relief.subsidies import service as subsidies
from relief.subsidies.ids import vault_for
from relief.subsidies.models import HouseholdIn
from tests.subsidies.conftest import EVENT_STARTED, id_number
from tests.web.conftest import MANAGED_WAREHOUSE, TOWNSHIP

PAGE = f"/regions/{TOWNSHIP}/distribution"
ORIGIN = {"Origin": "http://testserver"}


@pytest.fixture
def delivered(engine, web_users, settings) -> dict[str, int]:
    """An event with two households of the township, and an order of 20 bags of rice and 10
    quilts from the county depot that the township has signed for (through the services)."""
    with transaction(engine) as session:
        event = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="2026年7月山洪",
                hazard="flood",
                started_at=EVENT_STARTED,
                region_codes=["150102"],
            ),
        )
        ids = []
        for n, (name, size) in enumerate((("王建国", 3), ("李秀英", 2)), start=1):
            body = HouseholdIn(
                event_id=event.id,
                region_code=TOWNSHIP,
                head_name=name,
                id_number=id_number(n),
                size=size,
                damage="collapsed",
            )
            ids.append(
                subsidies.create_household(session, SYSTEM, body, vault_for(settings.secret_key)).id
            )
        order = dispatch.create_order(
            session,
            SYSTEM,
            source_warehouse_code=MANAGED_WAREHOUSE,
            destination_code=TOWNSHIP,
            destination_kind="region",
            lines=[dispatch.OrderLine("rice", 20), dispatch.OrderLine("quilt", 10)],
            route=[MANAGED_WAREHOUSE, "150102", TOWNSHIP],
            eta_h=Decimal("0.1"),
            distance_km=Decimal("4.4"),
            reference="plan 1",
        )
        dispatch.dispatch_order(
            session, SYSTEM, order.id, vehicle="货车", driver="王师傅", plate="蒙A12345"
        )
        dispatch.receive_order(
            session,
            SYSTEM,
            order.id,
            lines=[
                {"item_code": "rice", "received": 20},
                {"item_code": "quilt", "received": 10},
            ],
        )
        return {"event": event.id, "first": ids[0], "second": ids[1], "order": order.id}


def test_the_township_finds_the_page_on_its_home_and_sees_what_it_holds(client, sign_in, delivered):
    sign_in("township")
    home = client.get("/")
    assert f'href="{PAGE}"' in home.text
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    assert "发放到户 · 海拉尔东路街道" in page.text
    assert 'data-item="rice"' in page.text and "王建国" in page.text


def test_an_issue_beyond_what_is_held_comes_back_with_the_message_at_the_item(
    client, sign_in, delivered
):
    sign_in("township")
    form = {
        "event_id": str(delivered["event"]),
        "household_id": str(delivered["first"]),
        "issued_on": "2026-07-21",
        "q_rice": "25",
        "q_quilt": "3",
        "signed_by": "王建国",
    }
    refused = client.post(f"{PAGE}/issues", data=form, headers=ORIGIN)
    assert refused.status_code == 409, refused.text
    assert 'id="issue-q-rice-error"' in refused.text
    assert "海拉尔东路街道 现有大米 20，不能发放 25" in refused.text
    assert 'value="25"' in refused.text and 'value="王建国"' in refused.text
    done = client.post(
        f"{PAGE}/issues", data=form | {"q_rice": "6"}, headers=ORIGIN, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"])
    assert "已登记发放" in page.text
    # Hohhot's norms: 1.5 bags of rice and 1 quilt a person; a yurt is 0.01 a person, so
    # no household's share (0.03) rounds to one.
    assert "大米 6/5；" in page.text and "棉被 3/3" in page.text and "尚未发放" in page.text
    assert "蒙古包" not in page.text.split('data-testid="fulfilment"')[1].split("</table>")[0]
    issue_id = page.text.split('data-issue="')[1].split('"')[0]
    back = client.post(
        f"{PAGE}/issues/{issue_id}/reversal",
        data={"event_id": str(delivered["event"]), "reason": "登记错户"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text
    assert "已冲销" in client.get(back.headers["location"]).text


def test_county_staff_of_another_county_get_the_error_page(
    client, sign_in, delivered, make_user, login
):
    make_user("other", "county_staff", regions=("150103",))
    reply = client.post(
        "/login",
        data={"username": "other", "password": __import__("tests.conftest").conftest.PASSWORD},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert client.get(PAGE).status_code == 403


# --- the scan of the signed list, and what an attacker may try (issue 16 part 5) ---------

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
FORM = {"issued_on": "2026-07-21", "q_rice": "5", "signed_by": "王建国", "note": "第一批"}


def _form(delivered, **changes):
    return {
        "event_id": str(delivered["event"]),
        "household_id": str(delivered["first"]),
        **FORM,
        **changes,
    }


def _issues(engine) -> list:
    from sqlmodel import Session, select

    from relief.distribution.models import IssueRow

    with Session(engine) as session:
        return list(session.exec(select(IssueRow)).all())


def _rice_held(client) -> int:
    reply = client.get(f"/api/v1/regions/{TOWNSHIP}/holdings")
    return sum(h["quantity"] for h in reply.json()["holdings"] if h["item_code"] == "rice")


def test_an_issue_comes_with_the_photo_of_the_signed_list_and_the_page_links_it(
    client, sign_in, delivered, engine
):
    sign_in("township")
    page = client.get(PAGE)
    assert 'enctype="multipart/form-data"' in page.text.split('data-testid="issue-form"')[0][-400:]
    assert 'id="issue-scan"' in page.text and "不超过 5 MB" in page.text
    done = client.post(
        f"{PAGE}/issues",
        data=_form(delivered),
        files={"scan": ("签字单.png", PNG, "image/png")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    (issued,) = _issues(engine)
    assert issued.scan == PNG and issued.scan_type == "image/png"
    page = client.get(done.headers["location"])
    link = f'href="/api/v1/issues/{issued.id}/scan"'
    assert link in page.text and "查看扫描件" in page.text
    assert f'data-testid="scan-form-{issued.id}"' not in page.text  # kept once
    got = client.get(f"/api/v1/issues/{issued.id}/scan")
    assert got.status_code == 200 and got.content == PNG


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("签字单.exe", b"MZ\x90\x00" + b"0" * 64, 422, "扫描件须为照片"),
        ("签字单.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", 422, "扫描件须为照片"),
        ("大照片.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), 413, "超过 5 MB"),
    ],
)
def test_a_scan_that_is_not_a_photo_or_pdf_or_too_large_comes_back_next_to_the_file(
    client, sign_in, delivered, engine, name, content, status, words
):
    sign_in("township")
    refused = client.post(
        f"{PAGE}/issues",
        data=_form(delivered),
        files={"scan": (name, content, "image/png")},
        headers=ORIGIN,
    )
    assert refused.status_code == status, refused.text[:2000]
    assert 'id="issue-scan-error"' in refused.text
    assert words in refused.text.split('id="issue-scan-error"')[1][:300]
    # What was typed is kept; nothing was issued.
    assert 'value="王建国"' in refused.text and 'value="第一批"' in refused.text
    assert 'value="5"' in refused.text
    assert _issues(engine) == [] and _rice_held(client) == 20


def test_a_scan_is_uploaded_later_on_the_issue_once_and_only_an_image_or_pdf(
    client, sign_in, delivered, engine
):
    sign_in("county")
    done = client.post(
        f"{PAGE}/issues", data=_form(delivered), headers=ORIGIN, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    (issued,) = _issues(engine)
    page = client.get(done.headers["location"])
    assert f'data-testid="scan-form-{issued.id}"' in page.text
    url = f"{PAGE}/issues/{issued.id}/scan"
    event = {"event_id": str(delivered["event"])}

    bad = client.post(
        url, data=event, files={"scan": ("a.txt", b"hello", "text/plain")}, headers=ORIGIN
    )
    assert bad.status_code == 422
    assert f'id="scan-file-{issued.id}-error"' in bad.text and "扫描件须为照片" in bad.text
    big = client.post(
        url,
        data=event,
        files={"scan": ("a.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")},
        headers=ORIGIN,
    )
    assert big.status_code == 413 and "超过 5 MB" in big.text
    none = client.post(url, data=event, headers=ORIGIN)
    assert none.status_code == 422 and "请选择签字单的扫描件或照片" in none.text
    assert _issues(engine)[0].scan is None

    ok = client.post(
        url,
        data=event,
        files={"scan": ("签字单.pdf", b"%PDF-1.4 signed", "application/pdf")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    shown = client.get(ok.headers["location"])
    assert "已上传签字单扫描件" in shown.text and f"/api/v1/issues/{issued.id}/scan" in shown.text
    again = client.post(
        url, data=event, files={"scan": ("b.png", PNG, "image/png")}, headers=ORIGIN
    )
    assert again.status_code == 409 and "不能替换" in again.text
    assert _issues(engine)[0].scan == b"%PDF-1.4 signed"


@pytest.fixture
def elsewhere(engine, delivered, settings) -> int:
    """A household of the same event in 锡林路街道, another township of the county."""
    with transaction(engine) as session:
        body = HouseholdIn(
            event_id=delivered["event"],
            region_code="150102002",
            head_name="赵外乡",
            id_number=id_number(9),
            size=2,
            damage="collapsed",
        )
        return subsidies.create_household(session, SYSTEM, body, vault_for(settings.secret_key)).id


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"q_rice": "-5"}, "issue-q-rice", "整数"),
        ({"q_rice": "5.5"}, "issue-q-rice", "整数"),
        ({"q_rice": "99999999999999999999"}, "issue-q-rice", None),
        ({"q_rice": "1000000000"}, "issue-q-rice", "不能发放"),
        ({"household_id": "99999999999999"}, "issue-household", None),
        ({"issued_on": "2999-01-01"}, "issue-date", None),
        ({"signed_by": "   "}, "issue-signed", None),
    ],
)
def test_bad_quantities_and_fields_come_back_next_to_the_field_and_issue_nothing(
    client, sign_in, delivered, engine, changes, field, words
):
    sign_in("township")
    refused = client.post(f"{PAGE}/issues", data=_form(delivered, **changes), headers=ORIGIN)
    assert 400 <= refused.status_code < 500, refused.text[:2000]
    assert f'id="{field}-error"' in refused.text
    if words:
        assert words in refused.text.split(f'id="{field}-error"')[1][:300]
    assert _issues(engine) == [] and _rice_held(client) == 20


def test_a_household_of_another_township_is_refused_at_the_household(
    client, sign_in, delivered, engine, elsewhere
):
    sign_in("township")
    refused = client.post(
        f"{PAGE}/issues", data=_form(delivered, household_id=str(elsewhere)), headers=ORIGIN
    )
    assert refused.status_code == 422, refused.text[:2000]
    assert 'id="issue-household-error"' in refused.text
    assert _issues(engine) == [] and _rice_held(client) == 20


def test_staff_of_another_township_cannot_issue_here_or_upload_a_scan_to_an_issue_here(
    client, sign_in, delivered, engine, make_user
):
    from tests.conftest import PASSWORD

    sign_in("township")
    done = client.post(
        f"{PAGE}/issues", data=_form(delivered), headers=ORIGIN, follow_redirects=False
    )
    assert done.status_code == 303
    (issued,) = _issues(engine)
    client.cookies.clear()
    make_user("xilin", "township_staff", regions=("150102002",))
    assert (
        client.post(
            "/login", data={"username": "xilin", "password": PASSWORD}, follow_redirects=False
        ).status_code
        == 303
    )
    assert client.post(f"{PAGE}/issues", data=_form(delivered), headers=ORIGIN).status_code == 403
    # Through its own township's page, an issue of this township is still refused.
    other = "/regions/150102002/distribution"
    reply = client.post(
        f"{other}/issues/{issued.id}/scan",
        data={"event_id": str(delivered["event"])},
        files={"scan": ("s.png", PNG, "image/png")},
        headers=ORIGIN,
    )
    assert reply.status_code == 403
    assert _issues(engine)[0].scan is None and len(_issues(engine)) == 1


def test_an_unknown_township_or_issue_is_the_error_page_not_a_500(client, sign_in, delivered):
    sign_in("county")
    assert client.post(
        "/regions/999999999/distribution/issues", data=_form(delivered), headers=ORIGIN
    ).status_code in (403, 404)
    reply = client.post(
        f"{PAGE}/issues/99999999999999/scan",
        data={"event_id": str(delivered["event"])},
        files={"scan": ("s.png", PNG, "image/png")},
        headers=ORIGIN,
    )
    assert reply.status_code == 404


def test_an_item_the_page_does_not_offer_is_refused_above_the_form(
    client, sign_in, delivered, engine
):
    sign_in("township")
    for item in ("tent", "no-such-item"):
        form = _form(delivered, q_rice="") | {f"q_{item}": "1"}
        refused = client.post(f"{PAGE}/issues", data=form, headers=ORIGIN)
        assert 400 <= refused.status_code < 500, refused.text[:2000]
        assert 'class="error form-error"' in refused.text or "error-summary" in refused.text
        assert 'value="王建国"' in refused.text
    assert _issues(engine) == []


def test_an_issue_form_submitted_twice_issues_once_and_says_so(client, sign_in, delivered, engine):
    from tests.web.test_form_fixes_pages import _token

    sign_in("township")
    token = _token(client.get(f"{PAGE}?event_id={delivered['event']}").text, "issue-form")
    data = _form(delivered) | {"form_token": token}
    first = client.post(f"{PAGE}/issues", data=data, headers=ORIGIN, follow_redirects=False)
    assert first.status_code == 303, first.text
    again = client.post(f"{PAGE}/issues", data=data, headers=ORIGIN, follow_redirects=False)
    assert again.status_code == 303 and "notice=resubmitted" in again.headers["location"]
    assert len(_issues(engine)) == 1
    assert "该表单已提交，未重复登记" in client.get(again.headers["location"]).text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"issued_on": "2099-01-01"}, "issued_on", "发放日期晚于今天"),
        ({"signed_by": " "}, "signed_by", "请填写领取人签字的姓名"),
    ],
)
def test_a_refused_issue_says_what_is_wrong_next_to_the_field(
    client, sign_in, delivered, engine, change, field, words
):
    sign_in("township")
    reply = client.post(f"{PAGE}/issues", data=_form(delivered, **change), headers=ORIGIN)
    assert reply.status_code == 422
    assert words in reply.text and "填写有误，请检查" not in reply.text
    assert _issues(engine) == []


def test_the_english_page_has_no_chinese_brackets_or_commas(client, sign_in, delivered):
    from relief.web.shell import LANG_COOKIE

    sign_in("township")
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get(f"{PAGE}?event_id={delivered['event']}").text
    form = page.split('data-testid="issue-form"', 1)[1].split("</form>", 1)[0]
    assert "（" not in form and "，" not in form
