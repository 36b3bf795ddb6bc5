"""Bad input gets a 4xx naming the field, never a 5xx, and changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}
TRANSFER = {
    "from_warehouse_code": "W1",
    "to_warehouse_code": "W2",
    "lines": [{"item_code": "tent", "quantity": 1}],
    "reason": "restock",
}


BAD_TRANSFERS = (
    ({"lines": []}, 422, "lines"),
    ({"lines": [{"item_code": "tent", "quantity": 0}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "tent", "quantity": -4}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "tent", "quantity": "5"}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "tent", "quantity": 2.5}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "tent", "quantity": True}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "tent", "quantity": 10**30}]}, 422, "lines[0].quantity"),
    ({"lines": [{"item_code": "gold", "quantity": 1}]}, 422, "lines[0].item_code"),
    ({"lines": [{"item_code": "te\x00nt", "quantity": 1}]}, 422, "lines[0].item_code"),
    ({"lines": [{"item_code": "tent", "quantity": 1}] * 2}, 422, "lines[1].item_code"),
    ({"lines": [{"item_code": "tent", "quantity": 81}]}, 409, "lines[0].quantity"),
    ({"to_warehouse_code": "NOPE"}, 422, "to_warehouse_code"),
    ({"to_warehouse_code": "150125"}, 422, "to_warehouse_code"),
    ({"to_warehouse_code": "W1"}, 422, "to_warehouse_code"),
    ({"reason": ""}, 422, "reason"),
    ({"reason": None}, 422, "reason"),
    ({"from_warehouse_code": None}, 422, "from_warehouse_code"),
)


def test_bad_transfers_are_refused_with_the_field(client, users, level):
    # One world for all cases (each refused request must leave it as it was).
    for changes, status, field in BAD_TRANSFERS:
        body = {**TRANSFER, **changes}
        reply = client.post("/api/v1/transfers", json=body, headers=users["mgr1"])
        assert reply.status_code == status, (changes, reply.text)
        assert reply.json()["detail"]["field"] == field, changes
        assert level("W1", "tent").reserved == 0


def test_unparseable_bodies_are_400(client, users, make_order):
    order_id = make_order()
    headers = {**users["mgr1"], "Content-Type": "application/json"}
    for path in ("/api/v1/transfers", f"/api/v1/dispatch-orders/{order_id}/dispatch"):
        reply = client.post(path, content=b"{not json", headers=headers)
        assert reply.status_code == 400, reply.text
        assert reply.json()["detail"]["code"] == "bad_request"


BAD_DISPATCHES = (
    ({"vehicle": "x", "driver": "y"}, "plate"),
    ({**TRUCK, "vehicle": ""}, "vehicle"),
    ({**TRUCK, "plate": "x" * 33}, "plate"),
    ({**TRUCK, "lines": [{"item_code": "gold", "quantity": 1}]}, "lines[0].item_code"),
    ({**TRUCK, "lines": [{"item_code": "tent", "quantity": -1}]}, "lines[0].quantity"),
    ({**TRUCK, "lines": [{"item_code": "tent", "quantity": 1.5}]}, "lines[0].quantity"),
    ({**TRUCK, "lines": [{"item_code": "tent"}]}, "lines[0].quantity"),
    ({**TRUCK, "lines": "all"}, "lines"),
    (
        {**TRUCK, "lines": [{"item_code": "tent", "quantity": 40}] * 2},
        "lines[1].item_code",
    ),
)


def test_bad_dispatches_are_422_and_leave_the_order_reserved(client, users, make_order, level):
    order_id = make_order()
    url = f"/api/v1/dispatch-orders/{order_id}/dispatch"
    for body, field in BAD_DISPATCHES:
        reply = client.post(url, json=body, headers=users["mgr1"])
        assert reply.status_code == 422, (body, reply.text)
        assert reply.json()["detail"]["field"] == field, body
        tent = level("W1", "tent")
        assert (tent.on_hand, tent.reserved) == (80, 40)


BAD_RECEIPTS = (
    ([], "lines"),
    ([{"item_code": "tent", "received": -1}], "lines[0].received"),
    ([{"item_code": "tent", "received": 1, "damaged": -1}], "lines[0].damaged"),
    ([{"item_code": "tent", "received": "40"}], "lines[0].received"),
    ([{"item_code": "gold", "received": 1}], "lines[0].item_code"),
    ([{"item_code": "tent", "received": 41}], "lines[0].received"),
    ([{"item_code": "tent", "received": 10**12}], "lines[0].received"),
    ([{"item_code": "tent", "received": 40, "reason": "\x00"}], "lines[0].reason"),
)


def test_bad_receipts_are_422_and_leave_the_order_dispatched(client, users, make_order, level):
    order_id = make_order("W2", [{"item_code": "tent", "quantity": 40}], kind="warehouse")
    client.post(f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"])
    for lines, field in BAD_RECEIPTS:
        reply = client.post(
            f"/api/v1/dispatch-orders/{order_id}/receive",
            json={"lines": lines, "note": ""},
            headers=users["mgr2"],
        )
        assert reply.status_code == 422, (lines, reply.text)
        assert reply.json()["detail"]["field"] == field, lines
        assert level("W2", "tent") is None


def test_bad_query_values_are_4xx(client, users):
    for query in (
        "?response_id=abc",
        "?response_id=99999999999999999999",
        "?status=unknown",
        "?warehouse=%00",
    ):
        reply = client.get(f"/api/v1/dispatch-orders{query}", headers=users["duty"])
        assert reply.status_code in (200, 422), (query, reply.text)
        if reply.status_code == 200:
            assert reply.json()["items"] == []
    reply = client.get("/api/v1/dispatch-orders/export.xlsx?response_id=-1", headers=users["duty"])
    assert reply.status_code == 200
    huge = client.get("/api/v1/responses/99999999999999999999/fulfilment", headers=users["duty"])
    assert huge.status_code in (404, 422)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
line_values = st.fixed_dictionaries(
    {},
    optional={
        "item_code": st.sampled_from(["tent", "rice", "gold", ""]) | json_values,
        "quantity": st.integers(min_value=-5, max_value=200) | json_values,
        "received": st.integers(min_value=-5, max_value=200) | json_values,
        "damaged": st.integers(min_value=-5, max_value=200) | json_values,
        "reason": st.sampled_from(["", "路断", None]) | json_values,
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "lines": st.lists(line_values, max_size=3) | json_values,
        "vehicle": st.sampled_from(["车", ""]) | json_values,
        "driver": st.sampled_from(["王", ""]) | json_values,
        "plate": st.sampled_from(["蒙A1", ""]) | json_values,
        "note": json_values,
        "from_warehouse_code": st.sampled_from(["W1", "W2", "X"]) | json_values,
        "to_warehouse_code": st.sampled_from(["W1", "W2", "150125"]) | json_values,
        "reason": json_values,
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, action=st.sampled_from(["dispatch", "receive", "cancel", "transfer"]))
def test_no_body_makes_a_dispatch_endpoint_fail_with_5xx(
    client, users, make_order, differences, body, action
):
    order_id = make_order("150125", [{"item_code": "rice", "quantity": 1}])
    if action == "receive":
        client.post(
            f"/api/v1/dispatch-orders/{order_id}/dispatch", json=TRUCK, headers=users["mgr1"]
        )
    if action == "transfer":
        path, headers = "/api/v1/transfers", users["mgr1"]
    else:
        user = {"dispatch": "mgr1", "receive": "clerk_wc", "cancel": "duty"}[action]
        path, headers = f"/api/v1/dispatch-orders/{order_id}/{action}", users[user]
    reply = client.post(path, json=body, headers=headers)
    assert reply.status_code < 500, (body, reply.text)
    assert differences() == []
