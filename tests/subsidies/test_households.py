"""Household registration: validation, duplicates, region rules, masking, the audited
full-ID read, scope, and that the database never holds a clear ID number."""

from __future__ import annotations

from sqlalchemy import text

from tests.subsidies.conftest import id_number


def test_registration_returns_the_household_with_a_masked_id(client, world, register):
    household = register(1, category="dibao", phone="13800000001")
    number = id_number(1)
    assert household["id_number"] == number[:6] + "********" + number[-4:]
    assert household["category"] == "dibao"
    assert household["event_id"] == world.event_id
    assert household["created_at"].endswith("+08:00")


def test_the_database_holds_no_clear_id_number(engine, client, world, register):
    numbers = [id_number(1), "15012519850312004X"]
    register(1)
    register(2, id_number=numbers[1].lower())  # stored (encrypted) as upper-case X
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM households ORDER BY id")).mappings().all()
        audit = " ".join(
            str(a) for a in conn.execute(text("SELECT before, after FROM audit_records")).all()
        )
    assert len(rows) == 2
    for number, row in zip(numbers, rows, strict=True):
        stored = " ".join(str(v) for v in row.values())
        assert number not in stored and number.lower() not in stored
        assert number[6:14] not in stored  # not even the birth date
        assert row["id_masked"] == number[:6] + "********" + number[-4:]
        assert number not in audit
    full = client.get(f"/api/v1/households/{rows[1]['id']}", headers=world.clerk).json()
    assert full["id_number"] == numbers[1]


def test_bank_accounts_are_encrypted_masked_in_lists_and_clear_only_in_the_audited_read(
    engine, client, world, register
):
    account = "6228480000000012345"
    household = register(1, bank_account=account)
    assert household["bank_account"] == "****2345"
    listed = client.get("/api/v1/households", headers=world.clerk).json()["items"]
    assert [h["bank_account"] for h in listed] == ["****2345"]
    with engine.connect() as conn:
        stored = " ".join(
            str(v) for v in conn.execute(text("SELECT * FROM households")).mappings().one().values()
        )
        audit = " ".join(str(a) for a in conn.execute(text("SELECT after FROM audit_records")))
    assert account not in stored and account[:-4] not in stored
    assert account not in audit

    full = client.get(f"/api/v1/households/{household['id']}", headers=world.clerk).json()
    assert full["bank_account"] == account
    without = register(2, bank_account="")
    assert without["bank_account"] is None
    read = client.get(f"/api/v1/households/{without['id']}", headers=world.clerk).json()
    assert read["bank_account"] is None


def test_same_number_twice_in_one_event_is_a_duplicate_naming_the_first(client, world, register):
    first = register(1)
    reply = client.post(
        "/api/v1/households",
        json={
            "event_id": world.event_id,
            "region_code": "150102002",
            "head_name": "另一人",
            "id_number": id_number(1),
            "size": 2,
            "damage": "general",
        },
        headers=world.clerk,
    )
    assert reply.status_code == 409
    detail = reply.json()["detail"]
    assert detail["code"] == "duplicate_registration"
    assert detail["existing_id"] == first["id"]
    assert str(first["id"]) in detail["message"] and "户主1" in detail["message"]


def test_a_number_registered_in_another_county_names_only_that_county(client, world, register):
    first = register(1, head_name="王秀兰")
    body = {
        "event_id": world.event_id,
        "region_code": "150103001",
        "head_name": "另一人",
        "id_number": id_number(1),
        "size": 2,
        "damage": "general",
    }
    for language in ("en", "zh-CN"):
        reply = client.post(
            "/api/v1/households",
            json=body,
            headers={**world.other_clerk, "Accept-Language": language},
        )
        assert reply.status_code == 409
        detail = reply.json()["detail"]
        assert detail["code"] == "duplicate_registration"
        assert detail["field"] == "id_number"
        assert "新城区" in detail["message"]
        # Nothing of the household itself: no name, number, village, id.
        assert "existing_id" not in detail
        text = reply.text
        for leaked in ("王秀兰", first["id_number"], id_number(1), "150102001", "海拉尔东路街道"):
            assert leaked not in text
        assert "household" not in detail["message"] and "户 " not in detail["message"]


def test_bad_id_numbers_are_422_on_id_number(client, world):
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "张三",
        "size": 3,
        "damage": "collapsed",
    }
    for bad in ("150102199001011231", "150102900101123", "150102209901011238"):
        reply = client.post(
            "/api/v1/households", json={**body, "id_number": bad}, headers=world.clerk
        )
        assert reply.status_code == 422, bad
        assert reply.json()["detail"]["field"] == "id_number"


