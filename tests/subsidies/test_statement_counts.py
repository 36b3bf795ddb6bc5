"""What registering a household, opening a case and moving it one step cost in SQL
statements (issue 17: the load's subsidy chain on two cores), pinned so that they cannot
grow back: the region and its ancestors come in one query, and a case's reply is built in
the write's own transaction from the rows it already holds."""

from __future__ import annotations

# SQLite counts the BEGIN IMMEDIATE of each write's transaction as a statement too.
HOUSEHOLD, CASE, TRANSITION = 10, 12, 10


def _begins(engine) -> int:
    return 1 if engine.dialect.name == "sqlite" else 0


def test_registering_a_household_reads_its_region_lineage_in_one_query(
    world, register, engine, count_statements
):
    register(1)  # warm up
    assert count_statements(lambda: register(2)) == HOUSEHOLD + _begins(engine)


def test_a_case_and_its_transition_build_their_replies_in_their_own_transaction(
    client, world, rebuild, register, engine, count_statements
):
    households = [register(seq) for seq in (1, 2)]
    made: list[dict] = []

    def open_case(household: dict) -> None:
        reply = client.post(
            "/api/v1/cases",
            json={"household_id": household["id"], "programme_code": rebuild["code"]},
            headers=world.clerk,
        )
        assert reply.status_code == 201, reply.text
        made.append(reply.json())

    open_case(households[0])  # warm up
    assert count_statements(lambda: open_case(households[1])) == CASE + _begins(engine)
    assert made[1]["programme_name"] == rebuild["name"] and made[1]["head_name"] == "户主2"

    def review() -> None:
        reply = client.post(
            f"/api/v1/cases/{made[1]['id']}/transitions",
            json={"action": "village_review"},
            headers=world.clerk,
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "village_reviewed"
        assert [h["action"] for h in reply.json()["history"]] == ["village_review"]

    assert count_statements(review) == TRANSITION + _begins(engine)
