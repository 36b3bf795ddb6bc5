"""Demand of a response (estimate, edits with their history) and coverage, against values
computed by hand; and `relief demand` from a shipped scenario folder.

Norms (conftest): tent 0.25 × relocated (priority 8); rice 1.5 × relocated + 0.1 ×
needing_aid (priority 10). Reports: 150125101 relocated 801, needing_aid 330;
150125102 relocated 10, needing_aid 30.

    150125101 tent  ceil(200.25) = 201      rice ceil(1201.5) + ceil(33) = 1202 + 33 = 1235
    150125102 tent  ceil(2.5)    = 3        rice 15 + 0.1 × 30 = 15 + 3 (exactly 3)  = 18

801 + 330 + 10 + 30 = 1171 relocated or aided: level 4 is recommended.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from relief.audit.models import AuditRecord
from relief.cli import app as cli
from relief.db import session_for
from relief.emergency import responses

REPO = Path(__file__).resolve().parents[2]

ESTIMATE = [
    {"region_code": "150125101", "item_code": "rice", "quantity": 1235, "priority": 10},
    {"region_code": "150125101", "item_code": "tent", "quantity": 201, "priority": 8},
    {"region_code": "150125102", "item_code": "rice", "quantity": 18, "priority": 10},
    {"region_code": "150125102", "item_code": "tent", "quantity": 3, "priority": 8},
]


def detail(reply) -> dict:
    return reply.json()["detail"]


@pytest.fixture
def response(api, event) -> dict:
    api.report(event["id"], "150125101", relocated=801, needing_aid=330)
    api.report(event["id"], "150125102", relocated=10, needing_aid=30)
    reply = api.trigger(event["id"], 4)
    assert reply.status_code == 201, reply.text
    return reply.json()


def put_demand(api, response_id: int, lines, user: str = "duty"):
    return api.client.put(
        f"/api/v1/responses/{response_id}/demand", json=lines, headers=api.users[user]
    )


def test_demand_is_estimated_from_the_latest_reports_and_the_norms(api, event, response):
    assert api.get(f"/responses/{response['id']}/demand", user="wc_staff").json() == ESTIMATE

    # Until edited, the estimate follows new reports.
    api.report(event["id"], "150125102", kind="update", relocated=0, needing_aid=0)
    assert api.get(f"/responses/{response['id']}/demand").json() == ESTIMATE[:2]


def test_an_edit_replaces_the_list_and_keeps_the_estimate_it_replaced(api, event, response):
    rid = response["id"]
    edit = [
        {"region_code": "150125102", "item_code": "rice", "quantity": 20, "priority": 12},
        {"region_code": "150125101", "item_code": "tent", "quantity": 300},
    ]

    reply = put_demand(api, rid, edit)

    assert reply.status_code == 200, reply.text
    expected = [
        {"region_code": "150125101", "item_code": "tent", "quantity": 300, "priority": 8},
        {"region_code": "150125102", "item_code": "rice", "quantity": 20, "priority": 12},
    ]
    assert reply.json() == expected
    assert api.get(f"/responses/{rid}/demand").json() == expected
    # New reports no longer move an edited demand.
    api.report(event["id"], "150125102", kind="update", relocated=500, needing_aid=0)
    assert api.get(f"/responses/{rid}/demand").json() == expected

    assert put_demand(api, rid, []).json() == []
    versions = api.get(f"/responses/{rid}/demand/versions").json()
    assert [(v["version"], v["source"], v["actor"]) for v in versions] == [
        (1, "estimate", "duty"),
        (2, "edit", "duty"),
        (3, "edit", "duty"),
    ]
    assert versions[0]["lines"] == ESTIMATE
    assert versions[1]["lines"] == expected
    assert versions[2]["lines"] == []


def test_an_edit_keeps_why_with_its_version(api, response):
    rid = response["id"]
    edit = [{"region_code": "150125101", "item_code": "tent", "quantity": 300, "priority": 8}]
    reply = api.client.put(
        f"/api/v1/responses/{rid}/demand",
        params={"note": "乡里电话：帐篷还差 40 顶"},
        json=edit,
        headers=api.users["duty"],
    )
    assert reply.status_code == 200
    versions = api.get(f"/responses/{rid}/demand/versions").json()
    assert [(v["version"], v["note"]) for v in versions] == [
        (1, ""),
        (2, "乡里电话：帐篷还差 40 顶"),
    ]
    too_long = api.client.put(
        f"/api/v1/responses/{rid}/demand",
        params={"note": "x" * 2001},
        json=edit,
        headers=api.users["duty"],
    )
    assert too_long.status_code == 422
    assert len(api.get(f"/responses/{rid}/demand/versions").json()) == 2


def test_an_edit_is_audited_with_the_list_it_replaced(api, response, engine):
    edit = [{"region_code": "150125101", "item_code": "tent", "quantity": 300, "priority": 8}]
    put_demand(api, response["id"], edit)

    with session_for(engine, write=False) as session:
        [record] = session.exec(select(AuditRecord).where(AuditRecord.entity == "demand")).all()

    assert (record.action, record.actor, record.entity_id) == (
        "replace",
        "duty",
        str(response["id"]),
    )
    assert record.before == {"version": 1, "source": "estimate", "lines": ESTIMATE}
    assert record.after == {"version": 2, "source": "edit", "note": "", "lines": edit}


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        (
            [
                {"region_code": "150125101", "item_code": "tent", "quantity": 1},
                {"region_code": "159999", "item_code": "tent", "quantity": 1},
            ],
            "unknown_code",
            "[1].region_code",
        ),
        (
            [{"region_code": "150125101", "item_code": "soap", "quantity": 1}],
            "unknown_code",
            "[0].item_code",
        ),
        (
            [{"region_code": "150122100", "item_code": "tent", "quantity": 1}],
            "validation_error",
            "[0].region_code",
        ),
        (
            [
                {"region_code": "150125101", "item_code": "tent", "quantity": 1},
                {"region_code": "150125101", "item_code": "tent", "quantity": 2},
            ],
            "validation_error",
            "[1].item_code",
        ),
        (
            [{"region_code": "150125101", "item_code": "tent", "quantity": -1}],
            "validation_error",
            "[0].quantity",
        ),
        (
            [{"region_code": "150125101", "item_code": "tent", "quantity": 1.5}],
            "validation_error",
            "[0].quantity",
        ),
        ([{"region_code": "150125101", "item_code": "tent"}], "validation_error", "[0].quantity"),
        ({"region_code": "150125101"}, "validation_error", None),
    ],
)
def test_a_bad_demand_list_is_refused_on_its_line_and_nothing_changes(
    api, response, lines, code, field
):
    reply = put_demand(api, response["id"], lines)

    assert reply.status_code == 422
    assert detail(reply)["code"] == code
    assert detail(reply)["field"] == field
    assert api.get(f"/responses/{response['id']}/demand/versions").json() == []
    assert api.get(f"/responses/{response['id']}/demand").json() == ESTIMATE


@pytest.mark.parametrize("user", ["wc_manager", "wc_staff", "approver"])
def test_only_duty_officers_edit_demand(api, response, user):
    reply = put_demand(api, response["id"], [], user=user)

    assert reply.status_code == 403
    assert api.get(f"/responses/{response['id']}/demand", user=user).json() == ESTIMATE


def test_the_demand_of_an_ended_response_is_not_edited(api, response):
    api.patch(response["id"], "end")

    reply = put_demand(api, response["id"], [])

    assert reply.status_code == 409
    assert detail(reply)["code"] == "invalid_transition"


def test_demand_of_an_unknown_response_is_404(api, response):
    assert api.get("/responses/777/demand").status_code == 404
    assert api.get("/responses/777/coverage").status_code == 404
    assert put_demand(api, 777, []).status_code == 404


def test_coverage_counts_stock_above_floor_in_eligible_warehouses(api, response):
    rid = response["id"]

    # Level 4 (1 h): only WH-WC serves 武川县. Tent 40 − 10 = 30, rice 2000 − 500 = 1500.
    assert api.get(f"/responses/{rid}/coverage", user="wc_manager").json() == [
        {"item_code": "rice", "demand": 1253, "available_eligible": 1500},
        {"item_code": "tent", "demand": 204, "available_eligible": 30},
    ]

    # Level 3 (4 h) adds WH-HHT (tent 300 − 50) and WH-NM (tent 1000 − 200, rice 50000 − 10000).
    api.patch(rid, "escalate", level=3, override_reason="more rain")
    assert api.get(f"/responses/{rid}/coverage").json() == [
        {"item_code": "rice", "demand": 1253, "available_eligible": 41500},
        {"item_code": "tent", "demand": 204, "available_eligible": 1080},
    ]

    # Coverage follows the edited demand: only regions and items in it count.
    put_demand(api, rid, [{"region_code": "150125102", "item_code": "tent", "quantity": 7}])
    assert api.get(f"/responses/{rid}/coverage").json() == [
        {"item_code": "tent", "demand": 7, "available_eligible": 1080}
    ]


def test_the_allocation_reads_the_demand_in_force(api, response, engine):
    put_demand(
        api, response["id"], [{"region_code": "150125101", "item_code": "rice", "quantity": 9}]
    )

    with session_for(engine, write=False) as session:
        lines = responses.demand_lines(session, response["id"])

    assert [(d.region_code, d.item_code, d.quantity, d.priority) for d in lines] == [
        ("150125101", "rice", 9, 10)
    ]


# --- relief demand ---------------------------------------------------------------------------


def test_relief_demand_writes_the_csv_of_a_shipped_event():
    folder = REPO / "scenarios" / "hohhot"

    result = CliRunner().invoke(
        cli, ["demand", "--scenario", str(folder), "--event", "snowstorm", "--csv", "-"]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["region_code", "item_code", "quantity", "priority"]
    # 乌兰忽洞镇 150125214: one report, relocated 80, needing_aid 170, general_households 16.
    wulan = {
        r["item_code"]: (int(r["quantity"]), int(r["priority"]))
        for r in rows
        if r["region_code"] == "150125214"
    }
    assert wulan == {
        "water": (720, 10),  # 9 × 80
        "rice": (375, 10),  # 1.5 × 80 + 1.5 × 170
        "tent": (16, 8),  # 0.2 × 80
        "cotton_tent": (12, 8),  # 0.15 × 80
        "yurt": (1, 8),  # ceil(0.8)
        "quilt": (80, 6),
        "coat": (80, 6),
        "stove": (13, 6),  # ceil(12.8)
        "toilet": (4, 5),  # 0.05 × 80
        "folding_bed": (40, 4),
        "blanket": (40, 4),
        "tarp": (16, 3),  # 1 × general_households
        "floodlight": (1, 2),  # ceil(0.4)
    }


def test_the_july_flash_flood_asks_for_no_coats_or_stoves_the_january_snowstorm_does():
    folder = REPO / "scenarios" / "hohhot"

    def items(event: str) -> set[str]:
        result = CliRunner().invoke(
            cli, ["demand", "--scenario", str(folder), "--event", event, "--csv", "-"]
        )
        assert result.exit_code == 0, result.output
        return {r["item_code"] for r in csv.DictReader(io.StringIO(result.output))}

    flood, snow = items("flashflood"), items("snowstorm")

    assert {"coat", "stove"} & flood == set()
    assert {"coat", "stove", "quilt"} <= snow and "quilt" in flood


def test_relief_demand_prints_a_table_and_writes_a_file(tmp_path):
    folder = REPO / "scenarios" / "hohhot"
    out = tmp_path / "demand.csv"

    table = CliRunner().invoke(
        cli, ["demand", "--scenario", str(folder), "--event", "snowstorm", "--level", "3"]
    )
    written = CliRunner().invoke(
        cli, ["demand", "--scenario", str(folder), "--event", "snowstorm", "--csv", str(out)]
    )

    assert table.exit_code == 0
    assert "level 3" in table.output
    assert "150125214    water" in table.output
    assert written.exit_code == 0
    assert (
        out.read_text(encoding="utf-8").splitlines()[0] == "region_code,item_code,quantity,priority"
    )


@pytest.mark.parametrize("level", ["0", "5", "x"])
def test_relief_demand_refuses_a_bad_level(level):
    folder = REPO / "scenarios" / "hohhot"

    result = CliRunner().invoke(
        cli, ["demand", "--scenario", str(folder), "--event", "snowstorm", "--level", level]
    )

    assert result.exit_code == 2


def test_relief_demand_exits_2_with_the_problems_of_an_invalid_scenario(tmp_path):
    folder = tmp_path / "hohhot"
    shutil.copytree(REPO / "scenarios" / "hohhot", folder)
    with (folder / "stock.csv").open("a", encoding="utf-8") as f:
        f.write("WH-NOWHERE,tent,1,0\n")

    result = CliRunner().invoke(cli, ["demand", "--scenario", str(folder), "--event", "snowstorm"])

    assert result.exit_code == 2
    assert "stock.csv:" in result.output
    assert "unknown warehouse WH-NOWHERE" in result.output


def test_two_saves_from_the_same_version_let_exactly_one_through(response, engine):
    """The version is checked by the service under the response's row lock, not by the
    page before it: the second save started from version 0 is refused, nothing changed."""
    from relief.auth.models import Actor
    from relief.db import transaction
    from relief.emergency.models import DemandLineIn
    from relief.errors import DomainError

    duty = Actor(username="duty", role="duty_officer")
    rid = response["id"]

    def save(quantity: int) -> str:
        line = DemandLineIn(region_code="150125101", item_code="tent", quantity=quantity)
        try:
            with transaction(engine) as session:
                responses.replace_demand(session, duty, rid, [line], "", expected_version=0)
        except DomainError as exc:
            assert (exc.field, exc.params["current"]) == ("version", 2)
            return exc.code
        return "saved"

    assert [save(300), save(400)] == ["saved", "demand_stale"]
    with session_for(engine, write=False) as session:
        lines = responses.demand_lines(session, rid)
    assert [(ln.item_code, ln.quantity) for ln in lines] == [("tent", 300)]
