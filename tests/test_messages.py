"""The gettext catalogue (relief/locale): every id the code or a template uses has a text in
both languages, and both catalogues hold the same ids."""

from __future__ import annotations

from babel.messages.pofile import read_po

from relief import i18n


def _catalog(lang):
    with i18n.po_path(lang).open("rb") as handle:
        return read_po(handle, locale=i18n.LOCALES[lang])


def test_every_extracted_id_has_a_text_in_both_languages():
    used = {m.id for m in i18n.extract() if m.id}
    assert len(used) > 300, "extraction found too few ids: the keywords are out of date"
    for lang in i18n.LANGS:
        texts = {m.id: m.string for m in _catalog(lang) if m.id}
        missing = sorted(i for i in used if not texts.get(i))
        assert missing == [], f"{lang}: no translation for {missing[:20]}"


def test_both_catalogues_hold_the_same_ids_and_none_is_empty_or_fuzzy():
    zh, en = _catalog("zh"), _catalog("en")
    assert {m.id for m in zh if m.id} == {m.id for m in en if m.id}
    for catalog in (zh, en):
        assert [m.id for m in catalog if m.id and not m.string] == []
        assert [m.id for m in catalog if m.id and m.fuzzy] == []


def test_placeholders_agree_between_the_languages():
    import string

    def names(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    en = {m.id: m.string for m in _catalog("en") if m.id}
    wrong = [m.id for m in _catalog("zh") if m.id and names(m.string) != names(en.get(m.id, ""))]
    assert wrong == []


def test_translate_fills_parameters_and_falls_back_to_the_id():
    assert i18n.translate("home.expiring", "zh", days=30) == "临期批次（30 天内）"
    assert "30" in i18n.translate("home.expiring", "en", days=30)
    assert i18n.translate("no.such.id", "zh") == "no.such.id"


def test_accept_language_picks_our_language():
    assert i18n.lang_from_accept("en-GB,en;q=0.9") == "en"
    assert i18n.lang_from_accept("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.lang_from_accept("fr-FR, en;q=0.5") == "en"
    assert i18n.lang_from_accept(None) == "zh"
    assert i18n.lang_from_accept("de") == "zh"


def test_no_template_writes_a_chinese_word_outside_the_catalogue():
    """Words belong in the catalogue: outside comments, no template (the web UI's and the
    调拨单's) holds a Chinese character in its text or in a string literal of a tag.
    Full-width punctuation between placeholders (（）：、；) is typography, not a word."""
    import re
    from pathlib import Path

    han = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
    root = Path(i18n.__file__).parent
    templates = sorted(root.glob("**/templates/*.html"))
    assert len(templates) > 30
    words = []
    for path in templates:
        text = re.sub(r"\{#.*?#\}|<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
        tags = re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, flags=re.S)
        outside = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
        literals = [lit for tag in tags for lit in re.findall(r"\"[^\"]*\"|'[^']*'", tag)]
        words += [f"{path.name}: {w}" for w in han.findall(outside) + literals if han.search(w)]
    assert words == []


def test_the_base_layout_and_error_page_have_no_english_outside_the_catalogue():
    """The pages every user sees around everything else: their text between tags is only
    placeholders and punctuation."""
    import re
    from pathlib import Path

    root = Path(i18n.__file__).parent / "web" / "templates"
    for name in ("base.html", "error.html"):
        text = re.sub(
            r"\{#.*?#\}|<!--.*?-->", "", (root / name).read_text(encoding="utf-8"), flags=re.S
        )
        text = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S)
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", " ", text, flags=re.S)
        # The app's name in the title (`· relief`) is its name in every language.
        assert [w for w in re.findall(r"[A-Za-z]{2,}", text) if w != "relief"] == [], name


def test_every_unit_word_of_the_scenarios_has_an_english_word():
    """Items carry their unit as the scenario writes it (顶, 件); English mode says each
    through `unit.<word>` (relief.i18n.unit), so that no 顶 shows in English."""
    import csv
    from pathlib import Path

    scenarios = Path(i18n.__file__).parent.parent / "scenarios"
    units = set()
    for path in scenarios.glob("*/items.csv"):
        with path.open(encoding="utf-8") as handle:
            units |= {row["unit"] for row in csv.DictReader(handle)}
    assert "顶" in units
    for word in units:
        english = i18n.unit(word, "en")
        assert english and not any("\u3400" <= c <= "\u9fff" for c in english), word
        assert i18n.unit(word, "zh") == word
    assert i18n.unit("顶", "en") == "pcs" and i18n.unit("套", "en") == "sets"
    assert i18n.unit("kg", "en") == "kg" and i18n.unit("", "en") == ""
