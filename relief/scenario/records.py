"""A scenario folder read into plain records (see SCENARIOS.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from relief.emergency.records import EventSpec, Policy
from relief.network.records import Item, Region, Road, StockLevel, Warehouse


@dataclass(slots=True)
class Scenario:
    name: str  # the folder's name
    path: Path
    # Scopes the events' codes and keys the policy: scenario.yaml's `code`, else `name`.
    code: str = ""
    regions: list[Region] = field(default_factory=list)
    warehouses: list[Warehouse] = field(default_factory=list)
    roads: list[Road] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    stock: list[StockLevel] = field(default_factory=list)
    policy: Policy | None = None
    events: dict[str, EventSpec] = field(default_factory=dict)  # keyed by file stem

    def __post_init__(self) -> None:
        if not self.code:
            self.code = self.name


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One validation problem, printed as `FILE:LINE: field: message` (LINE 0: whole file)."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"
