"""Plain data of an allocation: what the solvers take and what they give back.

No logic beyond shaping: ``PlanResult.to_dict()`` is the Plan object of API.md, the same
from the CLI (``id``/``response_id`` null) and from the service (which fills them in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from relief.emergency.records import DemandLine, Policy
from relief.network.records import Item, Region, Road, StockLevel, Warehouse

if TYPE_CHECKING:
    from relief.network.graph import EligibleRoutes


@dataclass(slots=True)
class AllocationInput:
    """Everything a solver needs, as plain records.

    ``routes`` may be given (eligibility already computed, e.g. shared by the optimal and
    greedy runs); otherwise the solver builds the graph from ``roads`` with
    ``closed_road_ids`` and ``closed_pairs`` left out. ``covered`` is what the response's
    non-cancelled dispatch orders already carry, per (region_code, item_code).
    """

    regions: list[Region]
    warehouses: list[Warehouse]
    items: list[Item]
    stock: list[StockLevel]
    demand: list[DemandLine]
    policy: Policy
    level: int
    routes: EligibleRoutes | None = None
    roads: list[Road] = field(default_factory=list)
    closed_road_ids: list[int | str] = field(default_factory=list)
    closed_pairs: list[tuple[str, str]] = field(default_factory=list)
    covered: dict[tuple[str, str], int] = field(default_factory=dict)
    # Results a later plan of the same network may reuse (``relief.allocation.replan``):
    # the eligibility with every road reopened, which no closure changes. None: no reuse.
    warm: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PlanLine:
    warehouse_code: str
    region_code: str
    item_code: str
    quantity: int
    distance_km: Decimal
    eta_h: Decimal
    path: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "warehouse_code": self.warehouse_code,
            "region_code": self.region_code,
            "item_code": self.item_code,
            "quantity": self.quantity,
            "distance_km": float(self.distance_km),
            "eta_h": float(self.eta_h),
            "path": list(self.path),
        }


@dataclass(frozen=True, slots=True)
class Unmet:
    region_code: str
    item_code: str
    demand: int
    allocated: int
    shortfall: int
    reason: str  # no_route | deadline | jurisdiction | stock_exhausted
    # Eligible warehouses keeping the item, with what they still have available once this
    # plan is reserved, in the order a dispatcher would try them (travel time, tier, code).
    eligible: list[tuple[str, int]]
    # Remedies (problem.py `_remedies`): the least severe more-severe level whose deadline
    # and jurisdiction would let stock in; the closed roads (from, to, road id or None)
    # whose reopening would, at this level; the units, after this plan, in the warehouses
    # either remedy would add.
    unlocked_at_level: int | None = None
    unlocked_by_reopening: list[tuple[str, str, int | str | None]] = field(default_factory=list)
    available_outside: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "region_code": self.region_code,
            "item_code": self.item_code,
            "demand": self.demand,
            "allocated": self.allocated,
            "shortfall": self.shortfall,
            "reason": self.reason,
            "eligible": [{"warehouse_code": w, "available": a} for w, a in self.eligible],
            "unlocked_at_level": self.unlocked_at_level,
            "unlocked_by_reopening": [
                {"from_code": a, "to_code": b, "road_id": r}
                for a, b, r in self.unlocked_by_reopening
            ],
            "available_outside": self.available_outside,
        }


@dataclass(frozen=True, slots=True)
class ItemFill:
    item_code: str
    demand: int
    allocated: int
    fill_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_code": self.item_code,
            "demand": self.demand,
            "allocated": self.allocated,
            "fill_rate": self.fill_rate,
        }


@dataclass(slots=True)
class PlanResult:
    method: str  # optimal | greedy
    status: str  # optimal | feasible
    level: int
    stats: dict[str, Any]
    by_item: list[ItemFill]
    lines: list[PlanLine]
    unmet: list[Unmet]
    solve_seconds: float
    # Wall seconds per stage (not part of the API's Plan; the bench and logs read it).
    timings: dict[str, float] = field(default_factory=dict)
    # Model size (arcs, nodes, eligible pairs); not part of the API's Plan either.
    model_size: dict[str, Any] = field(default_factory=dict)
    event: str | None = None
    event_code: str | None = None
    fingerprint: str | None = None
    what_if: bool = False
    id: int | None = None
    response_id: int | None = None
    state: str = "draft"
    stale: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Plan object of API.md, key for key."""
        return {
            "id": self.id,
            "response_id": self.response_id,
            "event": self.event,
            "event_code": self.event_code,
            "level": self.level,
            "method": self.method,
            "status": self.status,
            "state": self.state,
            "stale": self.stale,
            "what_if": self.what_if,
            "fingerprint": self.fingerprint,
            "solve_seconds": round(self.solve_seconds, 3),
            "stats": dict(self.stats),
            "by_item": [b.to_dict() for b in self.by_item],
            "lines": [line.to_dict() for line in self.lines],
            "unmet": [u.to_dict() for u in self.unmet],
        }
