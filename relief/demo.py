"""The demo flow behind `make demo`: migrate, load a scenario, create demo users, seed the
practice subsidy cases, summarise.

Running it again is safe: the scenario load is idempotent, the practice cases are created
once, and the demo accounts get fresh one-time passwords (the old ones stop working).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from stdnum.cn import ric

from relief import clock
from relief.auth import service as auth
from relief.auth.models import SYSTEM, UserCreate, UserUpdate
from relief.db import session_for, transaction, upgrade
from relief.errors import DomainError
from relief.network import service as network
from relief.network.records import Item, Region, Warehouse
from relief.scenario.loader import load_scenario
from relief.stock import service as stock
from relief.subsidies import service as subsidies
from relief.subsidies.ids import IdNumberVault, vault_for
from relief.subsidies.models import Case, HouseholdIn, Programme, TransitionIn

# The places the demo accounts look after when the scenario has them (scenarios/hohhot):
# the Hohhot prefecture (呼和浩特市) and Wuchuan county (武川县).
PREFERRED_PREFECTURE = "150100"
PREFERRED_COUNTY = "150125"
LOWEST_SHOWN = 3
# Practice households of the demo county (fictitious people; valid-format ID numbers made
# up below): registered, village-reviewed and put on public notice `notice_days + 1` days
# before the demo runs, so that a newcomer can approve and pay one the same day
# (docs/walkthrough.md). (head name, birth date in the ID number, household size)
PRACTICE_HOUSEHOLDS = (
    ("王桂兰", "19580306", 3),
    ("李俊峰", "19720914", 5),
    ("赵秀梅", "19651122", 4),
)
PRACTICE_NOTE = "演示数据：公示期已满的练习案件"


# The demo accounts' people: fictitious names and office numbers (not real people or
# lines), so that the response page shows whom to call (issue 13).
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    "admin": ("刘志强", "0471-6900100"),
    "duty": ("张海燕", "0471-6900110"),
    "manager_backbone": ("王建国", "0471-6900120"),
    "manager_depot": ("李春生", "0471-8800130"),
    "county_staff": ("赵红梅", "0471-8800140"),
    "approver": ("孙立平", "0471-6900150"),
}


@dataclass
class DemoUser:
    username: str
    role: str
    password: str
    warehouse_codes: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)

    @property
    def full_name(self) -> str | None:
        return DEMO_PEOPLE.get(self.username, (None, None))[0]

    @property
    def phone(self) -> str | None:
        return DEMO_PEOPLE.get(self.username, (None, None))[1]

    @property
    def scope(self) -> str:
        codes = self.warehouse_codes or self.region_codes
        return ", ".join(codes) if codes else "everything"


def create_demo_users(engine: Engine, users: list[DemoUser]) -> list[DemoUser]:
    """Create (or re-key) the demo accounts with fresh one-time passwords, which must be
    changed at first sign-in."""
    created = []
    with transaction(engine) as session:
        for user in users:
            existing = auth.user_by_username(session, user.username)
            if existing is not None:  # forced to change again; old sessions end
                auth.set_password(session, SYSTEM, user.username, user.password)
                if existing.full_name is None and existing.phone is None and user.full_name:
                    people = UserUpdate(full_name=user.full_name, phone=user.phone)
                    auth.update_user(session, SYSTEM, user.username, people)
            else:
                auth.create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        username=user.username,
                        password=user.password,
                        role=user.role,
                        warehouse_codes=user.warehouse_codes,
                        region_codes=user.region_codes,
                        full_name=user.full_name,
                        phone=user.phone,
                        # printed on a terminal: the user chooses their own at first sign-in
                        must_change_password=True,
                    ),
                )
            created.append(user)
    return created


def one_time_password() -> str:
    return auth.one_time_password()


def demo_users(warehouses: list[Warehouse], regions: list[Region]) -> list[DemoUser]:
    """One account per role: a manager of the prefecture backbone warehouse and one of a
    county depot, county staff of that depot's county, an approver of the prefecture."""
    backbone = _pick(
        [w for w in warehouses if w.tier == "prefecture"],
        lambda w: w.region_code == PREFERRED_PREFECTURE,
    )
    depot = _pick(
        [w for w in warehouses if w.tier == "county"],
        lambda w: w.region_code == PREFERRED_COUNTY,
    )
    users = [
        DemoUser("admin", "admin", one_time_password()),
        DemoUser("duty", "duty_officer", one_time_password()),
    ]
    if backbone is not None:
        users.append(
            DemoUser("manager_backbone", "warehouse_manager", one_time_password(), [backbone.code])
        )
    if depot is not None:
        users.append(
            DemoUser("manager_depot", "warehouse_manager", one_time_password(), [depot.code])
        )
        users.append(
            DemoUser("county_staff", "county_staff", one_time_password(), [], [depot.region_code])
        )
    if backbone is not None:
        users.append(
            DemoUser("approver", "approver", one_time_password(), [], [backbone.region_code])
        )
    return users


