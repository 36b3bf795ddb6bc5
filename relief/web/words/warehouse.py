"""Words of the warehouse pages added after the first pass, kept apart from relief/web/i18n.py so
each area's words can grow without touching the others'. Same keys in both languages."""

ZH: dict[str, str] = {}
EN: dict[str, str] = {}
