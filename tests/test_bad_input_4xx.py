"""Reproductions of the 5xx an outside review found for bad input (issue 12, point 15):
each now answers 4xx. (tests/test_no_5xx.py walks every route with the same values.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

LONE_SURROGATE = "\ud800"


def _post_json(client, url: str, body: dict, headers: dict):
    # json.dumps writes the lone surrogate as the escape "\ud800", as a hostile client would.
    raw = json.dumps(body).encode()
    return client.post(url, content=raw, headers={**headers, "Content-Type": "application/json"})


REGION = {"code": "15", "name": "内蒙古", "level": "province", "lat": 40.8, "lon": 111.7}


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/regions", {**REGION, "name": "内蒙古" + LONE_SURROGATE}, "name"),
        ("/api/v1/regions", {**REGION, "code": LONE_SURROGATE}, "code"),
        (
            "/api/v1/users",
            {"username": "u" + LONE_SURROGATE, "password": "long-enough-1", "role": "admin"},
            "username",
        ),
        (
            "/api/v1/items",
            {
                "code": "T1",
                "name_zh": "帐篷",
                "name_en": "tent\udfff",
                "unit": "顶",
                "weight_kg": 25,
                "volume_m3": 0.1,
                "category": "shelter",
            },
            "name_en",
        ),
    ],
)
def test_lone_surrogate_in_a_text_field_is_422_on_that_field(
    client, admin_headers, url, body, field
):
    reply = _post_json(client, url, body, admin_headers)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["field"] == field


def test_lone_surrogate_in_a_household_is_422(client, admin_headers):
    body = {"event_id": 1, "region_code": "1", "head_name": "户主" + LONE_SURROGATE}
    reply = _post_json(client, "/api/v1/households", body, admin_headers)
    assert reply.status_code == 422, reply.text
    assert "head_name" in [e["field"] for e in reply.json()["detail"]["errors"]]


def test_lone_surrogate_as_a_key_is_422(client, admin_headers):
    reply = _post_json(client, "/api/v1/regions", {LONE_SURROGATE: 1}, admin_headers)
    assert reply.status_code == 422, reply.text


def test_a_surrogate_pair_is_an_ordinary_character(client, admin_headers):
    # "\ud83c\udf0a" is 🌊 written as JSON escapes: valid text, not refused.
    body = {"code": "wave", "name": "\U0001f30a", "level": "province"}
    reply = _post_json(client, "/api/v1/regions", body, admin_headers)
    assert reply.status_code != 422 or "surrogate" not in reply.text
    assert reply.status_code < 500


def test_amount_with_a_huge_exponent_is_422(client, admin_headers):
    body = {
        "code": "BIG",
        "name": "x",
        "kind": "rebuild",
        "region_code": "15",
        "budget": "1e999999999",
        "standards": [],
    }
    reply = client.post("/api/v1/programmes", json=body, headers=admin_headers)
    assert reply.status_code == 422, reply.text


def test_offset_beyond_two_to_the_63_is_422(client, admin_headers):
    reply = client.get(
        "/api/v1/audit", params={"offset": "21263834086579273728"}, headers=admin_headers
    )
    assert reply.status_code == 422, reply.text


def test_token_whose_exp_is_a_string_is_401(client, app, admin_headers):
    token = jwt.encode(
        {"sub": "admin", "exp": "tomorrow", "iat": int(datetime.now(UTC).timestamp())},
        app.state.settings.secret_key,
        algorithm="HS256",
    )
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401, reply.text


def test_token_whose_sub_is_not_text_is_401(client, app, admin_headers):
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    token = jwt.encode(
        {"sub": {"name": "admin"}, "exp": exp}, app.state.settings.secret_key, algorithm="HS256"
    )
    reply = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401, reply.text


def test_lone_surrogate_where_a_number_is_expected_is_422(client, admin_headers):
    # pydantic raises UnicodeEncodeError (not a validation error) parsing "\ud800" as a float.
    body = {
        "method": LONE_SURROGATE,
        "time_limit_s": LONE_SURROGATE,
        "level": LONE_SURROGATE,
        "closed_roads": [[LONE_SURROGATE, LONE_SURROGATE]],
    }
    reply = _post_json(client, "/api/v1/responses/1/plans", body, admin_headers)
    assert reply.status_code == 422, reply.text
    assert reply.json()["detail"]["code"] == "validation_error"