def _pick(candidates: list[Warehouse], preferred) -> Warehouse | None:
    ordered = sorted(candidates, key=lambda w: (not preferred(w), w.code))
    return ordered[0] if ordered else None


def run_demo(
    database_url: str, engine: Engine, scenario: Path, secret_key: str | None = None
) -> list[str]:
    """Everything `relief demo` does before serving; returns the lines it printed. The
    practice subsidy cases need `secret_key` (ID numbers are stored encrypted)."""
    upgrade(database_url, engine, secret_key)
    with transaction(engine) as session:
        report = load_scenario(session, SYSTEM, scenario)
    lines = [f"scenario: {scenario}", *report.lines()]
    with session_for(engine, write=False) as session:
        regions, warehouses, _, _ = network.network_records(session)
    users = create_demo_users(engine, demo_users(warehouses, regions))
    lines.append("demo users (one-time passwords, printed once; a new run replaces them):")
    lines.append(f"  {'username':<17} {'role':<18} {'scope':<14} password")
    for user in users:
        lines.append(f"  {user.username:<17} {user.role:<18} {user.scope:<14} {user.password}")
    county = next((u.region_codes[0] for u in users if u.role == "county_staff"), None)
    if county is not None and secret_key:
        lines.extend(seed_practice_cases(engine, secret_key, county))
        lines.extend(seed_help_first_case(engine, secret_key, county))
        lines.extend(seed_winter_survey(engine, secret_key, county))
    with session_for(engine, write=False) as session:
        lines.extend(network_summary(session))
    return lines


def practice_id_number(county: str, born: str, seq: int) -> str:
    """A valid-format resident ID number (GB 11643 check digit) for a practice household."""
    first = f"{county[:6]}{born}{seq:03d}"
    return first + ric.calc_check_digit(first + "0")  # the digit passed in is ignored


def seed_practice_cases(engine: Engine, secret_key: str, county: str) -> list[str]:
    """For each programme of a loaded event that covers `county`: the practice households
    (PRACTICE_HOUSEHOLDS) in the county's first regions of the lowest level, each with a
    case whose public notice has ended. Created once: a later run finds the households by
    their ID hash and the cases by household and programme, and lists them as they are.

    The clock is set back while seeding so that the notice rule is the real one: the cases
    were published `notice_days + 1` days ago, as if a colleague had done it then."""
    vault = vault_for(secret_key)
    lines: list[str] = []
    with transaction(engine) as session:
        # The county's regions of the lowest level the scenario has (townships or villages).
        under = set(network.region_descendants(session, county))
        level = subsidies.lowest_region_level(session)
        places = [r.code for r in network.list_regions(session, level=level) if r.code in under]
        programmes = [p for p in subsidies.list_programmes(session, SYSTEM) if p.event_id]
        for programme in programmes:
            if programme.region_code not in network.region_lineage(session, county):
                continue
            lines.extend(_practice_cases(session, vault, programme, county, places))
    if lines:
        lines.insert(
            0,
            "practice subsidy cases (public notice ended: township review, approve, pay; "
            "docs/walkthrough.md):",
        )
    return lines


def _practice_cases(
    session: Session, vault: IdNumberVault, programme: Programme, county: str, places: list[str]
) -> list[str]:
    assert programme.event_id is not None
    lines = []
    with clock.shifted(-timedelta(days=programme.notice_days + 1)):
        for seq, ((name, born, size), place) in enumerate(
            zip(PRACTICE_HOUSEHOLDS, places, strict=False), start=1
        ):
            number = practice_id_number(county, born, seq)
            # One household per person and event, whichever of the event's programmes
            # registered it first; one case per programme.
            found = subsidies.existing_id_hashes(
                session, programme.event_id, [vault.uniqueness_key(number)]
            )
            household_id = next(iter(found.values()), None)
            try:
                with session.begin_nested():
                    if household_id is None:
                        body = HouseholdIn(
                            event_id=programme.event_id,
                            region_code=place,
                            head_name=name,
                            id_number=number,
                            size=size,
                            damage="collapsed",
                            rooms=2,
                            bank_account=f"62284800{seq:011d}",
                        )
                        household_id = subsidies.create_household(session, SYSTEM, body, vault).id
                    assert household_id is not None
                    case = subsidies.case_for(
                        session, household_id, programme.code
                    ) or _published_case(session, household_id, programme)
            except DomainError:  # not eligible here (region, standard): no practice case
                continue
            lines.append(f"  case {case.id:<5} {case.status:<18} {programme.code:<26} {name}")
    return lines


