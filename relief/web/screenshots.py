"""Screenshots of the web UI's main pages for the docs (`make screenshots`).

Builds a throw-away SQLite database with a scenario loaded and one user per role (random
passwords, never printed), serves the app on a loopback port, and photographs each page
with Debian's chromium through Playwright at 1366x768. Nothing is downloaded: the browser
is /usr/bin/chromium (`apt-get install chromium fonts-noto-cjk`).

    python -m relief.web.screenshots [OUT_DIR] [--scenario DIR]
"""

from __future__ import annotations

import argparse
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    load_policy(session, SYSTEM, folder.policy, folder.name)
    key = sorted(folder.events)[0]
    event, _ = emergency.load_event(session, SYSTEM, folder.events[key], key)
    level = emergency.assess_event(session, event.id).recommended_level
    if level is None:
        return None
    response = responses.trigger_response(session, SYSTEM, event.id, ResponseIn(level=level))
    for method in ("optimal", "greedy"):
        allocation.create_plan(session, SYSTEM, response.id, method)
    return response.id


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
        settings = Settings(
            database_url=url, secret_key=secrets.token_urlsafe(32), var_dir=Path(tmp)
        )
        app = create_app(settings, engine)
        with serve(app) as origin, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for shot in shots_for(users, selected, response_id):
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
                page.wait_for_load_state("networkidle")
                target = out_dir / shot.filename
                if shot.element:
                    page.locator(shot.element).first.screenshot(path=str(target))
                else:
                    page.screenshot(path=str(target))
                written.append(target)
                context.close()
            browser.close()
        engine.dispose()
    return written


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
