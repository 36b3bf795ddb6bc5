"""Words around the printed documents (issue 13): the print view's buttons and the export
links of the subsidy pages. The documents themselves are Chinese forms (调拨单, 公示名单)."""

ZH: dict[str, str] = {
    "doc.print": "打印",
    "doc.back": "返回调拨单",
    "doc.xlsx": "Excel 表格（.xlsx）",
    "doc.csv": "CSV（供其他系统导入）",
}

EN: dict[str, str] = {
    "doc.print": "Print",
    "doc.back": "Back to the order",
    "doc.xlsx": "Excel workbook (.xlsx)",
    "doc.csv": "CSV (for other systems)",
}
