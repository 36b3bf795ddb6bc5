"""The web UI's words, from the gettext catalogue in relief/locale (see relief/i18n.py).

Templates call `_("key", name=value)` (the Jinja2 i18n extension, installed in
relief/web/shell.py); Python code uses `Translator(lang)("key", name=value)` or
`relief.i18n.translate`. Domain words follow the glossary in DESIGN.md
(省级中心库 = tier `provincial`, …).
"""

from __future__ import annotations

from collections.abc import Mapping

from relief.i18n import DEFAULT_LANG, HTML_LANG, LANGS, Lang, lang_of, messages, translate

__all__ = [
    "DEFAULT_LANG",
    "EN",
    "HTML_LANG",
    "LANGS",
    "MESSAGES",
    "ZH",
    "Lang",
    "Translator",
    "lang_of",
]

ZH: Mapping[str, str] = messages("zh")
EN: Mapping[str, str] = messages("en")
MESSAGES: dict[Lang, Mapping[str, str]] = {"zh": ZH, "en": EN}


class Translator:
    """`t("home.expiring", days=30)` in one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        return translate(key, self.lang, **values)
