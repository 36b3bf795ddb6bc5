"""Sorting a long list of the UI by a column click: the `Sorter` the `sort_th` macro of
sub_office_macros.html draws. A click on a column sorts by it ascending, a second click
descending; the list's filters are kept and the page goes back to the first."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode


def sort_key(text: str | None, keys: Collection[str]) -> str:
    """A `?sort=` value the list knows (`name`, `-name`), else "" (the default order): a
    hand-edited link never fails."""
    cleaned = (text or "").strip()
    return cleaned if cleaned.lstrip("-") in keys else ""


@dataclass(frozen=True, slots=True)
class Sorter:
    path: str
    current: str = ""
    params: Mapping[str, object] = field(default_factory=dict)
    # The query parameter it sets: `sort`, or another for a page with several lists.
    param: str = "sort"

    def href(self, key: str) -> str:
        wanted = f"-{key}" if self.current == key else key
        kept = {k: v for k, v in self.params.items() if v not in (None, "") and k != "page"}
        return f"{self.path}?{urlencode({**kept, self.param: wanted})}"

    def state(self, key: str) -> str:
        """aria-sort of the column: ascending, descending or none."""
        if self.current == key:
            return "ascending"
        if self.current == f"-{key}":
            return "descending"
        return "none"
