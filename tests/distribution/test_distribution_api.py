"""Goods to households (发放到户, issue 16): what a township signs for becomes its holding; it
issues to households registered for the event there, never more than held; corrections by
reversal; the 发放花名册 and its all-or-nothing import; fulfilment per household; scopes;
`relief check`."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from relief import clock
from relief.cli import app as cli_app
from relief.config import get_settings

T1 = "150102001"
HOLDINGS = f"/api/v1/regions/{T1}/holdings"
ISSUES = f"/api/v1/regions/{T1}/issues"
TODAY = date.today().isoformat()


def issue(client, world, who, household_id, rice=4, quilt=0, code=T1, **extra):
    lines = [{"item_code": "rice", "quantity": rice}] if rice else []
    if quilt:
        lines.append({"item_code": "quilt", "quantity": quilt})
    body = {
        "event_id": world.event_id,
        "household_id": household_id,
        "issued_on": TODAY,
        "signed_by": "张三",
        "lines": lines,
        **extra,
    }
    return client.post(f"/api/v1/regions/{code}/issues", json=body, headers=who)


def held(client, world, item="rice"):
    reply = client.get(HOLDINGS, headers=world.clerk)
    assert reply.status_code == 200, reply.text
    return sum(h["quantity"] for h in reply.json()["holdings"] if h["item_code"] == item)


def test_what_a_township_signs_for_becomes_its_holding_lot_by_lot(client, world, received):
    order_id = received(rice=250, quilt=10)
    reply = client.get(HOLDINGS, headers=world.township).json()
    assert reply["region_name"] == "海拉尔东路街道"
    lots = {(h["item_code"], h["lot"]): h["quantity"] for h in reply["holdings"]}
    # The depot shipped its earliest-expiring lot first.
    assert lots == {("rice", "R-EARLY"): 200, ("rice", "R-LATE"): 50, ("quilt", None): 10}
    assert {(e["kind"], e["order_id"]) for e in reply["entries"]} == {("receipt", order_id)}
    assert reply["total"] == 3


def test_an_issue_takes_goods_from_the_holding_and_a_reversal_puts_them_back(
    client, world, received, register
):
    received(rice=20, quilt=10)
    household = register(1)
    given = issue(client, world, world.township, household["id"], rice=8, quilt=4)
    assert given.status_code == 201, given.text
    body = given.json()
    assert body["kind"] == "issue" and body["head_name"] == "户主1"
    assert [(x["item_code"], x["quantity"]) for x in body["lines"]] == [("quilt", 4), ("rice", 8)]
    assert held(client, world) == 12 and held(client, world, "quilt") == 6

    back = client.post(
        f"/api/v1/issues/{body['id']}/reversal", json={"reason": "登记错户"}, headers=world.clerk
    )
    assert back.status_code == 201, back.text
    assert back.json()["kind"] == "reversal" and back.json()["reverses_id"] == body["id"]
    assert [x["quantity"] for x in back.json()["lines"]] == [-4, -8]
    assert held(client, world) == 20 and held(client, world, "quilt") == 10
    again = client.post(
        f"/api/v1/issues/{body['id']}/reversal", json={"reason": "x"}, headers=world.clerk
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_reversed"
    listed = client.get(f"{ISSUES}?event_id={world.event_id}", headers=world.township).json()
    assert listed["total"] == 2
    assert listed["items"][1]["reversed_by_id"] == back.json()["id"]


def test_an_issue_beyond_what_is_held_is_refused_naming_the_item_and_changes_nothing(
    client, world, received, register
):
    received(rice=20, quilt=10)
    household = register(1)
    reply = issue(client, world, world.township, household["id"], rice=5, quilt=11)
    assert reply.status_code == 409, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "stock_insufficient"
    assert detail["field"] == "lines[1].quantity" and detail["item_code"] == "quilt"
    assert held(client, world) == 20 and held(client, world, "quilt") == 10
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0


def test_true_or_a_string_is_not_a_quantity_and_nothing_is_issued(
    client, world, received, register
):
    """JSON `true` was taken as a quantity of 1 (pydantic's lax int); now refused like a
    receipt's or an order's quantity, naming the line's field."""
    received()
    household = register(1)
    for bad in (True, "4", 2.5):
        reply = issue(client, world, world.township, household["id"], rice=bad)
        assert reply.status_code == 422, reply.text
        assert reply.json()["detail"]["field"] == "lines[0].quantity"
    reply = issue(client, world, world.township, True)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "household_id"
    assert held(client, world) == 20
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0


def test_only_households_registered_for_the_event_in_the_township_are_given_goods(
    client, world, received, register
):
    received()
    elsewhere = register(2, region_code="150102002")
    reply = issue(client, world, world.clerk, elsewhere["id"])
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "household_id"
    here = register(3)
    reply = issue(client, world, world.clerk, here["id"], event_id=world.event_id + 1)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "household_id"
    reply = issue(client, world, world.clerk, 99999)
    assert reply.status_code == 404 and reply.json()["detail"]["field"] == "household_id"
    assert held(client, world) == 20


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"signed_by": ""}, "signed_by"),
        ({"issued_on": "2999-01-01"}, "issued_on"),
        ({"lines": []}, "lines"),
        ({"lines": [{"item_code": "rice", "quantity": 0}]}, "lines"),
        ({"lines": [{"item_code": "nothing", "quantity": 1}]}, "lines[0].item_code"),
        (
            {"lines": [{"item_code": "rice", "quantity": 1}, {"item_code": "rice", "quantity": 1}]},
            "lines[1].item_code",
        ),
    ],
)
def test_bad_issues_are_4xx_naming_the_field(client, world, received, register, change, field):
    received()
    household = register(1)
    reply = issue(client, world, world.clerk, household["id"], **change)
    assert 400 <= reply.status_code < 500, reply.text
    assert field in str(reply.json()["detail"]), reply.text
    assert held(client, world) == 20


