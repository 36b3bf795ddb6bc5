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
