"""API keys: random secrets shown once, stored only as SHA-256 hashes, each with a set of scopes.

Scopes: ``desk`` (classify, feedback), ``reporting`` (sentiment, IKM reports), ``admin`` (models).
A key carries one or more of them; no scope implies another.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.db.models import ApiKey, utcnow

SCOPES = ("desk", "reporting", "admin")
KEY_PREFIX = "aduan_"


def hash_key(key: str) -> str:
    # Keys are 256-bit random secrets, so a plain fast hash is enough; no salt or slow KDF needed.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    id: int
    key: str  # the secret; never stored, printed once
    scopes: tuple[str, ...]
    name: str


def create_key(session: Session, scopes: list[str] | tuple[str, ...], name: str = "") -> NewKey:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scope: expected one or more of {', '.join(SCOPES)}, got {', '.join(unknown) or 'none'}")
    ordered = tuple(s for s in SCOPES if s in scopes)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=key[: len(KEY_PREFIX) + 6], key_hash=hash_key(key), scopes=" ".join(ordered))
    session.add(row)
    session.commit()
    return NewKey(row.id, key, ordered, name)


def find_key(session: Session, key: str) -> ApiKey | None:
    """The active key row for a presented secret, or None."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    return row if row is not None and row.revoked_at is None else None


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int) -> datetime:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise LookupError(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.commit()
    return row.revoked_at
