"""Screenshots of the web UI's main pages for the docs (`make screenshots`).

Builds a throw-away SQLite database with a scenario loaded and one user per role (random
passwords, never printed), serves the app on a loopback port, and photographs each page
with Debian's chromium through Playwright at 1366x768. Nothing is downloaded: the browser
is /usr/bin/chromium (`apt-get install chromium fonts-noto-cjk`).

    python -m relief.web.screenshots [OUT_DIR] [--scenario DIR]
"""

from __future__ import annotations

import argparse
import functools
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from relief import clock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}


@dataclass(frozen=True)
class Shot:
    filename: str
    username: str | None  # None: signed out
    path: str
    lang: str = "zh"
    element: str | None = None  # a CSS selector: shoot only that part of the page
    act: Callable[[object], None] | None = None  # what the user does on the page first


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    warehouse_codes: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()


def demo_users(session) -> list[DemoUser]:
    """One user per role, scoped to the first county depot and its county."""
    from relief.network import service as network

    depot = next(iter(network.list_warehouses(session, tier="county")), None)
    users = [DemoUser("admin", "admin"), DemoUser("duty", "duty_officer")]
    if depot is not None:
        users.append(DemoUser("manager", "warehouse_manager", warehouse_codes=(depot.code,)))
        users.append(DemoUser("county", "county_staff", region_codes=(depot.region_code,)))
    return users


def shots_for(
    users: list[DemoUser], selected_warehouse: str | None, response_id: int | None = None
) -> list[Shot]:
    names = {u.username for u in users}
    shots = [Shot("login.png", None, "/"), Shot("duty-home.png", "duty", "/")]
    if selected_warehouse:
        shots.append(Shot("map.png", "duty", f"/map?warehouse={selected_warehouse}"))
    else:
        shots.append(Shot("map.png", "duty", "/map"))
    shots.append(Shot("map-en.png", "duty", "/map", lang="en"))
    if "manager" in names:
        shots.append(Shot("manager-home.png", "manager", "/"))
    if "county" in names:
        shots.append(Shot("county-home.png", "county", "/"))
    if response_id is not None:
        # The optimal and greedy plans side by side on the response page.
        shots.append(Shot("plans.png", "duty", f"/responses/{response_id}", element=".grid.plans"))
    shots.append(Shot("forbidden.png", "duty", "/users"))
    return shots


def workflow_shots(
    users: list[DemoUser],
    *,
    order_id: int | None,
    case_id: int | None,
    programme_code: str | None,
    township: str | None,
) -> list[Shot]:
    """The pages of the work itself, taken after `shots_for` (their data changes stock,
    which would mark the plans of plans.png as stale)."""
    names = {u.username for u in users}
    shots = []
    if order_id is not None and "manager" in names:
        # The pick list (lots, first-expiring first) and the dispatch form of an order.
        shots.append(Shot("order.png", "manager", f"/orders/{order_id}"))
    if "county" in names:
        shots.append(
            Shot(
                "household-error.png",
                "county",
                "/subsidies/households/new",
                act=functools.partial(_bad_household, township=township or ""),
            )
        )
        if case_id is not None:
            shots.append(Shot("case.png", "county", f"/subsidies/cases/{case_id}"))
        if programme_code is not None:
            shots.append(Shot("programme.png", "county", f"/subsidies/programmes/{programme_code}"))
    return shots


def _bad_household(page, township: str) -> None:
    """A household typed with a wrong check digit and without size or damage, then sent:
    the page comes back with every problem next to its field."""
    page.get_by_label("灾害事件").select_option(index=1)
    page.locator("#hh-region_code").select_option(township)
    page.get_by_label("户主姓名").fill("刘玉珍")
    page.get_by_label("身份证号码").fill(_id_number("15010219800101061", wrong=True))
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()


def _id_number(body: str, *, wrong: bool = False) -> str:
    """A made-up resident ID number with a right (or deliberately wrong) check digit."""
    from stdnum.cn import ric

    digit = ric.calc_check_digit(body + "0")
    if wrong:
        digit = "1" if digit != "1" else "2"
    return body + digit


