"""The policy's `funds:` section (issue 16): how many days a region has to pass money down
(`pass_down_days`), the weights of the split by need (`weights`: yuan per person needing
aid and per damaged household of each class; the extra weight of 低保 and 建档立卡
households), where the values come from (`source`) and whether they are assumed
(`assumed`). Stored with the policy version; `check_funds` is the one place that says what
a value may be, for policy.yaml (relief.scenario.reader) and the policies API alike."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from relief.funds.split import Weights
from relief.subsidies.models import format_fen, parse_fen

FUNDS_KEYS = ("pass_down_days", "weights", "source", "assumed")
# Yuan per person needing aid / per collapsed, severely and generally damaged household.
AMOUNT_WEIGHTS = {
    "per_person": "per_person_fen",
    "collapsed": "collapsed_fen",
    "severe": "severe_fen",
    "general": "general_fen",
}
# Extra weight per share of the households: 1 + dibao × 低保 share + poverty × 建档立卡 share.
CATEGORY_WEIGHTS = ("dibao", "poverty_registered")
WEIGHT_KEYS = (*AMOUNT_WEIGHTS, *CATEGORY_WEIGHTS)
# Days within which money received should be passed down. Assumed: no document at hand gives
# a figure (呼政办发〔2017〕23号 says only "第一时间").
PASS_DOWN_DAYS = 10
MAX_CATEGORY_WEIGHT = Decimal(100)
MAX_AMOUNT_FEN = 100_000_000  # 1,000,000 元 per person or household


@dataclass(frozen=True)
class FundsRules:
    pass_down_days: int = PASS_DOWN_DAYS
    weights: Weights = Weights()
    assumed: bool = True
    source: str | None = None


def check_funds(raw: Any) -> dict[str, Any]:
    """A `funds` mapping as policy.yaml or the API gives it, checked and written the one way
    it is stored; ValueError names the key (funds.weights.dibao: …)."""
    if not isinstance(raw, dict):
        raise ValueError("funds: a mapping of pass_down_days, weights, source, assumed")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in FUNDS_KEYS:
            raise ValueError(f"funds.{key}: not a known key ({', '.join(FUNDS_KEYS)})")
        if key == "pass_down_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 366:
                raise ValueError("funds.pass_down_days: a whole number from 1 to 366")
            out[key] = value
        elif key == "source":
            if not isinstance(value, str) or not value.strip() or len(value) > 1000:
                raise ValueError("funds.source: a text of 1 to 1000 characters")
            out[key] = value.strip()
        elif key == "assumed":
            if not isinstance(value, bool):
                raise ValueError("funds.assumed: true or false")
            out[key] = value
        else:
            out[key] = _check_weights(value)
    return out


def _check_weights(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ValueError(f"funds.weights: a mapping of {', '.join(WEIGHT_KEYS)}")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key not in WEIGHT_KEYS:
            raise ValueError(f"funds.weights.{key}: not a known key ({', '.join(WEIGHT_KEYS)})")
        if key in AMOUNT_WEIGHTS:
            try:
                fen = parse_fen(value)
            except (TypeError, ValueError):
                fen = -1
            if not 0 <= fen <= MAX_AMOUNT_FEN:
                raise ValueError(f"funds.weights.{key}: an amount in yuan from 0 to 1000000")
            out[key] = format_fen(fen) or "0.00"
        else:
            try:
                number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite() or not 0 <= number <= MAX_CATEGORY_WEIGHT:
                raise ValueError(f"funds.weights.{key}: a number from 0 to 100")
            out[key] = str(number.normalize()) if number else "0"
    return out


def rules_from(doc: dict[str, Any] | None) -> FundsRules:
    """The stored `funds` mapping (checked when stored) as values; absent keys: defaults."""
    doc = doc or {}
    weights = doc.get("weights") or {}
    base = Weights()
    values: dict[str, Any] = {}
    for key, name in AMOUNT_WEIGHTS.items():
        if key in weights:
            values[name] = parse_fen(weights[key])
    for key in CATEGORY_WEIGHTS:
        if key in weights:
            values[key] = Fraction(str(weights[key]))
    return FundsRules(
        pass_down_days=int(doc.get("pass_down_days", PASS_DOWN_DAYS)),
        weights=Weights(**{**base.__dict__, **values}),
        # Weights are assumed unless the policy gives them and says they are not.
        assumed=not weights or bool(doc.get("assumed", True)),
        source=doc.get("source"),
    )


def rules_for(session: Any, code: str) -> FundsRules:
    """The `funds` values of the policy version in force now for the region."""
    from relief import clock
    from relief.emergency.policy import policy_version_for
    from relief.network import service as network

    row = policy_version_for(session, clock.now(), network.region_lineage(session, code))
    return rules_from(((row.document or {}).get("funds") if row else None) or {})
