"""Every word a user reads, from one gettext catalogue.

The catalogue is `relief/locale/<locale>/LC_MESSAGES/messages.po` (zh_CN and en), the file a
translator opens in Poedit or Weblate; `relief/locale/messages.pot` is its template. Message
ids are stable keys (`nav.home`, `status.approved`, `error.scope_forbidden`, …) or, for the
domain errors, the English sentence with `{name}` placeholders, and their parameters are
filled with `str.format`. The `.po` files are compiled in memory with Babel the first time a
language is used, so a plain `pip install -e .` is enough and no compiled `.mo` can go stale.

    translate("home.expiring", "zh", days=30)   # -> "临期批次（30 天内）"

`python -m relief.i18n` (or `make messages`) extracts the ids the code and templates use into
`messages.pot` and adds any new one to both catalogues, empty, for a translator to fill;
`tests/test_messages.py` fails while any id has no translation.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT_LANG: Lang = "zh"
# The gettext locale of each language, and the value of <html lang>.
LOCALES: dict[Lang, str] = {"zh": "zh_CN", "en": "en"}
HTML_LANG: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def po_path(lang: Lang) -> Path:
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue(lang: Lang) -> gettext.GNUTranslations:
    """The language's catalogue, compiled from its .po file in memory."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as handle:
        parsed = read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def messages(lang: Lang) -> Mapping[str, str]:
    """Every id → text of a language (ids without a translation are left out)."""
    return {
        str(key): str(text)
        for key, text in catalogue(lang)._catalog.items()  # type: ignore[attr-defined]
        if isinstance(key, str) and key and text
    }


def translate(msgid: str, lang: Lang = DEFAULT_LANG, /, **params: object) -> str:
    """The text of `msgid` in `lang` with its `{name}` parameters filled.

    An id the catalogue lacks comes back as itself (a bug the catalogue test catches),
    rather than failing the page or reply it appears in.
    """
    text = catalogue(lang).gettext(msgid)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def unit(word: str | None, lang: Lang = DEFAULT_LANG) -> str:
    """An item's unit in `lang`. Items carry their unit as written in the scenario (顶, 件,
    kg); the catalogue has an entry `unit.<word>` per unit word (`unit.顶` → "pcs" in English,
    "顶" in Chinese). A word the catalogue lacks is shown as written."""
    if not word:
        return ""
    key = f"unit.{word}"
    return translate(key, lang) if has(key, lang) else word


def listed(words: Iterable[object], lang: Lang = DEFAULT_LANG) -> str:
    """Words said as a list: `保合少镇、榆林镇` in Chinese, `Baohe, Yulin` in English."""
    return ("、" if lang == "zh" else ", ").join(str(w) for w in words)


def colon(lang: Lang = DEFAULT_LANG) -> str:
    """A label's colon: full-width in Chinese, `: ` in English."""
    return "：" if lang == "zh" else ": "


def in_brackets(text: object, lang: Lang = DEFAULT_LANG) -> str:
    """`（kg）` after a Chinese word, ` (kg)` after an English one."""
    return f"（{text}）" if lang == "zh" else f" ({text})"


# Fixed texts the services store in a free-text column (a ledger row's reason), with the
# catalogue id that says each to people: shown through `stored_text`, never as stored.
STORED_TEXTS = {"scenario load": "ledger.scenario_load"}


def stored_text(text: str | None, lang: Lang = DEFAULT_LANG) -> str:
    """A stored free text in `lang`: one of the services' fixed texts (STORED_TEXTS) from the
    catalogue, anything a person typed as it was typed."""
    if not text:
        return ""
    msgid = STORED_TEXTS.get(text)
    return translate(msgid, lang) if msgid else text


def has(msgid: str, lang: Lang = DEFAULT_LANG) -> bool:
    return msgid in messages(lang)


def lang_of(value: str | None) -> Lang:
    """The language a cookie value names; anything unknown is the default (Chinese)."""
    return "en" if value == "en" else DEFAULT_LANG


