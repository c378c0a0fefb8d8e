"""Secrets that are only ever compared (the SDK ingest token) are stored as salted hashes.

A copy of the database (a backup, a file another user could once read) then gives nobody the
token. PBKDF2-HMAC-SHA256 with a per-value salt: slow enough to make guessing a short token
costly, and the verifier remembers the digests it already accepted so a busy ingest endpoint
pays the cost once, not per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "pbkdf2-sha256"
ITERATIONS = 200_000


def hash_secret(value: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", value.encode("utf-8"), salt, iterations)
    return f"{PREFIX}${iterations}${salt.hex()}${digest.hex()}"


def is_hashed(stored: str) -> bool:
    return stored.startswith(PREFIX + "$") and stored.count("$") == 3


def verify_secret(candidate: str, stored: str) -> bool:
    """Constant-time check of `candidate` against a stored hash (False for anything malformed)."""
    if not is_hashed(stored):
        return False
    _, rounds, salt_hex, _digest = stored.split("$")
    try:
        salt, iterations = bytes.fromhex(salt_hex), int(rounds)
    except ValueError:
        return False
    if not 1 <= iterations <= 10 * ITERATIONS:
        return False
    expected = hash_secret(candidate, salt=salt, iterations=iterations)
    return hmac.compare_digest(expected.encode("utf-8"), stored.encode("utf-8"))
