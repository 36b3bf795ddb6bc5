"""The last review's mends on the pages: the header names the signed-in person."""

from __future__ import annotations

import re

from relief.auth import service as auth
from relief.db import transaction


def _header_name(html: str) -> str:
    return re.search(r'data-testid="username" data-username="[^"]*">([^<]*)<', html).group(1)


def test_the_header_shows_the_full_name_and_the_username_without_one(client, engine, sign_in):
    with transaction(engine) as session:
        user = auth.user_by_username(session, "duty")
        user.full_name = "张值班"
        session.add(user)

    sign_in("duty")
    named = client.get("/").text
    sign_in("manager")
    plain = client.get("/").text

    assert _header_name(named) == "张值班"
    assert 'data-username="duty"' in named
    assert _header_name(plain) == "manager"


def test_a_query_id_is_ascii_digits_in_range_and_anything_else_is_no_filter():
    from relief.web.forms import MAX_QUERY_ID, query_id

    assert [query_id(t) for t in ("7", " 14 ", "0", str(MAX_QUERY_ID))] == [7, 14, 0, MAX_QUERY_ID]
    odd = ("", None, "abc", "-1", "+3", "1_000", "１２", "1e3", str(MAX_QUERY_ID + 1), "9" * 5000)
    assert [query_id(t) for t in odd] == [None] * len(odd)


def test_a_hand_edited_case_filter_lists_every_case_instead_of_failing(client, sign_in):
    sign_in("county")

    for stuck in ("1_000", "9" * 5000, "１２"):
        page = client.get("/subsidies/cases", params={"stuck_days": stuck})
        assert page.status_code == 200