def test_scopes_and_roles(client, world, received, register, make_user, login):
    received()
    make_user("manager", "warehouse_manager", warehouses=("WX",))
    manager = login("manager")
    household = register(1)
    # Township staff of another township, county staff of another county: 403.
    assert issue(client, world, world.other_township, household["id"]).status_code == 403
    assert issue(client, world, world.other_clerk, household["id"]).status_code == 403
    assert client.get(ISSUES, headers=world.other_clerk).status_code == 403
    assert client.get(HOLDINGS, headers=world.other_township).status_code == 403
    # Duty officers and approvers do not issue goods.
    assert issue(client, world, world.duty, household["id"]).status_code == 403
    assert issue(client, world, world.approver, household["id"]).status_code == 403
    # Warehouse managers read holdings, not households.
    assert client.get(HOLDINGS, headers=manager).status_code == 200
    assert client.get(ISSUES, headers=manager).status_code == 403
    given = issue(client, world, world.township, household["id"]).json()
    reversal = client.post(
        f"/api/v1/issues/{given['id']}/reversal", json={"reason": "x"}, headers=world.other_clerk
    )
    assert reversal.status_code == 403
    assert held(client, world) == 16
    # A village or a prefecture holds nothing for households.
    reply = client.get("/api/v1/regions/150100/holdings", headers=world.admin)
    assert reply.status_code == 422 and reply.json()["detail"]["field"] == "code"


def test_the_fulfilment_lists_each_households_share_and_who_has_nothing_after_three_days(
    client, world, received, register, login
):
    received(rice=20, quilt=10)
    served = register(1, size=3)
    waiting = register(2, size=2)
    issue(client, world, world.township, served["id"], rice=5, quilt=3)
    url = f"/api/v1/regions/{T1}/fulfilment?event_id={world.event_id}"
    now = client.get(url, headers=world.township).json()
    assert now["nothing_after_days"] == 3 and now["waiting"] == []
    rows = {h["household_id"]: h for h in now["households"]}
    shares = {i["item_code"]: (i["share"], i["issued"]) for i in rows[served["id"]]["items"]}
    assert shares == {"quilt": (3, 3), "rice": (6, 5)}  # 2 bags and 1 quilt a person
    assert rows[waiting["id"]]["nothing_yet"] is True
    later = clock.now() + timedelta(days=3, minutes=1)
    clock.set_clock(lambda: later)
    after = client.get(url, headers=login("township")).json()  # the old token has expired
    assert after["waiting"] == [waiting["id"]]


