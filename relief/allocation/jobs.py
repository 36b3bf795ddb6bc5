"""Plans made in the background: one interface, two runners.

``submit(app_state, plan_id)`` hands a plan stored ``computing`` (service.create_plan) to
the runner the settings choose (``RELIEF_PLAN_RUNNER``):

- ``thread`` (the default on SQLite, so that ``make demo`` stays one command): a daemon
  thread of the web process runs the job;
- ``procrastinate`` (the default on PostgreSQL): the job is a row in procrastinate's
  tables in the same database, and ``relief worker`` (any number, on any machine that
  reaches the database) runs it.

Both call ``run_plan_job(engine, plan_id)``: it reads the plan's request, runs the pipeline
(demand → eligibility → stage1 → stage2 → explain) with a progress callback that writes the
stage, the count done and a heartbeat into ``plans.job`` in short transactions of its own,
then writes the result in one transaction; any error marks the plan ``failed`` with its
reason. A job that finds its plan no longer ``computing`` does nothing, so a retried job is
harmless.

A worker killed mid-plan cannot mark anything: ``sweep_stale_plans`` fails every computing
plan whose heartbeat is older than ``RELIEF_PLAN_STALE_AFTER_S``; it runs when a worker
starts, when the web process starts, and whenever a plan's progress is read, so no plan
stays ``computing`` for ever.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine

from relief import clock
from relief.allocation import service
from relief.audit import service as audit
from relief.auth.models import SYSTEM
from relief.db import is_sqlite, session_for, transaction
from relief.errors import DomainError

log = logging.getLogger(__name__)

TASK_NAME = "relief.plan"
# Progress within a stage is written at most this often (a stage change always is).
BEAT_EVERY_S = 0.5


class ProgressWriter:
    """The pipeline's progress callback for one plan: stores `(stage, done, total)` and a
    heartbeat in the plan row, in its own transaction, at most every BEAT_EVERY_S within a
    stage."""

    def __init__(self, engine: Engine, plan_id: int) -> None:
        self.engine = engine
        self.plan_id = plan_id
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last < BEAT_EVERY_S and done < total:
            return
        self._stage, self._last = stage, now
        with transaction(self.engine) as session:
            row = service.get_plan_row(session, self.plan_id, lock=True)
            if row.job_state != "computing":
                return
            job = dict(row.job or {})
            job.update(
                stage=stage, done=int(done), total=int(total), heartbeat_at=clock.now().isoformat()
            )
            row.job = job
            session.add(row)


def run_plan_job(engine: Engine, plan_id: int) -> str:
    """Compute a computing plan and store its result (or its failure). Returns the state the
    plan was left in (`draft`, `superseded`, `failed`, or what it already was)."""
    with session_for(engine, write=False) as session:
        row = service.get_plan_row(session, plan_id)
        if row.job_state != "computing":
            return service.shown_state(row)
    progress = ProgressWriter(engine, plan_id)
    try:
        with session_for(engine, write=False) as session:
            row = service.get_plan_row(session, plan_id)
            inputs, result = service.compute_plan(session, row, progress)
            # The inputs keep rows of this session; take what the write needs now.
            with transaction(engine) as write:
                current = service.get_plan_row(write, plan_id, lock=True)
                if current.job_state != "computing":
                    return service.shown_state(current)  # swept meanwhile: keep its verdict
                service.finish_plan(write, current, inputs, result)
                audit.record(
                    write,
                    SYSTEM,
                    "finish",
                    "plan",
                    plan_id,
                    {"job_state": "computing"},
                    service._audit_view(current),
                )
                return current.state
    except Exception as exc:  # noqa: BLE001 - any failure is the plan's reason
        reason = _reason(exc)
        log.warning("plan %s failed: %s", plan_id, reason)
        with transaction(engine) as write:
            current = service.get_plan_row(write, plan_id, lock=True)
            if current.job_state == "computing":
                service.fail_plan(write, current, reason)
                audit.record(
                    write,
                    SYSTEM,
                    "fail",
                    "plan",
                    plan_id,
                    {"job_state": "computing"},
                    {"job_state": "failed", "reason": reason},
                )
        return "failed"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return f"{exc.code}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def sweep_stale_plans(engine: Engine, stale_after_s: float) -> list[int]:
    """Fail every computing plan whose job has not beaten for `stale_after_s` seconds (its
    worker was killed or lost). Returns their ids."""
    with transaction(engine) as session:
        rows = service.stale_computing_plans(session, stale_after_s)
        for row in rows:
            beat = (row.job or {}).get("heartbeat_at")
            reason = f"worker_lost: no progress since {beat} (more than {stale_after_s:g} s)"
            service.fail_plan(session, row, reason)
            audit.record(
                session,
                SYSTEM,
                "fail",
                "plan",
                row.id,
                {"job_state": "computing"},
                {"job_state": "failed", "reason": reason},
            )
        return [int(row.id) for row in rows]  # type: ignore[arg-type]


# --- runners -------------------------------------------------------------------------------


def runner_kind(engine: Engine, setting: str) -> str:
    if setting != "auto":
        return setting
    return "thread" if is_sqlite(engine) else "procrastinate"


class ThreadRunner:
    """Runs each job in a daemon thread of this process (SQLite default). The threads are
    kept so that tests and shutdown can wait for them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.threads: list[threading.Thread] = []

    def submit(self, plan_id: int) -> None:
        thread = threading.Thread(
            target=run_plan_job, args=(self.engine, plan_id), name=f"plan-{plan_id}", daemon=True
        )
        self.threads = [t for t in self.threads if t.is_alive()]
        self.threads.append(thread)
        thread.start()

    def wait(self, timeout: float | None = None) -> None:
        for thread in list(self.threads):
            thread.join(timeout)


