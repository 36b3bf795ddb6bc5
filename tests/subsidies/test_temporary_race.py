"""A race on a real server (issue 15 part C): help first for one 临时救助 case sent eight
times at once is paid once (the case row is locked before the reserve fund's balance)."""

from __future__ import annotations

import httpx

from tests.subsidies.test_temporary import FUND, PROGRAMME, policy_body


def test_parallel_help_first_for_one_case_pays_once(client, world, register, live_server, parallel):
    assert (
        client.post("/api/v1/policies", json=policy_body(), headers=world.admin).status_code == 201
    )
    assert client.post("/api/v1/programmes", json=PROGRAMME, headers=world.admin).status_code == 201
    top = {"amount": "10000.00", "document_no": "新民发〔2026〕1号"}
    assert client.post(f"{FUND}/top-ups", json=top, headers=world.clerk).status_code == 201
    body = {
        "household_id": register(1)["id"],
        "programme_code": PROGRAMME["code"],
        "relief_type": "emergency",
        "cause": "火灾",
        "months": 2,
    }
    case = client.post("/api/v1/temporary-cases", json=body, headers=world.township).json()
    url = f"{live_server}/api/v1/cases/{case['id']}/help-first"

    def pay(i: int):
        def call() -> int:
            who = world.township if i % 2 else world.clerk
            reply = httpx.post(url, json={"reason": f"先行救助 {i}"}, headers=who, timeout=60)
            return reply.status_code

        return call

    statuses = parallel([pay(i) for i in range(8)])
    assert sorted(statuses) == [201] + [409] * 7
    fund = client.get(FUND, headers=world.township).json()
    assert fund["balance"] == "8510.00"
    assert [e["kind"] for e in fund["items"]].count("payment") == 1


def test_parallel_openings_for_one_person_and_cause_open_one_case(
    engine, client, world, register, live_server, parallel
):
    """Eight openings of the same cause for one person at once (half on a second
    registration of the same ID number): one case, seven 409 temporary_repeat — the
    person's registrations are locked before the once-a-year check."""
    from tests.subsidies.test_temporary import _second_registration

    assert (
        client.post("/api/v1/policies", json=policy_body(), headers=world.admin).status_code == 201
    )
    assert client.post("/api/v1/programmes", json=PROGRAMME, headers=world.admin).status_code == 201
    first = register(1)["id"]
    again = _second_registration(engine, client, world)["id"]
    url = f"{live_server}/api/v1/temporary-cases"
    who = world.township  # the user is made once, before the threads

    def open_one(i: int):
        def call() -> tuple[int, str | None]:
            body = {
                "household_id": again if i % 2 else first,
                "programme_code": PROGRAMME["code"],
                "relief_type": "emergency",
                "cause": "火灾",
                "months": 2,
            }
            reply = httpx.post(url, json=body, headers=who, timeout=60)
            code = reply.json().get("detail", {}).get("code") if reply.status_code >= 400 else None
            return reply.status_code, code

        return call

    results = parallel([open_one(i) for i in range(8)])
    assert sorted(results, key=str) == sorted(
        [(201, None)] + [(409, "temporary_repeat")] * 7, key=str
    )
