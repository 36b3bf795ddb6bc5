"""Every error message comes from the catalogue (issue 13).

An AST walk over relief/ checks that each DomainError (and each helper that passes its
message on to one) is given a literal English template, so that `make messages` extracts it
and tests/test_messages.py fails while it lacks a translation; that the template's
placeholders are the parameters given; that every error code has words of its own in
Chinese; and that the Chinese sentences hold no English word.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from relief.errors import ENTITIES, STATUS_BY_CODE, DomainError, Named, Term, Terms
from relief.i18n import ERROR_KEYWORDS, has, translate

ROOT = Path(__file__).resolve().parent.parent
RELIEF = ROOT / "relief"

# Calls that pass on a message that is not a literal here but is one where it was written
# (and extracted from there): (file, enclosing function) → why.
FORWARDED = {
    ("relief/subsidies/service.py", "create_household"): "RegionProblem / IdNumberError messages",
    ("relief/subsidies/service.py", "update_household"): "RegionProblem / IdNumberError messages",
    ("relief/subsidies/service.py", "_standard_row"): "parse_fen's ValueError messages (N_)",
    ("relief/emergency/casualties.py", "_id_columns"): "IdNumberError messages",
    ("relief/emergency/service.py", "check_figures"): "figure_problems' templates, one per check "
    "(tests/emergency: test_the_check_message_is_in_the_catalogue_in_chinese)",
}


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _base(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)


def _calls():
    """(file, enclosing function, call, its message argument) for every message keyword."""
    for path in sorted(RELIEF.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, False)]
        while stack:
            node, function, in_error_class = stack.pop()
            if isinstance(node, ast.ClassDef):
                in_error_class = any(_base(b) == "DomainError" for b in node.bases)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                function = node.name
            # A subclass's `super().__init__(code, message, …)` is a DomainError too.
            is_super = (
                in_error_class
                and isinstance(node, ast.Call)
                and _name(node) == "__init__"
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Call)
                and _name(node.func.value) == "super"
            )
            if isinstance(node, ast.Call) and (_name(node) in ERROR_KEYWORDS or is_super):
                index = ERROR_KEYWORDS.get(_name(node) or "", (2,))[0] - 1
                message = node.args[index] if len(node.args) > index else None
                if message is None:
                    message = next((k.value for k in node.keywords if k.arg == "message"), None)
                yield rel, function, node, _literal(message) or message
            stack.extend((child, function, in_error_class) for child in ast.iter_child_nodes(node))


def _is_literal(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal(node: ast.AST | None) -> ast.Constant | None:
    """The template: a string literal, or one marked `N_("…")` for extraction (where the
    call is not one extraction knows, such as a subclass's `super().__init__`)."""
    if _is_literal(node):
        return node  # type: ignore[return-value]
    if isinstance(node, ast.Call) and _name(node) == "N_" and node.args:
        return node.args[0] if _is_literal(node.args[0]) else None  # type: ignore[return-value]
    return None


def test_every_error_message_is_a_literal_template():
    """An f-string, a variable or a concatenation cannot be extracted into the catalogue,
    so it could never be said in Chinese."""
    bad = []
    for rel, function, call, message in _calls():
        if _is_literal(message):
            continue
        # A helper that passes its own `message` parameter on (its callers are checked).
        if function in ERROR_KEYWORDS and isinstance(message, ast.Name):
            continue
        if (rel, function) in FORWARDED:
            continue
        bad.append(f"{rel}:{call.lineno} {_name(call)}(…{ast.unparse(message or call)}…)")
    assert bad == []


def test_a_templates_placeholders_are_its_params():
    mismatched = []
    for rel, _function, call, message in _calls():
        if not _is_literal(message):
            continue
        wanted = set(re.findall(r"(?<!\{)\{(\w+)", message.value))
        params = next((k.value for k in call.keywords if k.arg == "params"), None)
        if _name(call) == "RegionProblem" and len(call.args) > 3:
            params = call.args[3]
        if params is None:
            given: set[str] = set()
        elif isinstance(params, ast.Dict) and all(_is_literal(k) for k in params.keys):
            given = {k.value for k in params.keys}  # type: ignore[union-attr]
        else:
            continue  # built elsewhere (a helper's own params)
        if not wanted <= given or (_name(call) != "RegionProblem" and wanted != given):
            mismatched.append(f"{rel}:{call.lineno} {message.value!r}: {sorted(given)}")
    assert mismatched == []


def _templates() -> set[str]:
    return {m.value for _r, _f, _c, m in _calls() if _is_literal(m)}


# Words a Chinese sentence may hold in Latin letters: file formats, units, HTTP verbs and
# the API's paths, which are names rather than English.
LATIN_ALLOWED = {"JSON", "MB", "CSV", "csv", "xlsx", "POST", "PUT", "X"}


def english_words(text: str) -> list[str]:
    """Latin words in a text that are not codes: `water`, `region`, `unknown` (codes such
    as `WH-150100-B`, `150102` or `R-3` carry digits and are names, not words)."""
    text = re.sub(r"/api/\S+", "", text)
    tokens = re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text)
    return [
        t
        for t in tokens
        if not re.search(r"\d", t) and t not in LATIN_ALLOWED and len(t.strip("_.-")) > 1
    ]


