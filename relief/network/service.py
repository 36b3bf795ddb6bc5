"""Network service: regions, warehouses, roads and items (the only code that changes them)."""

from __future__ import annotations

from sqlmodel import Session

from relief.network.models import ItemRow, RegionRow, WarehouseRow


def get_region(session: Session, code: str) -> RegionRow | None:
    return session.get(RegionRow, code)


def get_warehouse(session: Session, code: str) -> WarehouseRow | None:
    return session.get(WarehouseRow, code)


def get_item(session: Session, code: str) -> ItemRow | None:
    return session.get(ItemRow, code)


def region_lineage(session: Session, code: str) -> list[str]:
    """The region and its ancestors up to the root (empty for an unknown code)."""
    lineage: list[str] = []
    seen: set[str] = set()
    current = session.get(RegionRow, code)
    while current is not None and current.code not in seen:
        lineage.append(current.code)
        seen.add(current.code)
        current = session.get(RegionRow, current.parent_code) if current.parent_code else None
    return lineage
