"""Two allocations racing to drain one account: the balance row is locked, so one of them
waits for the other and sees what it left (run against PostgreSQL with
RELIEF_TEST_DATABASE_URL; `db` marker)."""

from __future__ import annotations

import httpx
import pytest

from tests.funds.test_funds_api import DOC, account, receive


@pytest.mark.db
def test_two_allocations_draining_one_account_never_take_it_below_zero(
    client, world, live_server, parallel
):
    assert receive(client, world.admin, "1000.00").status_code == 201
    admin = world.admin
    url = f"{live_server}/api/v1/funds/allocations"

    def allocation(i: int):
        def call() -> int:
            body = {
                "from_code": "150000",
                "to_code": "150100",
                "source": "central",
                "amount": "600.00",
                **DOC,
                "purpose": f"第{i}笔",
            }
            return httpx.post(url, json=body, headers=admin, timeout=60).status_code

        return call

    statuses = parallel([allocation(i) for i in range(2)])
    assert sorted(statuses) == [201, 409]
    assert account(client, admin, "150000")["balance"] == "400.00"
    assert account(client, admin, "150100")["balance"] == "600.00"


@pytest.mark.db
def test_two_reversals_of_one_allocation_give_the_money_back_once(
    client, world, live_server, parallel
):
    assert receive(client, world.admin, "1000.00").status_code == 201
    body = {"from_code": "150000", "to_code": "150100", "source": "central", "amount": "600.00"}
    out = client.post("/api/v1/funds/allocations", json=body | DOC, headers=world.admin)
    url = f"{live_server}/api/v1/funds/entries/{out.json()['out']['id']}/reversal"
    admin = world.admin

    def reversal() -> int:
        return httpx.post(url, json={"reason": "文号错误"}, headers=admin, timeout=60).status_code

    statuses = parallel([reversal, reversal])
    assert sorted(statuses) == [201, 409]
    assert account(client, admin, "150000")["balance"] == "1000.00"
    assert account(client, admin, "150100")["balance"] == "0.00"
