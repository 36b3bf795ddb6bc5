"""Findings of the issue-14 review (ledgers): the 一户一表's 损坏间数合计 from the rooms by
degree, the damage class checked against them (form, edit and import), the duty officer
reads the form; the deaths and missing ledger refuses dates outside the event and an age the
ID number contradicts."""

from __future__ import annotations

import io

from tests.subsidies.conftest import id_number


def _household(client, world, seq=1, **overrides):
    body = {
        "event_id": world.event_id,
        "region_code": "150102001",
        "head_name": f"户主{seq}",
        "id_number": id_number(seq),
        "size": 4,
        "damage": "collapsed",
        "rooms": 0,
        "category": "general",
        **overrides,
    }
    return client.post("/api/v1/households", json=body, headers=world.clerk)


def _field(reply):
    return reply.status_code, reply.json()["detail"]["field"]


def test_the_damage_class_and_the_rooms_must_agree(client, world):
    assert _field(_household(client, world, collapsed_rooms=0, severe_rooms=2)) == (
        422,
        "collapsed_rooms",
    )
    assert _field(_household(client, world, damage="none", general_rooms=2)) == (
        422,
        "general_rooms",
    )
    too_many = _household(client, world, collapsed_rooms=60, severe_rooms=50)
    assert _field(too_many) == (422, "collapsed_rooms")
    ok = _household(client, world, collapsed_rooms=2)
    assert ok.status_code == 201, ok.text
    edit = client.patch(
        f"/api/v1/households/{ok.json()['id']}",
        json={"collapsed_rooms": 0, "reason": "复核"},
        headers=world.clerk,
    )
    assert _field(edit) == (422, "collapsed_rooms")


def test_the_import_checks_the_rooms_too(client, world):
    header = "户主姓名,身份证号码,家庭人口,行政区划代码,房屋损坏程度,倒塌间数,严重损坏间数,一般损坏间数\n"
    rows = f"甲,{id_number(1)},3,150102001,倒塌,0,2,\n乙,{id_number(2)},3,150102001,未损坏,,,3\n"
    reply = client.post(
        "/api/v1/households/import",
        data={"event_id": str(world.event_id)},
        files={"file": ("h.csv", ("\ufeff" + header + rows).encode(), "text/csv")},
        headers=world.clerk,
    )
    assert reply.status_code == 422, reply.text
    rejected = {(e["row"], e["field"], e["code"]) for e in reply.json()["detail"]["rejected"]}
    assert (2, "collapsed_rooms", "collapsed_without_rooms") in rejected
    assert (3, "general_rooms", "rooms_without_damage") in rejected


def test_the_form_totals_the_rooms_by_degree_and_the_duty_officer_reads_it(client, world):
    from pypdf import PdfReader

    reply = _household(client, world, rooms=0, collapsed_rooms=3, severe_rooms=1, general_rooms=2)
    assert reply.status_code == 201, reply.text
    household = reply.json()
    client.cookies.set("relief_token", world.duty["Authorization"].removeprefix("Bearer "))
    html = client.get(f"/subsidies/households/{household['id']}/form")
    client.cookies.clear()
    assert html.status_code == 200
    total = html.text.split("损坏间数合计")[1][:80]
    assert ">6<" in total, total
    pdf = client.get(f"/api/v1/households/{household['id']}/form.pdf", headers=world.duty)
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "户主1" in text
    assert (
        client.get(
            f"/api/v1/households/{household['id']}/form.pdf", headers=world.approver
        ).status_code
        == 200
    )
    other = client.get(
        f"/api/v1/households/{household['id']}/form.pdf", headers=world.other_approver
    )
    assert other.status_code == 403


def _casualty(client, world, **overrides):
    body = {
        "region_code": "150102001",
        "name": "张三",
        "sex": "male",
        "id_number": id_number(7),  # born 1980-01-01
        "status": "dead",
        "occurred_on": "2026-07-20",
        "cause": "山洪",
        **overrides,
    }
    return client.post(
        f"/api/v1/events/{world.event_id}/casualties", json=body, headers=world.clerk
    )


def test_a_casualtys_date_lies_within_the_event_and_the_age_fits_the_id_number(client, world):
    assert _field(_casualty(client, world, occurred_on="2026-07-19")) == (422, "occurred_on")
    assert _field(_casualty(client, world, occurred_on="2999-01-01")) == (422, "occurred_on")
    assert _field(_casualty(client, world, age=30)) == (422, "age")
    ok = _casualty(client, world, age=46)
    assert ok.status_code == 201, ok.text
    patched = client.patch(
        f"/api/v1/events/{world.event_id}/casualties/{ok.json()['id']}",
        json={"age": 50, "reason": "更正"},
        headers=world.clerk,
    )
    assert _field(patched) == (422, "age")
