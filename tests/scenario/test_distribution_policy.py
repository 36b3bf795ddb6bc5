"""policy.yaml's `distribution:` (goods to households, issue 16): `nothing_after_days` is a
whole number of days from 0 to 366, as the policies API takes it."""

from __future__ import annotations

import pytest

from relief.distribution.models import check_distribution_rules
from relief.scenario.reader import read_scenario


@pytest.mark.parametrize(
    ("days", "ok"),
    [("0", True), ("5", True), ("366", True), ("367", False), ("-1", False), ("2.5", False)],
)
def test_the_reader_takes_the_days_from_0_to_366(scenario, days, ok):
    text = (scenario / "policy.yaml").read_text(encoding="utf-8")
    block = f"distribution:\n  nothing_after_days: {days}\n"
    (scenario / "policy.yaml").write_text(text + block, encoding="utf-8")
    read, problems = read_scenario(scenario)
    if ok:
        assert problems == [] and read.policy.distribution == {"nothing_after_days": int(days)}
    else:
        assert any("nothing_after_days" in str(p) for p in problems), problems


def test_the_api_check_names_the_key():
    assert check_distribution_rules({"nothing_after_days": 4}) == {"nothing_after_days": 4}
    for bad in ({"nothing_after_days": 367}, {"nothing_after_days": "4"}, {"other": 1}):
        with pytest.raises(ValueError, match="distribution"):
            check_distribution_rules(bad)