def test_region_must_be_known_lowest_level_and_inside_the_event(client, world, engine):
    body = {
        "event_id": world.event_id,
        "head_name": "张三",
        "id_number": id_number(5),
        "size": 3,
        "damage": "collapsed",
    }
    for code, status in (("999999", 422), ("150102", 422)):
        reply = client.post(
            "/api/v1/households", json={**body, "region_code": code}, headers=world.clerk
        )
        assert reply.status_code == status, code
        assert reply.json()["detail"]["field"] == "region_code"
    # A second event that covers only 回民区: a 新城区 township is outside it.
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.emergency import service as emergency
    from relief.emergency.models import EventIn

    with transaction(engine) as session:
        other = emergency.create_event(
            session,
            SYSTEM,
            EventIn(
                name="回民区冰雹",
                hazard="hail",
                started_at="2026-08-01T10:00:00+08:00",
                region_codes=["150103"],
            ),
        ).id
    reply = client.post(
        "/api/v1/households",
        json={**body, "event_id": other, "region_code": "150102001"},
        headers=world.clerk,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "region_code"
    reply = client.post(
        "/api/v1/households",
        json={**body, "event_id": 999_999, "region_code": "150102001"},
        headers=world.clerk,
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "event_id"


def test_a_clerk_of_another_county_gets_403_and_nothing_is_created(client, world):
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "张三",
        "id_number": id_number(7),
        "size": 3,
        "damage": "collapsed",
    }
    reply = client.post("/api/v1/households", json=body, headers=world.other_clerk)
    assert reply.status_code == 403
    assert reply.json()["detail"]["code"] == "scope_forbidden"
    page = client.get("/api/v1/households", headers=world.admin).json()
    assert page["total"] == 0


def test_roles_other_than_county_staff_cannot_register(client, world):
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "张三",
        "id_number": id_number(7),
        "size": 3,
        "damage": "collapsed",
    }
    for headers in (world.approver, world.duty):
        reply = client.post("/api/v1/households", json=body, headers=headers)
        assert reply.status_code == 403
        assert reply.json()["detail"]["code"] == "role_forbidden"


def test_lists_are_masked_paginated_and_scoped(client, world, register):
    for seq in range(1, 4):
        register(seq)
    page = client.get("/api/v1/households?limit=2&offset=0", headers=world.clerk).json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["items"]) == 2
    for item in page["items"]:
        assert "********" in item["id_number"]
    assert client.get("/api/v1/households", headers=world.other_clerk).json()["total"] == 0
    assert client.get("/api/v1/households", headers=world.duty).status_code == 403
    filtered = client.get("/api/v1/households?region_code=150102002", headers=world.clerk).json()
    assert filtered["total"] == 0
    by_county = client.get("/api/v1/households?region_code=150102", headers=world.clerk).json()
    assert by_county["total"] == 3


def test_the_full_id_is_shown_in_scope_and_the_read_is_audited(client, world, register):
    household = register(1)
    url = f"/api/v1/households/{household['id']}"
    for headers in (world.clerk, world.approver, world.admin):
        reply = client.get(url, headers=headers)
        assert reply.status_code == 200
        assert reply.json()["id_number"] == id_number(1)
    assert client.get(url, headers=world.other_clerk).status_code == 403
    assert client.get(url, headers=world.duty).status_code == 403
    audit = client.get(
        f"/api/v1/audit?entity=household&entity_id={household['id']}", headers=world.admin
    ).json()
    reads = [r for r in audit["items"] if r["action"] == "read_id_number"]
    assert sorted(r["actor"] for r in reads) == ["admin", "approver", "clerk"]
    assert id_number(1) not in str(audit)
    assert client.get("/api/v1/households/424242", headers=world.admin).status_code == 404