def test_every_template_is_said_in_both_languages_and_chinese_has_no_english_word():
    templates = _templates()
    assert len(templates) > 150  # the walk found the raise sites
    missing = sorted(t for t in templates if not (has(t, "zh") and has(t, "en")))
    assert missing == []
    english = {}
    for template in templates:
        words = english_words(re.sub(r"\{[^}]*\}", "", translate(template, "zh")))
        if words:
            english[template] = words
    assert english == {}


def _raised_codes() -> set[str]:
    codes: set[str] = set()
    for path in RELIEF.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _name(node) in ("DomainError", "_plan_error", "RegionProblem", "__init__")
                and node.args
                and _is_literal(node.args[0])
            ):
                codes.add(node.args[0].value)
    return codes


def test_every_error_code_has_chinese_words():
    codes = set(STATUS_BY_CODE) | _raised_codes()
    assert {"stock_insufficient", "plan_stale", "lot_expiry_mismatch"} <= codes
    missing = sorted(c for c in codes if not has(f"error.{c}", "zh"))
    assert missing == []
    for code in codes:
        assert english_words(translate(f"error.{code}", "zh")) == [], code


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_every_entity_word_is_in_both_languages(name):
    assert has(ENTITIES[name], "zh") and has(ENTITIES[name], "en")
    assert english_words(translate(ENTITIES[name], "zh")) == []


def test_a_message_says_its_words_in_the_language_asked():
    from relief.errors import not_found, unknown_code

    err = unknown_code("region_code", "大青山乡", "region")
    assert err.code == "unknown_code" and err.field == "region_code"
    assert err.text("en") == err.message == "unknown region: 大青山乡"
    assert err.text("zh") == "地区不存在：大青山乡"
    assert not_found("warehouse", "WH-9").text("zh") == "仓库 WH-9 不存在"
    roles = DomainError(
        "role_forbidden",
        "role {role} may not do this (needs {roles})",
        params={"role": Term("role.county_staff"), "roles": Terms(["role.approver", "role.admin"])},
    )
    assert roles.text("en") == "role County staff may not do this (needs Approver, Administrator)"
    assert roles.text("zh") == "县级工作人员无权执行此操作（须为审批人、管理员）" or (
        english_words(roles.text("zh")) == []
    )
    tent = DomainError(
        "stock_insufficient",
        "unknown item {item_code}",
        params={"item_code": Named("tent", "帐篷")},
    )
    assert (tent.text("en"), tent.text("zh")) == ("unknown item tent", "物资 帐篷 不存在")


def test_a_message_the_catalogue_lacks_is_the_codes_words_in_chinese_never_english():
    err = DomainError("stock_insufficient", "a sentence nobody translated {n}", params={"n": 3})
    assert err.text("en") == "a sentence nobody translated 3"
    assert err.text("zh") == translate("error.stock_insufficient", "zh") == "库存不足"


def test_every_word_a_message_names_at_run_time_is_in_both_catalogues():
    """The `Term(f"…{value}")` families the raise sites build: each value of each family."""
    from relief.auth.models import ROLES
    from relief.dispatch.models import ORDER_STATUSES
    from relief.network.records import REGION_LEVELS, TIER_REGION_LEVEL
    from relief.subsidies.models import ACTIONS, CASE_STATUSES, CATEGORY_WORDS, DAMAGE_WORDS

    ids = [
        *(f"role.{r}" for r in ROLES),
        *(f"order.{s}" for s in ORDER_STATUSES),
        *(f"order.done.{a}" for a in ("dispatched", "received", "cancelled")),
        *(f"level.{level}" for level in REGION_LEVELS),
        *(f"tier.{tier}" for tier in TIER_REGION_LEVEL),
        *(f"case.{s}" for s in CASE_STATUSES),
        *(f"action.{a}" for a in (*ACTIONS, "trigger", "escalate", "downgrade", "end")),
        *(f"damage.{d}" for d in DAMAGE_WORDS.values()),
        *(f"category.{c}" for c in CATEGORY_WORDS.values()),
        *(f"plan.doing.{d}" for d in ("made", "approved")),
        *(f"programme_kind.{k}" for k in ("rebuild", "grain")),
        *(f"stock.doing.{d}" for d in ("remove", "dispose", "count", "load")),
        "stock.no_expiry",
        "stock.default_lot",
    ]
    missing = [i for i in ids if not (has(i, "zh") and has(i, "en"))]
    assert missing == []
    assert [i for i in ids if english_words(translate(i, "zh"))] == []


def test_every_thing_not_found_or_unknown_names_an_entity_with_words():
    named = []
    for path in RELIEF.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if _name(node) == "not_found" and node.args:
                named.append(node.args[0])
            elif _name(node) == "unknown_code" and len(node.args) > 2:
                named.append(node.args[2])
            elif _name(node) == "_locked" and len(node.args) > 3:  # network's not_found
                named.append(node.args[3])
    names = {n.value for n in named if _is_literal(n)}
    assert {"region", "warehouse", "item", "household"} <= names
    assert sorted(names - set(ENTITIES)) == []
