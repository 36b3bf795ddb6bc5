"""Words of the warehouse pages added after the first pass, kept apart from relief/web/i18n.py so
each area's words can grow without touching the others'. Same keys in both languages.

`pager.*`: the pager of every long list (the `pager` macro of _macros.html)."""

ZH: dict[str, str] = {
    "pager.label": "翻页",
    "pager.previous": "上一页",
    "pager.next": "下一页",
    "pager.status": "第 {page} / {pages} 页，共 {total} 条",
    "pager.past_end": "第 {page} 页没有记录（共 {pages} 页）。",
    "pager.first": "回到第 1 页",
    "wh.lots.title": "批次与效期（先到期先出）",
}
EN: dict[str, str] = {
    "pager.label": "Pages",
    "pager.previous": "Previous",
    "pager.next": "Next",
    "pager.status": "Page {page} of {pages}, {total} in all",
    "pager.past_end": "Page {page} has nothing (there are {pages}).",
    "pager.first": "Back to page 1",
    "wh.lots.title": "Lots and expiry (first expiring, first out)",
}
