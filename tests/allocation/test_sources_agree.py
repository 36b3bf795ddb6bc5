"""The folder source (``relief plan``) and the database source (the API, background jobs)
feed one pipeline (relief.allocation.pipeline): the same scenario loaded into the database
gives the same plan — lines, shortfalls and their remedies, stats and fingerprint — as
planned straight from its folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from relief import clock
from relief.allocation import service as allocation
from relief.allocation.planning import run_plan
from relief.auth.models import SYSTEM
from relief.db import transaction
from relief.emergency import responses
from relief.emergency import service as events
from relief.emergency.models import ResponseIn
from relief.scenario.loader import load_scenario
from relief.scenario.reader import read_scenario

GUIZHOU = Path(__file__).parents[2] / "scenarios" / "guizhou"

# What both sources give; ids, state, staleness, timings and excluded lots are the
# database's own.
SAME = (
    "event",
    "event_code",
    "level",
    "method",
    "status",
    "what_if",
    "fingerprint",
    "stats",
    "by_item",
    "lines",
    "unmet",
)


def test_a_plan_from_the_folder_equals_the_plan_from_the_database(engine):
    scenario, problems = read_scenario(GUIZHOU)
    assert not problems
    with transaction(engine) as session:
        load_scenario(session, SYSTEM, GUIZHOU)
    # flood: shortfalls at its level; landslide: closed roads (pairs in the folder, road
    # ids in the database).
    for key in ("flood", "landslide"):
        spec = scenario.events[key]
        # The database source leaves out lots past the arrival day: plan as of the event.
        clock.set_clock(lambda at=spec.started_at: datetime.fromisoformat(str(at)))
        folder = run_plan(scenario, key, method="both")
        assert folder.input is not None
        assert bool(folder.input.closed_pairs) == (key == "landslide")
        with transaction(engine) as session:
            event = events.event_by_key(session, key)
            response = responses.trigger_response(
                session, SYSTEM, event.id, ResponseIn(level=folder.level, note="test")
            )
            response_id = response.id
        for method in ("optimal", "greedy"):
            with transaction(engine) as session:
                row = allocation.create_plan(session, SYSTEM, response_id, method)
                stored = allocation.plan_view(row, stale=False)
            from_folder = folder.plans[method].to_dict()
            assert stored["fingerprint"] == folder.fingerprint
            assert {k: stored[k] for k in SAME} == {k: from_folder[k] for k in SAME}, (
                key,
                method,
            )
        if key == "flood":
            assert from_folder["unmet"], "the flood should have shortfalls to compare"