class ProcrastinateRunner:
    """Defers each job to procrastinate's queue in the same PostgreSQL database;
    `relief worker` runs them."""

    def __init__(self, database_url: str) -> None:
        self.app = procrastinate_app(database_url)

    def submit(self, plan_id: int) -> None:
        with self.app.open():
            self.app.configure_task(TASK_NAME).defer(plan_id=plan_id)

    def wait(self, timeout: float | None = None) -> None:  # the workers are elsewhere
        return None


def conninfo(database_url: str) -> str:
    """A libpq URL for procrastinate from relief's (no SQLAlchemy driver suffix)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def procrastinate_app(database_url: str, engine: Engine | None = None) -> Any:
    """The procrastinate App of relief's jobs, with the plan task registered (2 tries: a
    job that fails outright has marked its plan failed, so the retry finds nothing to do)."""
    import procrastinate

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )
    plan_engine = engine

    @app.task(name=TASK_NAME, retry=1, pass_context=False)
    def plan_task(plan_id: int) -> str:
        nonlocal plan_engine
        if plan_engine is None:
            from relief.db import make_engine

            plan_engine = make_engine(database_url)
        return run_plan_job(plan_engine, plan_id)

    return app


def runner_for(state: Any) -> Any:
    """The runner of an app (`app.state`: engine, settings), made once."""
    runner = getattr(state, "plan_runner", None)
    if runner is None:
        kind = runner_kind(state.engine, state.settings.plan_runner)
        if kind == "thread":
            runner = ThreadRunner(state.engine)
        else:
            runner = ProcrastinateRunner(state.settings.database_url)
        state.plan_runner = runner
    return runner


def submit(state: Any, plan_id: int) -> None:
    runner_for(state).submit(plan_id)


def ensure_procrastinate_schema(database_url: str) -> bool:
    """Apply procrastinate's schema to the database unless its tables are there. Returns
    whether it was applied."""
    app = procrastinate_app(database_url)
    with app.open():
        connector = app.connector.get_sync_connector()
        present = connector.execute_query_one(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if present["present"]:
            return False
        app.schema_manager.apply_schema()
        return True


def run_worker(
    database_url: str, concurrency: int = 1, stale_after_s: float = 300, wait: bool = True
) -> None:
    """`relief worker`: sweep stale plans, then run plan jobs until stopped (Ctrl-C)."""
    from relief.db import make_engine

    engine = make_engine(database_url)
    swept = sweep_stale_plans(engine, stale_after_s)
    if swept:
        log.warning("failed %d plan(s) left computing by a lost worker: %s", len(swept), swept)
    ensure_procrastinate_schema(database_url)
    app = procrastinate_app(database_url, engine)
    app.run_worker(concurrency=concurrency, wait=wait)