def test_bad_input_is_4xx_never_5xx(client, world):
    for body in (
        {},
        {"event_id": "x"},
        {
            "event_id": 2**40,
            "region_code": "150102001",
            "head_name": "a",
            "id_number": "1",
            "size": 1,
            "damage": "collapsed",
        },
        {
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": "a\x00b",
            "id_number": id_number(1),
            "size": 1,
            "damage": "collapsed",
        },
        {
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": "a",
            "id_number": id_number(1),
            "size": 0,
            "damage": "collapsed",
        },
        {
            "event_id": world.event_id,
            "region_code": "150102001",
            "head_name": "a",
            "id_number": id_number(1),
            "size": 1,
            "damage": "flooded",
        },
    ):
        reply = client.post("/api/v1/households", json=body, headers=world.clerk)
        assert 400 <= reply.status_code < 500, (body, reply.text)
    reply = client.post(
        "/api/v1/households",
        content=b"{not json",
        headers={**world.clerk, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert client.get("/api/v1/households/99999999999", headers=world.admin).status_code == 422


def test_bad_queries_and_bodies_on_every_endpoint_are_4xx(client, world, rebuild):
    for url in (
        "/api/v1/cases?stuck_days=999999999",
        "/api/v1/cases?region_code=%00",
        "/api/v1/cases?offset=99999999999999999999",
        "/api/v1/households?event_id=99999999999",
        "/api/v1/households?without_case=%00",
        "/api/v1/programmes/%00/summary",
        "/api/v1/public-notice?programme=HHHT-REBUILD&format=pdf",
        "/api/v1/public-notice?programme=%00",
        "/api/v1/households/import-template?format=doc",
    ):
        reply = client.get(url, headers=world.admin)
        assert reply.status_code == 422, (url, reply.text)
    for url, body in (
        ("/api/v1/cases", {"household_id": "x", "programme_code": "HHHT-REBUILD"}),
        ("/api/v1/cases", {"household_id": 1, "programme_code": "HHHT-REBUILD"}),
        ("/api/v1/cases", {"household_id": 2**31, "programme_code": "HHHT-REBUILD"}),
        ("/api/v1/cases/1/transitions", {"action": "fly"}),
        ("/api/v1/cases/1/transitions", {"action": "village_review"}),
        (
            "/api/v1/cases/1/payments",
            {"amount": "1e400", "paid_on": "2026-01-01", "reference": "r"},
        ),
        ("/api/v1/cases/1/payments", {"amount": "1", "paid_on": "someday", "reference": "r"}),
        ("/api/v1/payments/1/reversal", {"reason": "x"}),
        ("/api/v1/programmes/HHHT-REBUILD/standards", {"effective_from": "2026-02-30"}),
        ("/api/v1/programmes/NOPE/standards", {"effective_from": "2026-01-01"}),
    ):
        reply = client.post(url, json=body, headers=world.admin)
        assert 400 <= reply.status_code < 500, (url, body, reply.text)


def test_bank_account_and_phone_are_checked_on_registration_and_correction(client, world, register):
    """Issue 13 review #45: an account is 12–19 digits (spaces dropped, no Luhn check), never
    Excel's 1.23E+18; a phone is digits, spaces, - and + starting with a digit, never `=1+2`."""
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": "张三",
        "id_number": id_number(7),
        "size": 3,
        "damage": "collapsed",
    }
    zh = {**world.clerk, "Accept-Language": "zh-CN"}
    for field, bad in (
        ("bank_account", "1.23E+18"),
        ("bank_account", "6.21700E+18"),
        ("bank_account", "62170000123"),  # 11 digits
        ("bank_account", "62170000123456789012"),  # 20 digits
        ("bank_account", "6217-0000-1234-5678"),
        ("phone", "=1+2"),
        ("phone", "+8613800000000"),
        ("phone", "123456"),
        ("phone", "@138000000"),
    ):
        reply = client.post("/api/v1/households", json={**body, field: bad}, headers=zh)
        assert reply.status_code == 422, (field, bad)
        assert reply.json()["detail"]["field"] == field, (field, bad)
    reply = client.post("/api/v1/households", json={**body, "bank_account": "1.23E+18"}, headers=zh)
    assert "Excel" in reply.json()["detail"]["message"]
    # Not a card number: an account failing Luhn is still an account.
    household = register(8, bank_account="6217 0000 1234 5678 900", phone="0471-123 4567")
    full = client.get(f"/api/v1/households/{household['id']}", headers=world.clerk).json()
    assert (full["bank_account"], full["phone"]) == ("6217000012345678900", "0471-123 4567")
    patch = client.patch(
        f"/api/v1/households/{household['id']}",
        json={"reason": "户主更正", "bank_account": "6.21700E+18"},
        headers=world.clerk,
    )
    assert patch.status_code == 422 and patch.json()["detail"]["field"] == "bank_account"


def test_a_duplicate_registration_in_chinese_names_the_event_and_the_village(
    client, world, register
):
    """Issue 13 review #38: 「2026年7月山洪」 and 海拉尔东路街道, not event 1 / 150102001."""
    register(1)
    reply = client.post(
        "/api/v1/households",
        json={
            "event_id": world.event_id,
            "region_code": "150102002",
            "head_name": "另一人",
            "id_number": id_number(1),
            "size": 2,
            "damage": "general",
        },
        headers={**world.clerk, "Accept-Language": "zh-CN"},
    )
    message = reply.json()["detail"]["message"]
    assert "「2026年7月山洪」" in message and "海拉尔东路街道" in message, message
    assert "150102001" not in message
