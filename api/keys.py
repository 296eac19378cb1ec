"""API keys as text: make one, hash one, read its prefix. Nothing here touches the database.

A key reads ``csk_<prefix>_<secret>``: the prefix (12 hex digits) names the key in the admin
and finds its row; the secret (256 random bits) is never stored, only the SHA-256 of the whole
key. A key this random needs no slow hash: nobody can guess one, and the hash only keeps a
database dump from holding usable keys."""

import hashlib
import secrets

KEY_TAG = "csk"
PREFIX_LENGTH = 12


def key_generate() -> tuple[str, str]:
    """A fresh key and its prefix: (prefix, key)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return prefix, f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(32)}"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of something that looks like a key, else None."""
    tag, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if tag != KEY_TAG or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix
