"""Scope is decided by the stock and dispatch services, not by whoever calls them.

The API, the UI and the CLI all call these functions with the actor; a caller that forgot
a check of its own (a new page, a script) still cannot act outside the actor's warehouses
or regions. Each refusal changes nothing: the stock, the ledger and the orders stay as
they were.
"""

from __future__ import annotations

import pytest

from relief.auth.deps import sees_everything
from relief.auth.models import SYSTEM, Actor
from relief.db import session_for, transaction
from relief.dispatch import service as dispatch
from relief.errors import DomainError
from relief.stock import service as stock
from relief.stock.models import ReceiptLineIn

MGR1 = Actor(username="mgr1", role="warehouse_manager", warehouse_codes=("W1",))
MGR2 = Actor(username="mgr2", role="warehouse_manager", warehouse_codes=("W2",))
CLERK_WC = Actor(username="clerk_wc", role="county_staff", region_codes=("150125",))
CLERK_TM = Actor(username="clerk_tm", role="county_staff", region_codes=("150121",))
APPROVER = Actor(username="approver", role="approver", region_codes=("150100",))
DUTY = Actor(username="duty", role="duty_officer")
TRUCK = {"vehicle": "厢式货车", "driver": "王师傅", "plate": "蒙A12345"}


def _refused(engine, code: str, act) -> None:
    """`act(session)` raises `code` and, rolled back, leaves stock and ledger as they were."""
    with session_for(engine, write=False) as session:
        before = (stock.stock_of(session, "W1"), stock.ledger_page(session, "W1", limit=500))
    with pytest.raises(DomainError) as raised, transaction(engine) as session:
        act(session)
    assert raised.value.code == code
    assert raised.value.status == 403
    with session_for(engine, write=False) as session:
        after = (stock.stock_of(session, "W1"), stock.ledger_page(session, "W1", limit=500))
    assert after == before


def test_sees_everything_is_admin_and_duty_officer_only():
    assert sees_everything(SYSTEM) and sees_everything(DUTY)
    assert not any(sees_everything(a) for a in (MGR1, CLERK_WC, APPROVER))


@pytest.mark.parametrize(
    ("actor", "code"), [(MGR2, "scope_forbidden"), (CLERK_WC, "role_forbidden")]
)
def test_receipt_and_stocktake_outside_the_managers_warehouses_are_refused_by_the_service(
    engine, world, actor, code
):
    line = ReceiptLineIn(item_code="tent", quantity=5)
    _refused(engine, code, lambda s: stock.receive_stock(s, actor, "W1", "RK-9", [line]))
    _refused(engine, code, lambda s: stock.adjust_stock(s, actor, "W1", "tent", -1, "盘点"))


def test_a_transfer_from_another_managers_warehouse_is_refused_by_the_service(engine, world):
    _refused(
        engine,
        "scope_forbidden",
        lambda s: dispatch.create_transfer(
            s,
            MGR2,
            from_warehouse_code="W1",
            to_warehouse_code="W2",
            lines=[dispatch.OrderLine("tent", 1)],
            reason="补库",
        ),
    )


def test_dispatch_receipt_and_cancel_outside_scope_are_refused_by_the_service(
    engine, world, make_order
):
    reserved = make_order("150125")
    _refused(
        engine, "scope_forbidden", lambda s: dispatch.dispatch_order(s, MGR2, reserved, **TRUCK)
    )
    _refused(engine, "role_forbidden", lambda s: dispatch.cancel_order(s, MGR1, reserved))
    with transaction(engine) as session:
        dispatch.dispatch_order(session, MGR1, reserved, **TRUCK)
    counted = [{"item_code": "tent", "received": 40}, {"item_code": "rice", "received": 100}]
    for actor, code in ((CLERK_TM, "scope_forbidden"), (MGR1, "role_forbidden")):
        _refused(
            engine, code, lambda s, a=actor: dispatch.receive_order(s, a, reserved, lines=counted)
        )
    with session_for(engine, write=False) as session:
        assert dispatch.get_order(session, reserved).status == "dispatched"


def test_reading_an_order_is_scoped_by_the_service(engine, world, make_order):
    to_wuchuan, to_tumed = make_order("150125"), make_order("150121")
    with session_for(engine, write=False) as session:
        assert dispatch.readable_order(session, CLERK_WC, to_wuchuan).id == to_wuchuan
        for actor, code in ((CLERK_TM, "scope_forbidden"), (APPROVER, "role_forbidden")):
            with pytest.raises(DomainError) as raised:
                dispatch.readable_order(session, actor, to_wuchuan)
            assert raised.value.code == code
        assert [o.id for o in dispatch.visible_orders(session, CLERK_TM)] == [to_tumed]
        assert [o.id for o in dispatch.visible_orders(session, MGR2)] == []
        assert [o.id for o in dispatch.visible_orders(session, DUTY)] == [to_wuchuan, to_tumed]