def _signed(client, world, village=None):
    url = f"/api/v1/regions/{T1}/roster?event_id={world.event_id}"
    reply = client.get(url, headers=world.township)
    assert reply.status_code == 200, reply.text
    sheet = load_workbook(io.BytesIO(reply.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(client, world, rows, who=None):
    return client.post(
        f"/api/v1/regions/{T1}/roster/import",
        data={"event_id": str(world.event_id)},
        files={"file": ("roster.xlsx", _xlsx(rows), "application/octet-stream")},
        headers=who or world.township,
    )


def test_the_roster_is_filled_with_what_each_household_is_owed_and_prints_as_pdf(
    client, world, received, register
):
    received()
    household = register(1, size=3)
    rows = _signed(client, world)
    assert rows[0] == [
        "序号", "户编号", "户主姓名", "身份证号码", "家庭人口", "所在地",
        "棉被（床）", "大米（袋）", "领取日期", "领取人签字",
    ]  # fmt: skip
    assert rows[1][1:3] == [household["id"], "户主1"] and rows[1][6:8] == [3, 6]
    assert "1980" not in str(rows[1][3])  # the ID number is masked
    pdf = client.get(
        f"/api/v1/regions/{T1}/roster?event_id={world.event_id}&format=pdf", headers=world.clerk
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.get(
            f"/api/v1/regions/{T1}/roster?event_id={world.event_id}", headers=world.other_clerk
        ).status_code
        == 403
    )


def test_a_signed_roster_imports_as_one_issue_per_household(client, world, received, register):
    received(rice=20, quilt=10)
    first, second, third = register(1, size=3), register(2, size=2), register(3, size=1)
    rows = _signed(client, world)
    rows[1][8:10] = [TODAY, "户主1"]
    rows[2][6:10] = [1, 2, TODAY, "户主2之妻"]
    rows[3][6:8] = [None, None]  # nothing handed over to the third: skipped
    reply = _import(client, world, rows)
    assert reply.status_code == 201, reply.text
    assert reply.json()["created"] == 2
    assert held(client, world) == 20 - 6 - 2 and held(client, world, "quilt") == 10 - 3 - 1
    listed = client.get(f"{ISSUES}?household_id={second['id']}", headers=world.clerk).json()
    assert (
        listed["items"][0]["signed_by"] == "户主2之妻" and listed["items"][0]["source"] == "roster"
    )
    assert {first["id"], third["id"]} - {r[1] for r in rows} == set()


def test_a_roster_with_any_bad_row_imports_nothing_and_lists_every_problem(
    client, world, received, register
):
    received(rice=20, quilt=10)
    register(1, size=3), register(2, size=2)
    elsewhere = register(3, region_code="150102002")
    rows = _signed(client, world)
    rows[1][8:10] = [TODAY, "户主1"]
    rows[2][6:10] = ["两", 2, TODAY, None]  # not a number, not signed
    rows.append([9, elsewhere["id"], "户主3", "", 1, "", 1, 1, TODAY, "户主3"])
    reply = _import(client, world, rows)
    assert reply.status_code == 422, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == "import_rejected"
    problems = {(p["row"], p["code"]) for p in detail["rejected"]}
    assert problems == {(3, "not_whole_number"), (3, "not_signed"), (4, "not_in_roster")}
    assert held(client, world) == 20
    too_much = _signed(client, world)
    too_much[1][6:10] = [3, 20, TODAY, "户主1"]
    too_much[2][6:10] = [1, 4, TODAY, "户主2"]
    reply = _import(client, world, too_much)
    assert reply.status_code == 422
    assert [(p["row"], p["code"]) for p in reply.json()["detail"]["rejected"]] == [
        (2, "roster_over_held")
    ]
    assert client.get(ISSUES, headers=world.clerk).json()["total"] == 0


def test_a_scan_of_the_signed_list_is_kept_once_and_only_an_image_or_pdf(
    client, world, received, register
):
    received()
    given = issue(client, world, world.township, register(1)["id"]).json()
    url = f"/api/v1/issues/{given['id']}/scan"
    bad = client.put(
        url, files={"file": ("x.exe", b"MZ\x90\x00", "image/png")}, headers=world.clerk
    )
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "scan"
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    ok = client.put(url, files={"file": ("s.png", png, "image/png")}, headers=world.township)
    assert ok.status_code == 200 and ok.json()["has_scan"] is True
    again = client.put(url, files={"file": ("s.png", png, "image/png")}, headers=world.clerk)
    assert again.status_code == 409
    got = client.get(url, headers=world.clerk)
    assert got.content == png and got.headers["content-type"] == "image/png"
    assert client.get(url, headers=world.other_clerk).status_code == 403


@pytest.fixture
def run_check(database_url, monkeypatch):
    monkeypatch.setenv("RELIEF_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield lambda: CliRunner().invoke(cli_app, ["check"])
    get_settings.cache_clear()


def test_relief_check_sees_a_holding_that_disagrees_with_its_ledger(
    client, world, engine, received, register, run_check
):
    received()
    issue(client, world, world.township, register(1)["id"], rice=4)
    result = run_check()
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:  # a holding changed behind the service's back
        conn.execute(text("UPDATE holdings SET quantity = 99 WHERE item_code = 'quilt'"))
    result = run_check()
    assert result.exit_code == 1
    assert "holding 150102001 quilt: quantity 99, ledger 10 (difference 89)" in result.output


def test_the_holding_ledger_is_append_only(client, world, engine, received):
    received()
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE holding_entries SET quantity = 1"))


@pytest.mark.db
def test_two_issues_of_the_last_units_let_exactly_one_through(
    client, world, received, register, live_server, parallel
):
    received(rice=5, quilt=1)
    households = [register(i)["id"] for i in (1, 2)]
    url = f"{live_server}{ISSUES}"
    township, clerk = world.township, world.clerk  # signed in before the threads start

    def give(i: int):
        def call() -> int:
            body = {
                "event_id": world.event_id,
                "household_id": households[i],
                "issued_on": TODAY,
                "signed_by": "张三",
                "lines": [{"item_code": "rice", "quantity": 4}],
            }
            return httpx.post(
                url, json=body, headers=township if i else clerk, timeout=60
            ).status_code

        return call

    statuses = parallel([give(0), give(1)])
    assert sorted(statuses) == [201, 409]
    assert held(client, world) == 1


def test_the_days_before_a_household_is_listed_come_from_the_policy(
    client, world, engine, received, register
):
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.emergency.policy import load_policy
    from relief.emergency.records import Policy
    from tests.distribution.conftest import NORMS

    with transaction(engine) as session:
        load_policy(
            session,
            SYSTEM,
            Policy(
                effective_from=date(2026, 1, 1),
                deadlines_h={level: Decimal(12) for level in (1, 2, 3, 4)},
                norms=NORMS,
                distribution={"nothing_after_days": 1},
            ),
            "test-2026",
        )
    received()
    register(1)
    url = f"/api/v1/regions/{T1}/fulfilment?event_id={world.event_id}"
    assert client.get(url, headers=world.clerk).json()["nothing_after_days"] == 1


def test_a_county_office_that_signs_for_goods_issues_them_to_households_of_its_townships(
    client, world, received, register
):
    received(rice=10, quilt=2, township="150102", who=world.clerk)
    household = register(1)  # of 150102001, a township of the county
    reply = issue(client, world, world.clerk, household["id"], rice=3, code="150102")
    assert reply.status_code == 201, reply.text
    holdings = client.get("/api/v1/regions/150102/holdings", headers=world.clerk).json()
    assert sum(h["quantity"] for h in holdings["holdings"] if h["item_code"] == "rice") == 7
    # The township's own staff do not reach the county's holding.
    assert issue(client, world, world.township, household["id"], code="150102").status_code == 403
