"""Plans in the background (issue 17) on the Guizhou flood: 201 inline below the size
setting, 202 `computing` above it or with `?background=true`, the progress endpoint's
stages, a failure's reason, the sweep of plans a lost worker left computing (with an
injected clock), and approve/compare refusing a plan that has no result yet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relief import clock
from relief.allocation import jobs, service
from tests.allocation.test_plans_api import (  # noqa: F401 - fixtures
    _guizhou_sqlite,
    database_url,
    flood,
)


@pytest.fixture
def officer(client, flood):  # noqa: F811 - the imported fixture
    """The flood's officer, with the app's runner a thread (whatever the database)."""
    client.app.state.settings.plan_runner = "thread"
    return flood


@pytest.fixture
def held(monkeypatch):
    """No job runs: submitted plan ids are only recorded (a worker that never comes)."""
    submitted: list[int] = []
    monkeypatch.setattr(jobs, "submit", lambda state, plan_id: submitted.append(plan_id))
    return submitted


def _post(client, flood, query: str = "", **body):  # noqa: F811
    return client.post(
        f"/api/v1/responses/{flood.response_id}/plans{query}",
        json={"method": "optimal", **body},
        headers=flood.headers,
    )


def _progress(client, flood, plan_id: int) -> dict:  # noqa: F811
    reply = client.get(f"/api/v1/plans/{plan_id}/progress", headers=flood.headers)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_province_sized_plan_answers_201_finished_under_the_default_size(client, officer):
    reply = _post(client, officer)
    assert reply.status_code == 201, reply.text
    plan = reply.json()
    assert (plan["state"], plan["status"]) == ("draft", "optimal") and plan["lines"]
    progress = _progress(client, officer, plan["id"])
    assert (progress["state"], progress["stage"], progress["reason"]) == ("draft", "done", None)


def test_background_true_answers_202_computing_then_the_same_plan_as_inline(client, officer):
    inline = _post(client, officer).json()
    reply = _post(client, officer, "?background=true")
    assert reply.status_code == 202, reply.text
    started = reply.json()
    assert (started["state"], started["status"], started["lines"]) == ("computing", "pending", [])
    assert reply.headers["location"] == f"/api/v1/plans/{started['id']}/progress"

    jobs.runner_for(client.app.state).wait(60)
    progress = _progress(client, officer, started["id"])
    assert (progress["state"], progress["stage"]) == ("draft", "done")
    done = client.get(f"/api/v1/plans/{started['id']}", headers=officer.headers).json()
    assert (done["state"], done["status"], done["stale"]) == ("draft", "optimal", False)
    for key in ("fingerprint", "stats", "lines", "unmet", "by_item", "excluded_stock"):
        assert done[key] == inline[key], key


def test_a_model_above_the_inline_size_answers_202(client, officer, held):
    client.app.state.settings.plan_inline_max_arcs = 10
    reply = _post(client, officer)
    assert reply.status_code == 202, reply.text
    assert reply.json()["state"] == "computing" and held == [reply.json()["id"]]


def test_the_job_reports_every_stage_in_order(client, officer, held, engine, monkeypatch):
    plan_id = _post(client, officer, "?background=true").json()["id"]
    seen: list[tuple[str, int, int]] = []
    write = jobs.ProgressWriter.__call__

    def record(self, stage, done, total):
        seen.append((stage, done, total))
        write(self, stage, done, total)

    monkeypatch.setattr(jobs.ProgressWriter, "__call__", record)
    assert jobs.run_plan_job(engine, plan_id) == "draft"
    stages = [stage for stage, _, _ in seen]
    order = ["demand", "eligibility", "stage1", "stage2", "explain"]
    assert [s for s in order if s in stages] == order
    assert [stages.index(s) for s in order] == sorted(stages.index(s) for s in order)
    last_stage2 = [(d, t) for s, d, t in seen if s == "stage2"][-1]
    assert last_stage2[0] == last_stage2[1] > 0  # every item counted
    # A retried job finds the plan made and changes nothing.
    assert jobs.run_plan_job(engine, plan_id) == "draft"


def test_a_failed_job_carries_its_reason_and_the_plan_is_refused(
    client, officer, held, engine, monkeypatch
):
    plan_id = _post(client, officer, "?background=true").json()["id"]

    def broken(*args, **kwargs):
        raise RuntimeError("solver ran out of memory")

    monkeypatch.setattr(service, "run_method", broken)
    assert jobs.run_plan_job(engine, plan_id) == "failed"
    progress = _progress(client, officer, plan_id)
    assert progress["state"] == "failed"
    assert "solver ran out of memory" in progress["reason"]
    reply = client.post(f"/api/v1/plans/{plan_id}/approve", headers=officer.headers)
    assert reply.status_code == 409
    assert reply.json()["detail"]["code"] == "plan_failed"


def test_a_computing_plan_is_refused_by_approve_and_compare(client, officer, held):
    plan_id = _post(client, officer, "?background=true").json()["id"]
    approve = client.post(f"/api/v1/plans/{plan_id}/approve", headers=officer.headers)
    assert approve.status_code == 409, approve.text
    assert approve.json()["detail"]["code"] == "plan_computing"
    compare = client.get(f"/api/v1/plans/{plan_id}/compare", headers=officer.headers)
    assert compare.status_code == 409
    assert compare.json()["detail"]["code"] == "plan_computing"
    orders = client.get(
        f"/api/v1/dispatch-orders?response_id={officer.response_id}", headers=officer.headers
    )
    assert orders.json()["items"] == []
    listed = client.get(
        f"/api/v1/responses/{officer.response_id}/plans", headers=officer.headers
    ).json()
    assert [p["state"] for p in listed["items"]] == ["computing"]


def test_a_plan_whose_worker_was_lost_is_failed_by_the_sweep_not_left_computing(
    client, officer, held
):
    start = clock.now()
    clock.set_clock(lambda: start)
    plan_id = _post(client, officer, "?background=true").json()["id"]
    stale_after = client.app.state.settings.plan_stale_after_s

    clock.set_clock(lambda: start + timedelta(seconds=stale_after - 1))
    assert _progress(client, officer, plan_id)["state"] == "computing"

    clock.set_clock(lambda: start + timedelta(seconds=stale_after + 1))
    progress = _progress(client, officer, plan_id)
    assert progress["state"] == "failed"
    assert progress["reason"].startswith("worker_lost")


def test_on_postgresql_a_procrastinate_worker_runs_the_deferred_plan(
    client,
    officer,
    engine,
    database_url,  # noqa: F811
):
    if engine.dialect.name != "postgresql":
        pytest.skip("procrastinate runs on PostgreSQL only")
    client.app.state.settings.plan_runner = "procrastinate"
    jobs.ensure_procrastinate_schema(database_url)
    reply = _post(client, officer, "?background=true")
    assert reply.status_code == 202, reply.text
    plan_id = reply.json()["id"]
    assert _progress(client, officer, plan_id)["state"] == "computing"

    jobs.run_worker(database_url, wait=False)  # runs what is queued, then returns
    progress = _progress(client, officer, plan_id)
    assert (progress["state"], progress["stage"]) == ("draft", "done")
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=officer.headers).json()
    assert plan["status"] == "optimal" and plan["lines"]
