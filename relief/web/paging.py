"""Paging of the UI's long lists (households, cases, payments, ledger, lots, orders): 50 rows
a page read from the database with LIMIT/OFFSET, and the `Pager` the `pager` macro of
_macros.html draws (its words are `pager.*` in the catalogue, relief/locale)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

# Rows per page of every long list of the UI (ledger, orders, households, cases).
PAGE_SIZE = 50
# A page number beyond any list (and small enough for every database's OFFSET).
MAX_PAGE = 1_000_000


def page_number(text: str | None) -> int:
    """The page a `?page=` value asks for: a whole number from 1; anything else (`abc`,
    `0`, `-2`, blank) is the first page, so a hand-edited link never fails."""
    cleaned = (text or "").strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        return 1
    if len(cleaned) > len(str(MAX_PAGE)):  # past any list; int() of it may even refuse
        return MAX_PAGE
    return min(max(int(cleaned), 1), MAX_PAGE)


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a long list, for the `pager` macro of _macros.html: the page asked
    for, how many rows there are in all, and links to other pages that keep the list's
    filters (`params`) and the other lists' pages of the same page."""

    page: int
    total: int
    path: str
    params: Mapping[str, object] = field(default_factory=dict)
    param: str = "page"
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def past_end(self) -> bool:
        return self.page > self.pages

    @property
    def previous(self) -> int:
        return min(self.page - 1, self.pages)

    def href(self, page: int) -> str:
        kept = {k: v for k, v in self.params.items() if v not in (None, "") and k != self.param}
        return f"{self.path}?{urlencode({**kept, self.param: page})}"


def page_offset(page: int) -> int:
    """The first row of `page` (1-based) of a list paged by PAGE_SIZE."""
    return (page - 1) * PAGE_SIZE
