"""The figures of a disaster report as the quick report (自然灾害损失情况统计快报表) of
《自然灾害情况统计调查制度》 (应急〔2020〕19号) counts them: names, groups, kinds, and the
form's logical checks (issue 14).

Pure code over plain values, so that the API, the web form, the scenario reader and the
exports share one definition.

- Today's ten count fields (`COUNT_FIELDS`) keep their names and meaning and stay required
  where they were; every other figure is optional: absent (None) means "not reported",
  which is not the same as 0.
- People, rooms, households and 安置点 are non-negative integers. Areas (公顷) and losses
  (万元) are non-negative decimals with at most 2 places (`DECIMAL_FIELDS`), kept exact
  (Decimal) and given to JSON as numbers.
- Checks (`figure_problems`): a 其中 never exceeds its total; 绝收 ⊂ 成灾 ⊂ 受灾 for crop areas
  (also for their grain parts); the six loss parts sum to `loss_total` when all six and the
  total are given; `relocated` = `relocated_central` + `relocated_dispersed` when both parts
  are given. A check whose figures are not all given is skipped.
- A 续报 (`kind: update`) that raises a figure the region already reported by more than a
  share (policy `update_jump_share`, default 0.5) or lowers it needs an `explanation`
  (`jumps`); a figure reported for the first time needs none.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from relief.emergency.records import COUNT_FIELDS

# Every figure, in the quick report's column order (the export's order too).
FIGURE_GROUPS: dict[str, tuple[str, ...]] = {
    "people": (
        "affected",
        "deaths",
        "missing",
        "injured",
        "injured_severe",
        "evacuated",
        "relocated",
        "relocated_central",
        "relocated_dispersed",
        "shelters",
        "needing_aid",
        "needing_transitional_aid",
        "drought_needing_aid",
        "drought_water_shortage",
    ),
    "houses": (
        "collapsed_rooms",
        "collapsed_dwelling_rooms",
        "collapsed_households",
        "severe_rooms",
        "severe_dwelling_rooms",
        "severe_households",
        "general_rooms",
        "general_dwelling_rooms",
        "general_households",
    ),
    "crops": (
        "crop_affected_ha",
        "crop_affected_grain_ha",
        "crop_damaged_ha",
        "crop_damaged_grain_ha",
        "crop_lost_ha",
        "crop_lost_grain_ha",
    ),
    "losses": (
        "loss_total",
        "loss_housing",
        "loss_agriculture",
        "loss_industry",
        "loss_infrastructure",
        "loss_public_services",
        "loss_other",
    ),
}
FIGURE_FIELDS: tuple[str, ...] = tuple(f for group in FIGURE_GROUPS.values() for f in group)
# The figures added by issue 14: optional everywhere.
NEW_FIELDS: tuple[str, ...] = tuple(f for f in FIGURE_FIELDS if f not in COUNT_FIELDS)
DECIMAL_FIELDS: frozenset[str] = frozenset(
    f for f in FIGURE_FIELDS if f.startswith(("crop_", "loss_"))
)
INTEGER_FIELDS: tuple[str, ...] = tuple(f for f in FIGURE_FIELDS if f not in DECIMAL_FIELDS)
# Shown unfolded in the report form; the rest of each group is folded.
MAIN_FIELDS: frozenset[str] = frozenset((*COUNT_FIELDS, "affected"))
DECIMAL_PLACES = 2
# The largest figure anywhere (API, web form, scenario files, the quick form's import): one
# limit, so that a file the API would take is never refused by the import (issue 14 review).
# Assumed, no source: 10 亿 people, rooms, 公顷 or 万元 — anything above is a typo.
MAX_COUNT = 1_000_000_000
MAX_DECIMAL = Decimal(MAX_COUNT)

# (part, whole): the part (其中) never exceeds the whole.
PART_OF: tuple[tuple[str, str], ...] = (
    ("injured_severe", "injured"),
    ("collapsed_dwelling_rooms", "collapsed_rooms"),
    ("severe_dwelling_rooms", "severe_rooms"),
    ("general_dwelling_rooms", "general_rooms"),
    ("crop_affected_grain_ha", "crop_affected_ha"),
    ("crop_damaged_grain_ha", "crop_damaged_ha"),
    ("crop_lost_grain_ha", "crop_lost_ha"),
    # 成灾 (yield down 30 % or more) is part of 受灾, 绝收 (80 % or more) part of 成灾.
    ("crop_damaged_ha", "crop_affected_ha"),
    ("crop_lost_ha", "crop_damaged_ha"),
    ("crop_damaged_grain_ha", "crop_affected_grain_ha"),
    ("crop_lost_grain_ha", "crop_damaged_grain_ha"),
    ("relocated_central", "relocated"),
    ("relocated_dispersed", "relocated"),
    # A part of the loss never exceeds the total, even before all six are given.
    *((name, "loss_total") for name in FIGURE_GROUPS["losses"][1:]),
)
LOSS_PARTS: tuple[str, ...] = FIGURE_GROUPS["losses"][1:]
RELOCATED_PARTS: tuple[str, ...] = ("relocated_central", "relocated_dispersed")
DEFAULT_JUMP_SHARE = Decimal("0.5")

Figure = int | Decimal
# A problem: (field, English template = catalogue msgid, params).
Problem = tuple[str, str, dict[str, object]]


def part_message(part: str, whole: str) -> str:
    """The catalogue id (English) of "this 其中 exceeds its total"."""
    return f"{part} ({{value}}) may not exceed {whole} ({{total}})"


def figure_problems(values: Mapping[str, Figure | None]) -> list[Problem]:
    """The form's logical checks over one report's figures (None or absent = not given)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for part, whole in PART_OF:
        p, w = values.get(part), values.get(whole)
        if p is None or w is None or part in seen:
            continue
        if p > w:
            seen.add(part)
            problems.append((part, part_message(part, whole), {"value": p, "total": w}))
    total = values.get("loss_total")
    parts = [values.get(name) for name in LOSS_PARTS]
    if total is not None and all(v is not None for v in parts):
        summed = sum(parts, Decimal(0))
        if summed != total:
            problems.append(
                (
                    "loss_total",
                    "loss_total ({total}) must equal the sum of its six parts ({sum})",
                    {"total": total, "sum": summed},
                )
            )
    relocated = values.get("relocated")
    central, dispersed = (values.get(name) for name in RELOCATED_PARTS)
    if (
        relocated is not None
        and central is not None
        and dispersed is not None
        and central + dispersed != relocated
    ):
        problems.append(
            (
                "relocated",
                "relocated ({total}) must equal relocated_central + relocated_dispersed ({sum})",
                {"total": relocated, "sum": central + dispersed},
            )
        )
    return problems


