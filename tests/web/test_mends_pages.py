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
