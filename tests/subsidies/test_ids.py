"""ID-number rules of API.md: 18 characters, birth date, GB 11643 check digit; masking;
the HMAC uniqueness key and the encryption round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from relief import clock
from relief.subsidies.ids import (
    IdNumberError,
    IdNumberVault,
    mask_id_number,
    normalise_id_number,
)

GOOD = "150102199001011230"
# 武川县 (150125), born 1985: a real kind of number that stdnum's `validate` refuses
# because the county code is newer than the birth year; it ends in X.
WUCHUAN_X = "15012519850312004X"


def test_good_numbers_are_accepted_and_x_is_upper_cased():
    assert normalise_id_number(GOOD) == GOOD
    assert normalise_id_number(WUCHUAN_X.lower()) == WUCHUAN_X
    assert normalise_id_number(f"  {GOOD} ") == GOOD


def test_place_code_is_not_checked_unlike_stdnum_validate():
    with pytest.raises(ValidationError):
        ric.validate(WUCHUAN_X)
    assert normalise_id_number(WUCHUAN_X) == WUCHUAN_X


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("150102199001011231", "check digit"),
        ("15010219900101123X", "check digit"),
        ("150102199002301238", "not a valid date"),
        ("150102900101123", "15-digit"),
        ("15010219900101123", "17 digits followed by"),
        ("1501021990010112300", "17 digits followed by"),
        ("15010219900101123Y", "17 digits followed by"),
        ("", "missing"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(number, reason):
    with pytest.raises(IdNumberError, match=reason):
        normalise_id_number(number)


def test_birth_date_in_the_future_is_refused():
    clock.set_clock(lambda: datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    body = "15010220261127123"
    tomorrow = body + ric.calc_check_digit(body + "0")
    with pytest.raises(IdNumberError, match="future"):
        normalise_id_number(tomorrow)
    body = "15010220261126123"
    today = body + ric.calc_check_digit(body + "0")
    assert normalise_id_number(today) == today


def test_masking_shows_first_six_and_last_four():
    assert mask_id_number(GOOD) == "150102********1230"
    assert mask_id_number(WUCHUAN_X) == "150125********004X"


def test_uniqueness_key_is_stable_per_secret_and_differs_between_secrets():
    one, two = IdNumberVault("secret-one"), IdNumberVault("secret-two")
    assert one.uniqueness_key(GOOD) == IdNumberVault("secret-one").uniqueness_key(GOOD)
    assert one.uniqueness_key(GOOD) != two.uniqueness_key(GOOD)
    assert one.uniqueness_key(GOOD) != one.uniqueness_key(WUCHUAN_X)
    assert GOOD not in one.uniqueness_key(GOOD)


def test_encryption_round_trips_and_hides_the_number():
    vault = IdNumberVault("secret-one")
    token = vault.encrypt(GOOD)
    assert GOOD not in token and GOOD[6:14] not in token
    assert vault.decrypt(token) == GOOD
    assert vault.encrypt(GOOD) != token  # a fresh IV each time: equal numbers look different
