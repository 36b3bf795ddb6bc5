"""Stock over HTTP: receipts, stocktake adjustments, the ledger, alerts, who may do what."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from relief import clock

API = "/api/v1"


def _stock(client, headers, warehouse: str) -> dict[str, dict]:
    reply = client.get(f"{API}/warehouses/{warehouse}/stock", headers=headers)
    assert reply.status_code == 200, reply.text
    return {row["item_code"]: row for row in reply.json()}


# Each receipt its own 入库单号 unless a test names one: a repeated one is refused.
_REFS = itertools.count(1)


def _receipt(
    client,
    headers,
    warehouse: str,
    lines: list[dict],
    reference: str | None = None,
    override_reason: str | None = None,
):
    body = {"reference": reference or f"GR-{next(_REFS)}", "lines": lines}
    if override_reason:  # an expired lot is booked only with a reason
        body["override_reason"] = override_reason
    return client.post(f"{API}/warehouses/{warehouse}/receipts", json=body, headers=headers)


def _adjust(client, headers, warehouse: str, **body):
    return client.post(f"{API}/warehouses/{warehouse}/adjustments", json=body, headers=headers)


# --- receipts ---------------------------------------------------------------------------


def test_receipt_with_lots_and_expiry_shows_in_stock_and_ledger(client, users, differences):
    lines = [
        {"item_code": "water", "quantity": 40, "lot": "B-2", "expires_on": "2037-03-01"},
        {"item_code": "water", "quantity": 60, "lot": "B-1", "expires_on": "2036-12-01"},
        {"item_code": "tent", "quantity": 10},
    ]
    reply = _receipt(client, users["mgr1"], "W1", lines, reference="GR-2026-001")
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["reference"] == "GR-2026-001"
    assert body["actor"] == "mgr1"
    assert body["at"].endswith("+08:00")
    assert [(line["item_code"], line["quantity"], line["lot"]) for line in body["lines"]] == [
        ("water", 40, "B-2"),
        ("water", 60, "B-1"),
        ("tent", 10, None),
    ]
    assert {row["item_code"] for row in body["stock"]} == {"water", "tent"}

    stock = _stock(client, users["duty"], "W1")
    assert stock["water"] == {
        "item_code": "water",
        "on_hand": 100,
        "reserved": 0,
        "floor": 0,
        "expired": 0,
        "available": 100,
        "shortfall": 0,
        "lots": [  # first-expiring first
            {"lot": "B-1", "expires_on": "2036-12-01", "on_hand": 60, "expired": False},
            {"lot": "B-2", "expires_on": "2037-03-01", "on_hand": 40, "expired": False},
        ],
    }
    assert stock["tent"]["lots"] == [
        {"lot": None, "expires_on": None, "on_hand": 10, "expired": False}
    ]

    ledger = client.get(f"{API}/warehouses/W1/ledger", headers=users["clerk"]).json()
    assert ledger["total"] == 3
    newest = ledger["items"][0]
    assert set(newest) == {
        "id",
        "warehouse_code",
        "item_code",
        "lot",
        "kind",
        "on_hand_delta",
        "reserved_delta",
        "reference",
        "reason",
        "actor",
        "at",
        "counted",
    }
    assert (newest["item_code"], newest["kind"], newest["on_hand_delta"]) == ("tent", "receipt", 10)
    assert [m["id"] for m in ledger["items"]] == sorted(
        (m["id"] for m in ledger["items"]), reverse=True
    )
    assert differences() == []


def test_receipt_into_a_held_lot_with_another_expiry_is_409_and_changes_nothing(
    client, users, ledger_count
):
    line = {"item_code": "water", "quantity": 5, "lot": "B-1", "expires_on": "2036-12-01"}
    assert _receipt(client, users["mgr1"], "W1", [line]).status_code == 201
    before = ledger_count()
    reply = _receipt(
        client,
        users["mgr1"],
        "W1",
        [{"item_code": "tent", "quantity": 1}, {**line, "expires_on": "2037-01-01"}],
    )
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "lot_expiry_mismatch"
    assert reply.json()["detail"]["field"] == "lines[1].expires_on"
    assert ledger_count() == before
    assert "tent" not in _stock(client, users["mgr1"], "W1")


def test_receipt_with_unknown_item_names_the_line(client, users, ledger_count):
    lines = [{"item_code": "tent", "quantity": 1}, {"item_code": "caviar", "quantity": 1}]
    reply = _receipt(client, users["mgr1"], "W1", lines)
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "unknown_code"
    assert reply.json()["detail"]["field"] == "lines[1].item_code"
    assert ledger_count() == 0


def test_expiry_without_a_lot_number_is_422_on_the_lot(client, users):
    reply = _receipt(
        client,
        users["mgr1"],
        "W1",
        [{"item_code": "water", "quantity": 1, "expires_on": "2037-01-01"}],
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["field"] == "lines[0].lot"


# --- adjustments ------------------------------------------------------------------------


def test_adjustment_below_zero_is_409_stock_insufficient_on_delta(
    client, users, put_stock, ledger_count
):
    put_stock("W1", "tent", 10)
    before = ledger_count()
    reply = _adjust(client, users["mgr1"], "W1", item_code="tent", delta=-11, reason="count")
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "stock_insufficient"
    assert reply.json()["detail"]["field"] == "delta"
    assert ledger_count() == before
    assert _stock(client, users["mgr1"], "W1")["tent"]["on_hand"] == 10


def test_adjustment_below_floor_needs_an_override_which_is_recorded(
    client, users, put_stock, ledger_count
):
    put_stock("W1", "tent", 100, floor=30)
    refused = _adjust(client, users["mgr1"], "W1", item_code="tent", delta=-80, reason="flooded")
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "below_floor"
    assert refused.json()["detail"]["field"] == "delta"
    blank = _adjust(
        client, users["mgr1"], "W1", item_code="tent", delta=-80, reason="x", override_reason=" "
    )
    assert blank.status_code == 409  # a blank override is no override

    count = ledger_count()
    done = _adjust(
        client,
        users["mgr1"],
        "W1",
        item_code="tent",
        delta=-80,
        reason="flooded",
        override_reason="store room under water, confirmed by bureau",
    )
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["stock"]["on_hand"] == 20
    assert body["stock"]["available"] == 0
    assert [m["on_hand_delta"] for m in body["movements"]] == [-80]
    assert ledger_count() == count + 1

    audit = client.get(
        f"{API}/audit?entity=stock_level&entity_id=W1/tent", headers=users["admin"]
    ).json()
    record = audit["items"][0]
    assert record["actor"] == "mgr1"
    assert record["action"] == "adjust"
    assert record["before"]["on_hand"] == 100
    assert record["after"]["on_hand"] == 20
    assert record["after"]["reason"] == "flooded"
    assert record["after"]["override_reason"] == "store room under water, confirmed by bureau"
    assert record["after"]["below_floor"] is True


def test_negative_adjustment_without_lot_takes_first_expiring_lots(client, users):
    _receipt(
        client,
        users["mgr1"],
        "W1",
        [
            {"item_code": "water", "quantity": 10, "lot": "L-late", "expires_on": "2028-01-01"},
            {"item_code": "water", "quantity": 10, "lot": "L-soon", "expires_on": "2026-08-01"},
            {"item_code": "water", "quantity": 10},
        ],
        override_reason="到货时已过期",  # L-soon may be past its date by now
    )
    reply = _adjust(client, users["mgr1"], "W1", item_code="water", delta=-15, reason="count")
    assert reply.status_code == 201, reply.text
    assert [(m["lot"], m["on_hand_delta"]) for m in reply.json()["movements"]] == [
        ("L-soon", -10),
        ("L-late", -5),
    ]
    lots = {
        lot["lot"]: lot["on_hand"] for lot in _stock(client, users["mgr1"], "W1")["water"]["lots"]
    }
    assert lots == {"L-late": 5, None: 10}


def test_adjustment_of_a_named_lot(client, users):
    _receipt(
        client,
        users["mgr1"],
        "W1",
        [{"item_code": "water", "quantity": 10, "lot": "A", "expires_on": "2036-08-01"}],
    )
    short = _adjust(client, users["mgr1"], "W1", item_code="water", delta=-11, reason="c", lot="A")
    assert short.status_code == 409
    unknown = _adjust(client, users["mgr1"], "W1", item_code="water", delta=-1, reason="c", lot="Z")
    assert unknown.status_code == 422
    assert unknown.json()["detail"]["field"] == "lot"
    found = _adjust(
        client, users["mgr1"], "W1", item_code="water", delta=3, reason="found", lot="A"
    )
    assert found.status_code == 201
    assert found.json()["stock"]["lots"] == [
        {"lot": "A", "expires_on": "2036-08-01", "on_hand": 13, "expired": False}
    ]


def test_adjustment_cannot_take_reserved_stock(client, users, put_stock, engine):
    from relief.auth.models import SYSTEM
    from relief.db import transaction
    from relief.stock import service

    put_stock("W1", "tent", 10)
    with transaction(engine) as session:
        service.reserve_stock(session, SYSTEM, "W1", "tent", 8, "DO-1")
    reply = _adjust(
        client, users["mgr1"], "W1", item_code="tent", delta=-3, reason="x", override_reason="y"
    )
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "stock_insufficient"


# --- who may do what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ["duty", "clerk"])
def test_roles_other_than_manager_and_admin_may_not_change_stock(
    client, users, put_stock, ledger_count, role
):
    put_stock("W1", "tent", 10)
    before = ledger_count()
    receipt = _receipt(client, users[role], "W1", [{"item_code": "tent", "quantity": 1}])
    adjustment = _adjust(client, users[role], "W1", item_code="tent", delta=1, reason="x")
    assert receipt.status_code == adjustment.status_code == 403
    assert (
        receipt.json()["detail"]["code"] == adjustment.json()["detail"]["code"] == "role_forbidden"
    )
    assert ledger_count() == before


def test_manager_of_another_warehouse_gets_403_and_nothing_changes(
    client, users, put_stock, ledger_count, level
):
    put_stock("W1", "tent", 10)
    before = ledger_count()
    receipt = _receipt(client, users["mgr2"], "W1", [{"item_code": "tent", "quantity": 1}])
    adjustment = _adjust(client, users["mgr2"], "W1", item_code="tent", delta=-1, reason="x")
    assert receipt.status_code == adjustment.status_code == 403
    assert receipt.json()["detail"]["code"] == "scope_forbidden"
    assert adjustment.json()["detail"]["code"] == "scope_forbidden"
    assert ledger_count() == before
    assert level("W1", "tent") == (10, 0, 0)


def test_admin_may_change_any_warehouse_and_everyone_may_read(client, users):
    reply = _receipt(client, users["admin"], "W3", [{"item_code": "quilt", "quantity": 4}])
    assert reply.status_code == 201
    for name in ("mgr1", "duty", "clerk"):
        assert _stock(client, users[name], "W3")["quilt"]["on_hand"] == 4
        ledger = client.get(f"{API}/warehouses/W3/ledger", headers=users[name])
        assert ledger.status_code == 200
        assert ledger.json()["total"] == 1


def test_stock_needs_a_token(client, users):
    assert client.get(f"{API}/warehouses/W1/stock").status_code == 401
    assert client.get(f"{API}/stock/low").status_code == 401


def test_unknown_warehouse_in_the_path_is_404(client, users):
    assert client.get(f"{API}/warehouses/NOPE/stock", headers=users["duty"]).status_code == 404
    assert client.get(f"{API}/warehouses/NOPE/ledger", headers=users["duty"]).status_code == 404
    reply = _receipt(client, users["admin"], "NOPE", [{"item_code": "tent", "quantity": 1}])
    assert reply.status_code == 404
    assert reply.json()["detail"]["code"] == "not_found"


# --- ledger -----------------------------------------------------------------------------


def test_ledger_is_paginated_newest_first_and_sums_to_stock(client, users):
    for i in range(5):
        _receipt(client, users["mgr1"], "W1", [{"item_code": "tent", "quantity": i + 1}], f"GR-{i}")
    _adjust(client, users["mgr1"], "W1", item_code="tent", delta=-4, reason="count")
    first = client.get(f"{API}/warehouses/W1/ledger?limit=4&offset=0", headers=users["mgr2"]).json()
    rest = client.get(f"{API}/warehouses/W1/ledger?limit=4&offset=4", headers=users["mgr2"]).json()
    assert first["total"] == rest["total"] == 6
    assert (first["limit"], first["offset"], rest["offset"]) == (4, 0, 4)
    rows = first["items"] + rest["items"]
    assert len(rows) == 6
    assert rows[0]["kind"] == "adjustment" and rows[0]["reason"] == "count"
    assert [r["reference"] for r in rows[1:]] == ["GR-4", "GR-3", "GR-2", "GR-1", "GR-0"]
    assert all(r["at"].endswith("+08:00") for r in rows)
    tent = _stock(client, users["mgr1"], "W1")["tent"]
    assert sum(r["on_hand_delta"] for r in rows) == tent["on_hand"] == 11
    assert sum(r["reserved_delta"] for r in rows) == tent["reserved"] == 0


# --- alerts -----------------------------------------------------------------------------


def test_low_stock_uses_one_and_a_half_floors_and_is_scoped_for_managers(client, users, put_stock):
    put_stock("W1", "tent", 100, floor=40)  # free 100 ≥ 60: fine
    put_stock("W1", "quilt", 50, floor=40)  # 40 ≤ 50 < 60: near
    put_stock("W1", "water", 0, floor=0)  # nothing: out of stock
    put_stock("W2", "tent", 10, floor=40)  # below the floor
    put_stock("W2", "quilt", 59, floor=40)  # 59 < 60: near (⌈1.5 × 40⌉ = 60)
    everyone = client.get(f"{API}/stock/low", headers=users["duty"]).json()
    assert [(r["warehouse_code"], r["item_code"], r["status"]) for r in everyone] == [
        ("W1", "quilt", "near_floor"),
        ("W1", "water", "out_of_stock"),
        ("W2", "quilt", "near_floor"),
        ("W2", "tent", "below_floor"),
    ]
    assert everyone[0]["threshold"] == 60
    mine = client.get(f"{API}/stock/low", headers=users["mgr2"]).json()
    assert {r["warehouse_code"] for r in mine} == {"W2"}


def test_expiring_lots_within_days_soonest_first_and_scoped(client, users):
    clock.set_clock(lambda: datetime(2026, 7, 1, 4, 0, tzinfo=UTC))
    _receipt(
        client,
        users["mgr1"],
        "W1",
        [
            {"item_code": "water", "quantity": 5, "lot": "OLD", "expires_on": "2026-06-20"},
            {"item_code": "water", "quantity": 5, "lot": "SOON", "expires_on": "2026-07-10"},
            {"item_code": "water", "quantity": 5, "lot": "LATER", "expires_on": "2026-12-31"},
            {"item_code": "water", "quantity": 5},
        ],
        override_reason="到货时已过期",
    )
    _receipt(
        client,
        users["mgr2"],
        "W2",
        [{"item_code": "water", "quantity": 7, "lot": "W2-A", "expires_on": "2026-07-31"}],
    )
    reply = client.get(f"{API}/stock/expiring?days=30", headers=users["duty"])
    assert reply.status_code == 200
    assert [(r["lot"], r["days_left"], r["expired"]) for r in reply.json()] == [
        ("OLD", -11, True),
        ("SOON", 9, False),
        ("W2-A", 30, False),
    ]
    mine = client.get(f"{API}/stock/expiring?days=30", headers=users["mgr1"]).json()
    assert [r["lot"] for r in mine] == ["OLD", "SOON"]
    assert client.get(f"{API}/stock/expiring?days=-1", headers=users["duty"]).status_code == 422
    assert client.get(f"{API}/stock/expiring?days=1.5", headers=users["duty"]).status_code == 422


# --- bad input --------------------------------------------------------------------------

GARBAGE_RECEIPTS = [
    None,
    [],
    "text",
    {},
    {"reference": "R"},
    {"reference": "R", "lines": []},
    {"reference": "", "lines": [{"item_code": "tent", "quantity": 1}]},
    {"reference": "R", "lines": "tent"},
    {"reference": "R", "lines": [{"item_code": "tent"}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 0}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": -3}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 1.5}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 2.0}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": "3"}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": True}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 10**30}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": None}]},
    {"reference": "R", "lines": [{"item_code": "", "quantity": 1}]},
    {"reference": "R", "lines": [{"item_code": "x" * 65, "quantity": 1}]},
    {"reference": "R", "lines": [{"item_code": "te\x00nt", "quantity": 1}]},
    {"reference": "R", "lines": [{"item_code": 12, "quantity": 1}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 1, "lot": "x" * 65}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 1, "lot": "\x00"}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 1, "lot": 7}]},
    {
        "reference": "R",
        "lines": [{"item_code": "tent", "quantity": 1, "lot": "A", "expires_on": "2026-13-01"}],
    },
    {
        "reference": "R",
        "lines": [{"item_code": "tent", "quantity": 1, "lot": "A", "expires_on": "01/02/2026"}],
    },
    {
        "reference": "R",
        "lines": [{"item_code": "tent", "quantity": 1, "lot": "A", "expires_on": 20260101}],
    },
    {
        "reference": "R",
        "lines": [
            {
                "item_code": "tent",
                "quantity": 1,
                "lot": "A",
                "expires_on": "2026-01-01T00:00:00+08:00",
            }
        ],
    },
    {"reference": "R" * 129, "lines": [{"item_code": "tent", "quantity": 1}]},
    {"reference": "R", "lines": [{"item_code": "tent", "quantity": 1}] * 1001},
]

GARBAGE_ADJUSTMENTS = [
    None,
    {},
    [],
    {"item_code": "tent", "reason": "x"},
    {"item_code": "tent", "delta": 0, "reason": "x"},
    {"item_code": "tent", "delta": 1.5, "reason": "x"},
    {"item_code": "tent", "delta": "-1", "reason": "x"},
    {"item_code": "tent", "delta": -(10**30), "reason": "x"},
    {"item_code": "tent", "delta": 1},
    {"item_code": "tent", "delta": 1, "reason": ""},
    {"item_code": "tent", "delta": 1, "reason": "   "},
    {"item_code": "tent", "delta": 1, "reason": "x" * 501},
    {"item_code": "tent", "delta": 1, "reason": "x", "lot": ["A"]},
    {"item_code": "tent", "delta": 1, "reason": "x", "override_reason": 5},
    {"item_code": "caviar", "delta": 1, "reason": "x"},
    {"item_code": "\x00", "delta": 1, "reason": "x"},
    {"item_code": None, "delta": 1, "reason": "x"},
]


def _refusals(client, headers, path: str, bodies: list) -> list[tuple[object, int, dict]]:
    """(body, status, detail) of each garbage body; one test per endpoint keeps the set-up
    (network, users) to one run instead of one per body."""
    out = []
    for body in bodies:
        reply = client.post(f"{API}/warehouses/W1/{path}", json=body, headers=headers)
        out.append((body, reply.status_code, reply.json()["detail"]))
    return out


def test_garbage_receipts_are_4xx_naming_a_field_and_change_nothing(client, users, ledger_count):
    for body, status, detail in _refusals(client, users["mgr1"], "receipts", GARBAGE_RECEIPTS):
        assert 400 <= status < 500, (body, status, detail)
        assert detail["code"] in ("validation_error", "unknown_code", "bad_request"), body
        if isinstance(body, dict):
            assert detail["field"], (body, detail)
    assert ledger_count() == 0


def test_garbage_adjustments_are_4xx_naming_a_field_and_change_nothing(
    client, users, put_stock, ledger_count, level
):
    put_stock("W1", "tent", 5)
    before = ledger_count()
    for body, status, detail in _refusals(
        client, users["mgr1"], "adjustments", GARBAGE_ADJUSTMENTS
    ):
        assert 400 <= status < 500, (body, status, detail)
        assert detail["code"] in ("validation_error", "unknown_code", "bad_request"), body
        if isinstance(body, dict):
            assert detail["field"], (body, detail)
    assert ledger_count() == before
    assert level("W1", "tent") == (5, 0, 0)


def test_unparseable_bodies_and_odd_paths_are_never_5xx(client, users):
    headers = {**users["mgr1"], "Content-Type": "application/json"}
    for path in ("receipts", "adjustments"):
        reply = client.post(f"{API}/warehouses/W1/{path}", content=b"{not json", headers=headers)
        assert reply.status_code == 400
        assert reply.json()["detail"]["code"] == "bad_request"
    for code in ("%00", "x" * 300, "%E6%B0%B4", "W1%0A"):
        for path in ("stock", "ledger"):
            reply = client.get(f"{API}/warehouses/{code}/{path}", headers=users["duty"])
            assert reply.status_code == 404, (code, path, reply.text)
        reply = client.post(
            f"{API}/warehouses/{code}/receipts",
            json={"reference": "R", "lines": [{"item_code": "tent", "quantity": 1}]},
            headers=users["admin"],
        )
        assert reply.status_code == 404
    for query in ("limit=0", "limit=501", "offset=-1", "offset=99999999999999999999", "limit=x"):
        reply = client.get(f"{API}/warehouses/W1/ledger?{query}", headers=users["duty"])
        assert reply.status_code == 422, query
    reply = client.get(f"{API}/warehouses/W1/ledger?item_code=%00", headers=users["duty"])
    assert reply.status_code == 422


def test_a_retried_receipt_with_the_same_idempotency_key_counts_once(client, users, level):
    headers = {**users["mgr1"], "Idempotency-Key": "gr-42"}
    body = {"reference": "GR-42", "lines": [{"item_code": "tent", "quantity": 6}]}
    first = client.post(f"{API}/warehouses/W1/receipts", json=body, headers=headers)
    second = client.post(f"{API}/warehouses/W1/receipts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert level("W1", "tent") == (6, 0, 0)


def test_a_second_receipt_with_the_same_reference_at_the_warehouse_is_refused(client, users, level):
    """Issue 13 review #35: the same 入库单号 posted twice (Back and resubmit, a retried
    script without a key) books the goods once; another warehouse may use the number."""
    lines = [{"item_code": "tent", "quantity": 6}]
    assert _receipt(client, users["mgr1"], "W1", lines, reference="RK-DUP-1").status_code == 201
    again = _receipt(client, users["mgr1"], "W1", lines, reference="RK-DUP-1")
    assert again.status_code == 409
    detail = again.json()["detail"]
    assert (detail["code"], detail["field"]) == ("duplicate_reference", "reference")
    assert level("W1", "tent") == (6, 0, 0)
    zh = client.post(
        f"{API}/warehouses/W1/receipts",
        json={"reference": "RK-DUP-1", "lines": lines},
        headers={**users["mgr1"], "Accept-Language": "zh-CN"},
    )
    assert "入库单号 RK-DUP-1 已在本仓库登记过" in zh.json()["detail"]["message"]
    assert _receipt(client, users["mgr1"], "W1", lines, reference="RK-DUP-2").status_code == 201
    assert level("W1", "tent") == (12, 0, 0)


def test_chinese_messages_when_preferred(client, users, put_stock):
    put_stock("W1", "tent", 1)
    reply = _adjust(
        client,
        {**users["mgr1"], "Accept-Language": "zh-CN,zh;q=0.9"},
        "W1",
        item_code="tent",
        delta=-2,
        reason="盘亏",
    )
    assert reply.status_code == 409
    # A Chinese sentence from the catalogue, the item by its Chinese name (issue 13).
    assert reply.json()["detail"]["message"] == "帐篷 在库只有 1，不能减少 2"