def jumps(
    previous: Mapping[str, Figure | None],
    current: Mapping[str, Figure | None],
    share: Decimal = DEFAULT_JUMP_SHARE,
) -> list[str]:
    """The figures of a 续报 that need an explanation against the region's previous report:
    lowered, or raised by more than `share` of the figure already reported. A figure the
    previous report did not give is reported for the first time and needs none; one raised
    from 0 is a jump."""
    changed: list[str] = []
    for name in FIGURE_FIELDS:
        before, after = previous.get(name), current.get(name)
        if before is None or after is None:
            continue
        if after < before or Decimal(after) - Decimal(before) > share * Decimal(before):
            changed.append(name)
    return changed


def as_json_number(value: Figure) -> int | float:
    """A figure for JSON: integers stay integers; decimals become numbers (12.5)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def parse_figure(name: str, text: str) -> Figure:
    """A figure from a form's or a sheet's text; ValueError with a reason when it is not one."""
    text = text.strip()
    if name in DECIMAL_FIELDS:
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise ValueError("not a number") from None
        if not value.is_finite():
            raise ValueError("not a number")
        if value < 0:
            raise ValueError("must not be negative")
        if value > MAX_DECIMAL:
            raise ValueError("too large")
        if -value.as_tuple().exponent > DECIMAL_PLACES:  # type: ignore[operator]
            raise ValueError("at most 2 decimal places")
        return value
    if not text.isdigit() or not text.isascii():
        raise ValueError("not a whole number")
    number = int(text)
    if number > MAX_COUNT:
        raise ValueError("too large")
    return number
