"""A household's phone number and 一卡通 (social-security card / bank) account, checked
the same way on the API, the web form and the import.

An account is digits only once spaces are removed, 12 to 19 digits (assumed: UnionPay
card numbers have 16 to 19 digits, 一卡通 passbook accounts of rural banks as few as
12). No Luhn check: card numbers pass it, but many 一卡通 accounts are passbook accounts,
not cards, and would be refused wrongly. `1.23E+18` is what Excel shows of a long number
held as a number: its digits are lost, so it is refused with a hint to format the column
as text. A phone number is 7 to 20 characters of digits, spaces, `-` and `+`, starting
with a digit, so that a cell such as `=1+2` is never taken for one (nor run as a formula
in an export).
"""

from __future__ import annotations

import re
import unicodedata

from relief.errors import N_

ACCOUNT_DIGITS = (12, 19)  # assumed, see above
PHONE_LENGTH = (7, 20)
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+")
_PHONE = re.compile(r"[0-9][0-9 +\-]*")


class ContactError(ValueError):
    """A refused phone number or account: the message is a catalogue id, `code` the import's
    row-error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def clean_bank_account(text: str) -> str:
    """The account's digits (spaces removed; full-width digits read as digits)."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if _SCIENTIFIC.fullmatch(value):
        raise ContactError(
            N_(
                "the account reads like 1.23E+18: Excel turned it into a number and lost "
                "digits; format the column as text and type the account again"
            ),
            "account_scientific",
        )
    low, high = ACCOUNT_DIGITS
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high):
        raise ContactError(
            N_("a bank account is 12 to 19 digits (spaces allowed)"), "account_format"
        )
    return value


def clean_phone(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    low, high = PHONE_LENGTH
    if not (low <= len(value) <= high and value.isascii() and _PHONE.fullmatch(value)):
        raise ContactError(
            N_(
                "a phone number is 7 to 20 characters: digits, spaces, - and +, "
                "starting with a digit"
            ),
            "phone_format",
        )
    return value


def optional_bank_account(value: str | None) -> str | None:
    return None if value is None or not value.strip() else clean_bank_account(value)


def optional_phone(value: str | None) -> str | None:
    return None if value is None or not value.strip() else clean_phone(value)