# The 临时救助 practice case (issue 15): help first paid this many days ago, so that the
# paperwork clock runs (5 working days in the policy) when a newcomer opens it.
HELP_FIRST_DAYS_AGO = 2
HELP_FIRST_NOTE = "演示数据：火灾后先行救助，待补办审核审批手续"


def seed_help_first_case(engine: Engine, secret_key: str, county: str) -> list[str]:
    """A 急难型 临时救助 case of the county's first practice household, paid help first
    from its township's reserve fund HELP_FIRST_DAYS_AGO days ago (the clock set back, as for
    the practice cases), so that its paperwork is due. Created once; a later run lists it.
    The township's fund is topped up first when it holds too little (a demo entry)."""
    from relief.reserve import service as reserve
    from relief.subsidies import temporary
    from relief.subsidies.models import Household

    vault = vault_for(secret_key)
    name, born, _ = PRACTICE_HOUSEHOLDS[0]
    key = vault.uniqueness_key(practice_id_number(county, born, 1))
    with transaction(engine) as session:
        lineage_ok = [
            p
            for p in subsidies.list_programmes(session, SYSTEM)
            if p.kind == temporary.KIND and p.region_code in network.region_lineage(session, county)
        ]
        household = session.exec(
            select(Household).where(Household.id_hash == key).order_by(Household.id)
        ).first()
        if not lineage_ok or household is None:
            return []
        programme = lineage_ok[0]
        township = temporary.township_of(session, household.region_code)
        if township is None:
            return []
        case = subsidies.case_for(session, household.id, programme.code)
        if case is None:
            try:
                with session.begin_nested(), clock.shifted(-timedelta(days=HELP_FIRST_DAYS_AGO)):
                    body = temporary.TemporaryCaseIn(
                        household_id=household.id,
                        programme_code=programme.code,
                        relief_type="emergency",
                        cause="火灾",
                        months=2,
                    )
                    case = temporary.open_case(session, SYSTEM, body)
                    if reserve.balance_fen(session, township) < case.amount_fen:
                        reserve.top_up(
                            session, SYSTEM, township, case.amount_fen, "演示数据", "县级拨付备用金"
                        )
                    temporary.pay_help_first(
                        session, SYSTEM, case.id, temporary.HelpFirstIn(reason=HELP_FIRST_NOTE)
                    )
            except DomainError:  # no standard or policy for it here: no practice case
                return []
        out = temporary.temporary_out(session, case, household)
        running = out.clock if out is not None else None
        due = f"paperwork due {running.due_on.isoformat()}" if running else case.status
    return [
        "临时救助 practice case (help first paid from the reserve fund; the paperwork clock runs):",
        f"  case {case.id:<5} {case.status:<18} {programme.code:<26} {name} {due}",
    ]


# The 冬春 practice survey (issue 15): the practice households' needs, entered once in the
# season whose survey is open, so that the survey ledger and the county's totals due show.
# (grain kg, clothing pieces, heating) per practice household, in PRACTICE_HOUSEHOLDS order.
WINTER_NEEDS = ((Decimal("45.0"), 3, True), (Decimal("75.0"), 0, True), (Decimal("60.0"), 4, False))
WINTER_NOTE = "演示数据：冬春生活需救助摸底"