def trigger_first_event(session, scenario: Path) -> int | None:
    """Load the scenario's policy and first event, trigger a response at the level the
    event's reports call for and run an optimal and a greedy plan for it, as a duty officer
    would, so the home and response pages have something to show. Returns the response."""
    from relief.allocation import service as allocation
    from relief.auth.models import SYSTEM
    from relief.emergency import responses
    from relief.emergency import service as emergency
    from relief.emergency.models import ResponseIn
    from relief.emergency.policy import load_policy
    from relief.scenario.validate import check_scenario

    folder, _ = check_scenario(scenario)
    if folder.policy is None or not folder.events:
        return None
    load_policy(session, SYSTEM, folder.policy, folder.code)
    key = sorted(folder.events)[0]
    event, _ = emergency.load_event(session, SYSTEM, folder.events[key], key, folder.code)
    level = emergency.assess_event(session, event.id).recommended_level
    if level is None:
        return None
    response = responses.trigger_response(session, SYSTEM, event.id, ResponseIn(level=level))
    for method in ("optimal", "greedy"):
        allocation.create_plan(session, SYSTEM, response.id, method)
    return response.id


def manager_order(session, users: list[DemoUser]) -> int | None:
    """A restocking transfer out of the manager's depot, after a receipt of a lot that
    expires soon, so that the pick list shows first-expiring-first over two lots."""
    from relief.auth.models import Actor
    from relief.dispatch import service as dispatch
    from relief.network import service as network
    from relief.stock import service as stock
    from relief.stock.models import ReceiptLineIn

    manager = next((u for u in users if u.username == "manager"), None)
    if manager is None:
        return None
    source = manager.warehouse_codes[0]
    others = [w.code for w in network.list_warehouses(session, tier="county") if w.code != source]
    if not others:
        return None
    actor = Actor(username=manager.username, role=manager.role, warehouse_codes=(source,))
    expires = (clock.today() + timedelta(days=45)).isoformat()
    line = ReceiptLineIn(item_code="water", quantity=300, lot="SN2601", expires_on=expires)
    stock.receive_stock(session, actor, source, "RK-2026-001", [line])
    order = dispatch.create_transfer(
        session,
        actor,
        from_warehouse_code=source,
        to_warehouse_code=others[0],
        lines=[
            {"item_code": "water", "quantity": 500},
            {"item_code": "quilt", "quantity": 120},
            {"item_code": "rice", "quantity": 800},
        ],
        reason="补充相邻片区库",
    )
    return order.id


def subsidy_cases(session, users: list[DemoUser], secret_key: str) -> tuple[int, str, str] | None:
    """Three households of the county clerk's county in a rebuild programme (else any
    programme of an event), at three stages: one approved and half paid (its notice put up
    ten days ago), one on public notice, one village-reviewed. Returns the paid case, the
    programme and the township of the households."""
    from datetime import UTC, datetime

    from relief import clock
    from relief.auth.models import Actor
    from relief.errors import DomainError
    from relief.network import service as network
    from relief.subsidies import service as subsidies
    from relief.subsidies.ids import vault_for
    from relief.subsidies.models import HouseholdIn, PaymentIn, TransitionIn, format_fen

    clerk = next((u for u in users if u.username == "county"), None)
    if clerk is None:
        return None
    county = clerk.region_codes[0]
    actor = Actor(username=clerk.username, role=clerk.role, region_codes=(county,))
    approver = Actor(username="approver", role="approver", region_codes=(county,))
    programmes = [p for p in subsidies.list_programmes(session, actor) if p.event_id]
    programmes.sort(key=lambda p: (p.kind != "rebuild", p.code))
    if not programmes:
        return None
    programme = programmes[0]
    townships = [r.code for r in network.list_regions(session, parent_code=county)]
    vault = vault_for(secret_key)
    people = [
        ("张建国", "15010219800101061", 4, "collapsed", 3, "general"),
        ("李桂英", "15010219660712042", 2, "severe", 2, "dibao"),
        ("赵德明", "15010219750923083", 5, "general", 3, "general"),
    ]
    now = datetime.now(UTC)
    cases = []
    try:
        clock.set_clock(lambda: now - timedelta(days=10))
        for name, body, size, damage, rooms, category in people:
            household = None
            for code in townships:  # the first township of the county inside the event
                try:
                    with session.begin_nested():
                        household = subsidies.create_household(
                            session,
                            actor,
                            HouseholdIn(
                                event_id=programme.event_id,
                                region_code=code,
                                head_name=name,
                                id_number=_id_number(body),
                                size=size,
                                damage=damage,
                                rooms=rooms,
                                category=category,
                            ),
                            vault,
                        )
                    break
                except DomainError:
                    continue
            if household is None:
                return None
            townships = [household.region_code]  # all three in the same township
            cases.append(subsidies.create_case(session, actor, household.id, programme.code))
        paid, noticed, reviewed = cases
        for case, steps in ((paid, 2), (reviewed, 1)):
            for action, note in (("village_review", "村民代表会议评议通过"), ("publish", ""))[
                :steps
            ]:
                subsidies.transition_case(
                    session, actor, case.id, TransitionIn(action=action, note=note)
                )
    finally:
        clock.set_clock(None)
    subsidies.transition_case(
        session,
        actor,
        noticed.id,
        TransitionIn(action="village_review", note="村民代表会议评议通过"),
    )
    subsidies.transition_case(session, actor, noticed.id, TransitionIn(action="publish"))
    subsidies.transition_case(
        session, actor, paid.id, TransitionIn(action="township_review", note="材料齐全")
    )
    subsidies.transition_case(
        session, approver, paid.id, TransitionIn(action="approve", note="公示无异议，同意")
    )
    half = paid.amount_fen // 2
    subsidies.record_payment(
        session,
        actor,
        paid.id,
        PaymentIn(
            amount=format_fen(half),
            paid_on=clock.to_cst(clock.now()).date(),  # the approval day or later (China)
            reference="NX-2026-0001",
        ),
    )
    return paid.id, programme.code, townships[0]


