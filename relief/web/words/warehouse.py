"""Words of the warehouse pages added after the first pass, kept apart from relief/web/i18n.py so
each area's words can grow without touching the others'. Same keys in both languages."""

ZH: dict[str, str] = {
    "order.receive.confirm": "确认签收？实收数量将入账，签收后不能撤销。",
    "wh.lots.title": "批次与效期（先到期先出）",
    "order.pdf": "下载 PDF",
}
EN: dict[str, str] = {
    "order.receive.confirm": "Confirm the receipt? The received quantities are booked and cannot be undone.",
    "wh.lots.title": "Lots and expiry (first expiring, first out)",
    "order.pdf": "Download PDF",
}