def seed_winter_survey(engine: Engine, secret_key: str, county: str) -> list[str]:
    """The practice households of the county in the 冬春 needs survey (需救助台账) of the
    season whose survey is open (the current one, else the last), when a 冬春 policy covers
    the county. Created once; a later run lists the entries and the totals as they are."""
    from relief.subsidies import winter
    from relief.subsidies.models import Household
    from relief.subsidies.winter_models import SurveyEntryIn

    vault = vault_for(secret_key)
    with transaction(engine) as session:
        policy = winter.policy_for(session, county)
        if policy is None:
            return []
        season = winter.season_of(winter.today())
        if winter.today() < winter._month_day(season, policy.survey_from):
            season -= 1  # this season's survey is not open yet: the last one's
        entries = []
        for seq, ((name, born, size), needs) in enumerate(
            zip(PRACTICE_HOUSEHOLDS, WINTER_NEEDS, strict=False), start=1
        ):
            key = vault.uniqueness_key(practice_id_number(county, born, seq))
            household = session.exec(
                select(Household).where(Household.id_hash == key).order_by(Household.id)
            ).first()
            if household is None:
                continue
            entry = winter.current_entry(session, household.id, season)  # type: ignore[arg-type]
            if entry is None:
                grain, clothing, heating = needs
                body = SurveyEntryIn(
                    household_id=household.id,  # type: ignore[arg-type]
                    season=season,
                    people=min(size, household.size),
                    grain_kg=grain,
                    clothing_pieces=clothing,
                    heating=heating,
                    note=WINTER_NOTE,
                )
                try:
                    with session.begin_nested():
                        entry = winter.add_entry(session, SYSTEM, body)
                except DomainError:  # outside the policy's rules here: no entry
                    continue
            entries.append((entry, name))
        if not entries:
            return []
        status = winter.totals_status(session, SYSTEM, county, season)
    state = (
        f"sent {clock.to_cst(status['submitted_at']).date().isoformat()}"
        if status["submitted_at"]
        else ("late" if status["late"] else "due")
    )
    return [
        f"冬春 needs survey {season}-{season + 1} (the ledger at /winter-spring/survey; "
        f"county totals {state} by {status['due_on'].isoformat()}):",
        *(f"  entry {e.id:<5} {e.people} people {name}" for e, name in entries),
    ]


def _published_case(session: Session, household_id: int, programme: Programme) -> Case:
    case = subsidies.create_case(session, SYSTEM, household_id, programme.code)
    assert case.id is not None
    for action in ("village_review", "publish"):
        subsidies.transition_case(
            session, SYSTEM, case.id, TransitionIn(action=action, note=PRACTICE_NOTE)
        )
    return case


def network_summary(session: Session) -> list[str]:
    """The network at a glance: warehouses by tier, stock by item category, and the county
    depots with the least stock to give.

    "Least stock" is measured in tonnes that an allocation could send: Σ over the depot's
    items of available × weight_kg, with available = on_hand − reserved − floor (not below
    0). Units differ between items (顶, 床, kg), weight does not.
    """
    regions, warehouses, roads, items = network.network_records(session)
    levels = stock.stock_levels_for_allocation(session)
    item_by_code: dict[str, Item] = {item.code: item for item in items}
    closed = sum(1 for road in roads if road.status != "open")
    lines = [
        f"network: {len(regions)} regions, {len(warehouses)} warehouses, "
        f"{len(roads)} roads ({closed} closed), {len(items)} items",
        "warehouses by tier:",
    ]
    for tier in ("provincial", "prefecture", "county"):
        codes = [w.code for w in warehouses if w.tier == tier]
        lines.append(f"  {tier:<11} {len(codes):>4}")

    on_hand: dict[str, int] = defaultdict(int)
    weight: dict[str, Decimal] = defaultdict(Decimal)
    for level in levels:
        item = item_by_code[level.item_code]
        category = item.category or "(none)"
        on_hand[category] += level.on_hand
        weight[category] += level.on_hand * item.weight_kg
    lines.append("stock by category (Σ on_hand over the category's items; tonnes):")
    for category in sorted(on_hand):
        lines.append(
            f"  {category:<11} {on_hand[category]:>12,}  {_tonnes(weight[category]):>10} t"
        )

    available: dict[str, Decimal] = {w.code: Decimal(0) for w in warehouses if w.tier == "county"}
    for level in levels:
        if level.warehouse_code in available:
            item = item_by_code[level.item_code]
            available[level.warehouse_code] += level.available * item.weight_kg
    names = {w.code: w.name for w in warehouses}
    lowest = sorted(available.items(), key=lambda kv: (kv[1], kv[0]))[:LOWEST_SHOWN]
    lines.append(
        f"the {len(lowest)} lowest-stock county depots "
        "(by available tonnes: Σ (on_hand − reserved − floor) × weight_kg):"
    )
    for code, kg in lowest:
        lines.append(f"  {code:<14} {_tonnes(kg):>10} t  {names[code]}")
    return lines


def _tonnes(kg: Decimal) -> str:
    return f"{kg / 1000:,.1f}"
