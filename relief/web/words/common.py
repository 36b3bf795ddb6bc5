"""Words of the common pages added after the first pass, kept apart from relief/web/i18n.py so
each area's words can grow without touching the others'. Same keys in both languages."""

ZH: dict[str, str] = {
    # the map's side panel: a region's needs in each active response
    "map.needs": "{level}级响应 {event}：需求与到货",
    "map.need_demand": "需求",
    "map.need_planned": "已安排调拨",
    "map.need_received": "实收",
    "map.need_overdue": "已超时",
    # the pager of every long list (relief/web/paging.py, the `pager` macro)
    "pager.label": "翻页",
    "pager.previous": "上一页",
    "pager.next": "下一页",
    "pager.status": "第 {page} / {pages} 页，共 {total} 条",
    "pager.past_end": "第 {page} 页没有记录（共 {pages} 页）。",
    "pager.first": "回到第 1 页",
}
EN: dict[str, str] = {
    "map.needs": "Level {level} response, {event}: needs and deliveries",
    "map.need_demand": "Demand",
    "map.need_planned": "Planned",
    "map.need_received": "Received",
    "map.need_overdue": "overdue",
    "pager.label": "Pages",
    "pager.previous": "Previous",
    "pager.next": "Next",
    "pager.status": "Page {page} of {pages}, {total} in all",
    "pager.past_end": "Page {page} has nothing (there are {pages}).",
    "pager.first": "Back to page 1",
}
