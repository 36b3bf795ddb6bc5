"""Issue 13, duty pages without a browser: the demand editor's partial saves (only changed
rows are sent; the server merges them into the current demand) and the people a response
involves."""

from __future__ import annotations

from relief.db import session_for
from relief.emergency import responses
from tests.web.test_pages import _snowstorm


def _demand(engine, response_id: int) -> dict[tuple[str, str], int]:
    with session_for(engine, write=False) as session:
        return {
            (d.region_code, d.item_code): int(d.quantity)
            for d in responses.demand_lines(session, response_id)
        }


def _row(key: str, region: str, item: str, quantity: str, priority: str = "") -> dict:
    return {
        "key": key,
        "region_code": region,
        "item_code": item,
        "quantity": quantity,
        "priority": priority,
        "orig_quantity": "",
        "orig_priority": "",
    }


def _post(client, response_id: int, rows: list[dict]):
    data = {name: [row[name] for row in rows] for name in rows[0]} | {"partial": "1"}
    return client.post(f"/responses/{response_id}/demand", data=data, follow_redirects=False)


def test_a_partial_demand_save_changes_the_sent_row_removes_a_cleared_one_keeps_the_rest(
    client, engine, sign_in
):
    _, response = _snowstorm(engine)
    before = _demand(engine, response.id)
    (r1, i1), (r2, i2) = sorted(before)[:2]
    sign_in("duty")
    reply = _post(
        client,
        response.id,
        [
            _row(f"{r1}|{i1}", r1, i1, "777"),
            _row(f"{r2}|{i2}", "", "", ""),
        ],
    )
    assert reply.status_code == 303, reply.text
    after = _demand(engine, response.id)
    assert after[(r1, i1)] == 777 and (r2, i2) not in after
    assert len(after) == len(before) - 1
    unchanged = {k: v for k, v in before.items() if k not in {(r1, i1), (r2, i2)}}
    assert {k: after[k] for k in unchanged} == unchanged


def test_an_invalid_partial_save_writes_nothing_and_lists_the_error(client, engine, sign_in):
    _, response = _snowstorm(engine)
    before = _demand(engine, response.id)
    (r1, i1) = sorted(before)[0]
    sign_in("duty")
    reply = _post(client, response.id, [_row(f"{r1}|{i1}", r1, i1, "很多")])
    assert reply.status_code == 422
    assert 'data-testid="demand-summary"' in reply.text and "很多" in reply.text
    assert _demand(engine, response.id) == before


def test_involved_people_put_the_unacknowledged_notified_manager_first(engine, web_users):
    _, response = _snowstorm(engine)
    with session_for(engine, write=False) as session:
        people = responses.involved_people(session, response.id)
    assert people and people[0].acknowledged is False
    assert {p.username for p in people} >= {"manager", "county"}
    county = next(p for p in people if p.username == "county")
    assert county.acknowledged is None and county.places


def test_names_and_phones_of_the_people_involved_are_for_the_duty_officer_only(
    client, engine, sign_in
):
    """Issue 13 review #44 and #51: other roles see neither the people's phones nor the
    demand editor they cannot save; they read the demand as a table."""
    _, response = _snowstorm(engine)
    sign_in("duty")
    page = client.get(f"/responses/{response.id}").text
    assert 'data-testid="involved"' in page and 'data-testid="demand-form"' in page
    for user in ("manager", "county"):
        client.cookies.clear()
        sign_in(user)
        page = client.get(f"/responses/{response.id}").text
        assert 'data-testid="involved"' not in page, user
        assert 'data-testid="demand-form"' not in page and 'name="quantity"' not in page, user
        table = page.split('data-testid="demand-readonly"')[1].split("</table>")[0]
        assert "<input" not in table and "饮用水" in table, user