@contextmanager
def serve(app) -> Iterator[str]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def take(out_dir: Path, scenario: Path) -> list[Path]:
    """Write the screenshots into `out_dir`; returns their paths."""
    from playwright.sync_api import sync_playwright

    from relief.app import create_app
    from relief.auth import service as auth
    from relief.auth.models import SYSTEM, UserCreate
    from relief.config import Settings
    from relief.db import make_engine, transaction, upgrade
    from relief.scenario.loader import load_scenario

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/relief.db"
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(
            database_url=url, secret_key=secrets.token_urlsafe(32), var_dir=Path(tmp)
        )
        passwords: dict[str, str] = {}
        with transaction(engine) as session:
            load_scenario(session, SYSTEM, scenario)
            users = demo_users(session)
            for user in users:
                passwords[user.username] = secrets.token_urlsafe(12)
                auth.create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        username=user.username,
                        password=passwords[user.username],
                        role=user.role,
                        warehouse_codes=list(user.warehouse_codes),
                        region_codes=list(user.region_codes),
                    ),
                )
            response_id = trigger_first_event(session, scenario)
            # The map shot shows the manager's depot selected, as a click would.
            selected = next((u.warehouse_codes[0] for u in users if u.warehouse_codes), None)
        app = create_app(settings, engine)
        with serve(app) as origin, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for shot in shots_for(users, selected, response_id):
                written.append(_shoot(browser, origin, passwords, shot, out_dir))
            with transaction(engine) as session:
                order_id = manager_order(session, users)
                made = subsidy_cases(session, users, settings.secret_key)
            case_id, programme_code, township = made if made else (None, None, None)
            later = workflow_shots(
                users,
                order_id=order_id,
                case_id=case_id,
                programme_code=programme_code,
                township=township,
            )
            for shot in later:
                written.append(_shoot(browser, origin, passwords, shot, out_dir))
            browser.close()
        engine.dispose()
    return written


def _shoot(browser, origin: str, passwords: dict[str, str], shot: Shot, out_dir: Path) -> Path:
    """Sign in as the shot's user in a fresh browser context, open the page, photograph it."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    if shot.username:
        page.goto(origin + "/")
        page.get_by_label("用户名").fill(shot.username)
        page.get_by_label("密码").fill(passwords[shot.username])
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
    if shot.lang != "zh":
        page.goto(f"{origin}/lang?to={shot.lang}&next=/")
    page.goto(origin + shot.path)
    if shot.act is not None:
        shot.act(page)
    page.wait_for_load_state("networkidle")
    target = out_dir / shot.filename
    if shot.element:
        page.locator(shot.element).first.screenshot(path=str(target))
    else:
        page.screenshot(path=str(target))
    context.close()
    _shrink(target)
    return target


def _shrink(path: Path) -> None:
    """Rewrite a PNG with a 256-colour palette (the pictures are committed; a UI page looks
    the same in 256 colours at a third of the size). Left as it is without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default="docs/screenshots", type=Path)
    parser.add_argument("--scenario", default="scenarios/hohhot", type=Path)
    args = parser.parse_args(argv)
    for path in take(args.out_dir, args.scenario):
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
