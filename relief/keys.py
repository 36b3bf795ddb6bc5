"""Keys derived from `RELIEF_SECRET_KEY`: one per use, through HKDF with its own label, so
that no two uses (token signing, ID-number hashing and encryption, request fingerprints)
share key material."""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=64)
def derive_key(secret_key: str, label: bytes) -> bytes:
    """32 bytes for the use named by `label` (e.g. b"relief/idempotency/hmac-sha256")."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        secret_key.encode()
    )