def lang_from_accept(header: str | None, default: Lang = DEFAULT_LANG) -> Lang:
    """The language an `Accept-Language` header prefers among ours; `default` (Chinese: the
    users work in Chinese) when it names neither."""
    best: tuple[float, Lang] | None = None
    for part in (header or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, rest = piece.partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang: Lang | None = "zh" if primary == "zh" else "en" if primary == "en" else None
        if lang is not None and quality > 0 and (best is None or quality > best[0]):
            best = (quality, lang)
    return best[1] if best else default


def api_lang(header: str | None) -> Lang:
    """The language of the API's error messages: Chinese when `Accept-Language` prefers zh
    over en (API.md), else English — also without the header, as API clients always had."""
    return lang_from_accept(header, default="en")


# --- the catalogue's upkeep (`make messages`) ---------------------------------------------

# The functions whose first string argument is a message id.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "t": None,
    "translate": None,
    "N_": None,
    "gettext": None,
}
# In Python code also the domain errors' English templates (relief/errors.py): the message is
# argument 2 of these (DomainError and the helpers that pass their message on to one).
# tests/test_error_messages.py fails when one of them is called with anything but a literal.
ERROR_KEYWORDS: dict[str, tuple[int, ...]] = {
    "DomainError": (2,),
    "invalid": (2,),
    "bad": (2,),
    "_insufficient": (2,),
    "_plan_error": (2,),
    "RegionProblem": (2,),
    "IdNumberError": (2,),
}
BABEL_METHODS = [
    ("relief/**/templates/**.html", "jinja2"),
    ("relief/**.py", "python"),
]


# Fixed header fields, so that regenerating a catalogue changes only its messages.
CATALOG_HEADER = {
    "project": "relief",
    "version": "0.1",
    "copyright_holder": "the relief authors",
    "msgid_bugs_address": "",
    "language_team": "relief",
    "last_translator": "relief",
    "creation_date": datetime(2026, 12, 6, tzinfo=UTC),
    "revision_date": datetime(2026, 12, 6, tzinfo=UTC),
    "fuzzy": False,
    "header_comment": "# The words of relief's web UI, API messages and documents.\n"
    "# Edit in Poedit or Weblate; `make messages` adds new ids.",
}


def extract(root: Path | None = None):
    """The ids used literally in the code and templates, as a Babel catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).parent.parent
    template = Catalog(**CATALOG_HEADER, domain=DOMAIN)
    for pattern, kind in BABEL_METHODS:
        keywords = {**KEYWORDS, **ERROR_KEYWORDS} if kind == "python" else KEYWORDS
        for filename, lineno, message, comments, _context in extract_from_dir(
            str(root / "relief"),
            method_map=[(pattern.removeprefix("relief/"), kind)],
            keywords=keywords,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
            comment_tags=("TRANSLATORS:",),
        ):
            if isinstance(message, str) and message and not message.startswith("__"):
                template.add(
                    message, locations=[(f"relief/{filename}", lineno)], auto_comments=comments
                )
    return template


def write_catalogue(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(
            handle, catalog, width=100, sort_output=True, omit_header=False, include_lineno=False
        )


def update() -> list[str]:
    """Write messages.pot from the code and add new ids to both catalogues (never removing one:
    ids built at run time, such as `status.{name}`, are not found by extraction). Returns the
    ids that still lack a translation."""
    from babel.messages.pofile import read_po

    template = extract()
    write_catalogue(template, LOCALE_DIR / f"{DOMAIN}.pot")
    missing: list[str] = []
    for lang in LANGS:
        with po_path(lang).open("rb") as handle:
            catalog = read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
        for message in template:
            if message.id and message.id not in catalog:
                catalog.add(message.id, "")
        write_catalogue(catalog, po_path(lang))
        missing += [f"{lang}: {m.id}" for m in catalog if m.id and not m.string]
    return missing


if __name__ == "__main__":
    untranslated = update()
    for line in untranslated:
        print(f"untranslated {line}")
    raise SystemExit(1 if untranslated else 0)
