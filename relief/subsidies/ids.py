"""Resident ID numbers (居民身份证号码): validation, masking, the uniqueness key, encryption.

An ID number is never stored or logged in clear. Each household row keeps
- `id_hash`: HMAC-SHA256 of the number under a key derived from the secret key. It is the
  uniqueness key for "one registration per household and event"; it is deterministic, so a
  10,000-row import finds duplicates by comparing hashes, and it is fast (microseconds).
- `id_cipher`: the number encrypted with Fernet (AES-128-CBC + HMAC) under a second derived
  key, read back only for the audited full-ID read.
- `id_masked`: what every list and export shows (first 6 digits + 8 `*` + last 4).

Bank (一卡通) accounts are kept the same way: `bank_cipher` (Fernet under a third derived key)
and `bank_masked` (`****` + last 4) for lists; the clear account is read back only for the
bank's payment list and the audited full read of one household.

The keys come from `RELIEF_SECRET_KEY` through HKDF with distinct `info` labels, so the
token-signing use of the secret never shares key material with these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from relief import clock
from relief.keys import derive_key

_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")
_FIFTEEN = re.compile(r"^\d{15}$")
# Nobody alive was born before this; a year like 0012 is a typing error, not a birth date.
_EARLIEST_BIRTH = date(1900, 1, 1)


class IdNumberError(ValueError):
    """The text is not an acceptable ID number: the message says why in English, `code` is
    the stable name of the reason (`missing`, `fifteen_digits`, `format`, `birth_invalid`,
    `birth_early`, `birth_future`, `check_digit`) that imports and pages word it by."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message  # a catalogue id (extracted: IdNumberError is a keyword)


def normalise_id_number(raw: object) -> str:
    """The canonical form (18 characters, upper-case X) of a valid ID number.

    The place code (first 6 digits) is deliberately not checked: python-stdnum's `validate`
    checks it against the year of birth and rejects real people's numbers (API.md).
    """
    if raw is None:
        raise IdNumberError("missing", "the ID number is missing")
    text = str(raw).strip().replace(" ", "").upper()
    if not text:
        raise IdNumberError("missing", "the ID number is missing")
    if _FIFTEEN.match(text):
        raise IdNumberError(
            "fifteen_digits",
            "15-digit (first-generation) ID numbers are not accepted; enter the 18-digit number",
        )
    if not _EIGHTEEN.match(text):
        raise IdNumberError("format", "an ID number is 17 digits followed by a digit or X")
    try:
        born = ric.get_birth_date(text)
    except StdnumError:
        raise IdNumberError(
            "birth_invalid", "the birth date in the ID number is not a valid date"
        ) from None
    if born < _EARLIEST_BIRTH:
        raise IdNumberError("birth_early", "the birth date in the ID number is before 1900")
    if born > clock.to_cst(clock.now()).date():
        raise IdNumberError("birth_future", "the birth date in the ID number is in the future")
    if ric.calc_check_digit(text) != text[-1]:
        raise IdNumberError("check_digit", "the check digit of the ID number is wrong")
    return text


def mask_id_number(number: str) -> str:
    """`150102********1234`: enough to tell households apart on a notice, not to impersonate."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_account(account: str) -> str:
    """`****6789`: enough for a household to recognise its card, not to use it."""
    return "****" + account[-4:]


class IdNumberVault:
    """Hashing and encryption of ID numbers (and encryption of bank accounts) under keys
    derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._hmac_key = derive_key(secret_key, b"relief/id-number/hmac-sha256")
        self._fernet = Fernet(
            base64.urlsafe_b64encode(derive_key(secret_key, b"relief/id-number/fernet"))
        )
        self._account_fernet = Fernet(
            base64.urlsafe_b64encode(derive_key(secret_key, b"relief/bank-account/fernet"))
        )

    def uniqueness_key(self, number: str) -> str:
        return hmac.new(self._hmac_key, number.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def encrypt_account(self, account: str) -> str:
        return self._account_fernet.encrypt(account.encode()).decode()

    def decrypt_account(self, token: str) -> str:
        return self._account_fernet.decrypt(token.encode()).decode()

    def account_columns(self, account: str | None) -> dict[str, str | None]:
        """The household columns that keep a bank account (both None when there is none)."""
        if not account:
            return {"bank_cipher": None, "bank_masked": None}
        return {"bank_cipher": self.encrypt_account(account), "bank_masked": mask_account(account)}


@lru_cache(maxsize=8)
def vault_for(secret_key: str) -> IdNumberVault:
    """One vault per secret key (HKDF runs once, not per request)."""
    return IdNumberVault(secret_key)
