"""Words around the printed documents (issue 13): the print view's buttons and the export
links of the subsidy pages. The documents themselves are Chinese forms (调拨单, 公示名单)."""

ZH: dict[str, str] = {
    "doc.print": "打印",
    "doc.back": "返回调拨单",
    "doc.xlsx": "Excel 表格（.xlsx）",
    "doc.csv": "CSV（供其他系统导入）",
    "doc.xlsx_hint": "公示名单按村（社区）分页，附公示期和监督电话，可直接打印张贴；支付清单中的账号和身份证号保持文本格式。",
}

EN: dict[str, str] = {
    "doc.print": "Print",
    "doc.back": "Back to the order",
    "doc.xlsx": "Excel workbook (.xlsx)",
    "doc.csv": "CSV (for other systems)",
    "doc.xlsx_hint": "The public notice has one sheet per village with its notice period and supervision phone, ready to print and post; account and ID numbers in the payment list stay text.",
}
