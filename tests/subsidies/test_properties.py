"""Property: for every case, paid ≤ approved ≤ the amount its standard computes, whatever
the standards, households, budget and payment attempts (API.md invariants)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from relief import clock
from relief.auth.models import Actor
from relief.db import transaction
from relief.errors import DomainError
from relief.subsidies import service
from relief.subsidies.ids import IdNumberVault
from relief.subsidies.models import (
    CATEGORIES,
    Case,
    HouseholdIn,
    PaymentIn,
    ProgrammeIn,
    Standard,
    TransitionIn,
)
from tests.subsidies.conftest import id_number

CLERK = Actor(username="clerk", role="county_staff", region_codes=("150102",))
APPROVER = Actor(username="approver", role="approver", region_codes=("150102",))
VAULT = IdNumberVault("property-test-secret")
_serial = itertools.count(1)

yuan = st.integers(min_value=0, max_value=5_000_000)  # fen


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    per_household=yuan,
    per_room=st.one_of(st.none(), yuan),
    rooms=st.integers(0, 12),
    damage=st.sampled_from(["collapsed", "severe", "general"]),
    category=st.sampled_from(CATEGORIES),
    category_standard=st.booleans(),
    budget=st.integers(0, 20_000_000),
    override=st.booleans(),
    payments=st.lists(st.integers(1, 12_000_000), max_size=5),
)
def test_paid_never_exceeds_approved_and_approved_never_exceeds_the_standard(
    engine,
    world,
    per_household,
    per_room,
    rooms,
    damage,
    category,
    category_standard,
    budget,
    override,
    payments,
):
    n = next(_serial)
    with transaction(engine) as session:
        programme = service.create_programme(
            session,
            Actor(username="admin", role="admin"),
            ProgrammeIn(
                code=f"P{n}",
                name="property",
                kind="rebuild",
                region_code="150100",
                budget=f"{budget / 100:.2f}",  # yuan in, fen stored
                notice_days=0,
                standards=[
                    {
                        "effective_from": "2020-01-01",
                        "damage": damage,
                        "category": category if category_standard else None,
                        "per_household": f"{per_household / 100:.2f}",
                        "per_room": None if per_room is None else f"{per_room / 100:.2f}",
                    }
                ],
            ),
        )
        household = service.create_household(
            session,
            CLERK,
            HouseholdIn(
                event_id=world.event_id,
                region_code="150102001",
                head_name="户主",
                id_number=id_number(n % 1000, born=f"19{50 + n // 1000:02d}0101"),
                size=3,
                damage=damage,
                rooms=rooms,
                category=category,
            ),
            VAULT,
        )
        case = service.create_case(session, CLERK, household.id, programme.code)
        case_id, code = case.id, programme.code
    for action, actor in (
        ("village_review", CLERK),
        ("publish", CLERK),
        ("township_review", CLERK),
    ):
        with transaction(engine) as session:
            service.transition_case(session, actor, case_id, TransitionIn(action=action))
    try:
        with transaction(engine) as session:
            service.transition_case(
                session,
                APPROVER,
                case_id,
                TransitionIn(action="approve", override_reason="追加" if override else None),
            )
    except DomainError as exc:
        assert exc.code == "budget_exceeded"
    paid_on = clock.to_cst(clock.now()).date()  # not before the approval (review #13)
    for n, amount in enumerate(payments):
        try:
            with transaction(engine) as session:
                service.record_payment(
                    session,
                    CLERK,
                    case_id,
                    PaymentIn(amount=f"{amount / 100:.2f}", paid_on=paid_on, reference=f"x{n}"),
                )
        except DomainError as exc:
            assert exc.code in ("overpayment", "case_not_approved")

    with transaction(engine) as session:
        case = session.get(Case, case_id)
        standard = session.get(Standard, case.standard_id)
        expected = per_household + (per_room or 0) * rooms
        assert service.case_amount(standard, "rebuild", 3, rooms)[0] == expected
        paid = service.paid_by_case(session, [case_id]).get(case_id, 0)
        approved = case.amount_fen if case.status == "approved" else 0
        assert 0 <= paid <= approved <= expected
        assert case.amount_fen == expected
        if not override:
            total = sum(
                c.amount_fen
                for c in session.exec(
                    select(Case).where(Case.programme_code == code, Case.status == "approved")
                ).all()
            )
            assert total <= budget
