"""Personal access tokens for the REST API (/api/v1) and Idempotency-Key records.

A token is `gat_` + 40 random URL-safe characters (about 240 bits). Only its SHA-256
is stored (a fast hash is enough for a high-entropy secret: there is nothing to guess
from), with the first 8 characters after `gat_` kept as a visible prefix so the owner
can tell tokens apart. The whole token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from greenapp.extensions import db
from greenapp.models.api import ApiToken, IdempotencyRecord
from greenapp.models.base import utcnow
from greenapp.models.user import ADMIN, User
from greenapp.services import audit
from greenapp.services.errors import PermissionDenied, ValidationFailed

TOKEN_PREFIX = "gat_"  # noqa: S105 - the visible start of every token, not a secret
SCOPES: tuple[str, ...] = ("read", "write", "import")
EXPIRY_DAYS: tuple[int, ...] = (7, 30, 90, 365)
NAME_MAX = 80
MAX_TOKENS_PER_USER = 20
IDEMPOTENCY_KEEP = timedelta(hours=24)
# last_used_at is written at most this often per token (a busy script does not turn
# every read into a write).
LAST_USE_GRANULARITY = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: the row, and the secret that is shown once."""

    token: ApiToken
    secret: str


def create_token(owner: User, name: str, scopes: list[str], days: int) -> NewToken:
    """Make a token for the owner; the caller shows `secret` once and commits."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_l("Give the token a name, e.g. 'Weekly meter script'."), "name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_l("The name is too long (80 characters at most)."), "name")
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ValidationFailed(_l("Choose at least one scope."), "scopes")
    if days not in EXPIRY_DAYS:
        raise ValidationFailed(_l("Choose when the token expires."), "days")
    active = len(active_tokens_of(owner))
    if active >= MAX_TOKENS_PER_USER:
        raise ValidationFailed(
            _l("You have too many tokens; revoke one you no longer use."), "name"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    token = ApiToken(
        user_id=owner.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 8],
        token_hash=hash_token(secret),
        scopes=" ".join(chosen),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token",
        token.id,
        "create",
        owner,
        {"name": [None, name], "scopes": [None, token.scopes]},
    )
    return NewToken(token, secret)


def active_tokens_of(owner: User) -> list[ApiToken]:
    """The owner's tokens that are neither revoked nor expired, newest first."""
    now = utcnow()
    stmt = (
        select(ApiToken)
        .where(
            ApiToken.user_id == owner.id,
            ApiToken.revoked_at.is_(None),
            (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now),
        )
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def tokens_of(owner: User) -> list[ApiToken]:
    """All of the owner's tokens (revoked and expired ones too), newest first."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == owner.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(stmt))


def all_tokens(limit: int = 500) -> list[ApiToken]:
    """Every token of every user, newest first (the admin's list)."""
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def is_active(token: ApiToken, now: datetime | None = None) -> bool:
    """Neither revoked nor expired, and its owner's account is active."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return False
    if token.expires_at is not None and token.expires_at <= now:
        return False
    return bool(token.user.active)


def revoke(actor: User, token: ApiToken) -> None:
    """Revoke a token: its owner may, and an admin may revoke anyone's."""
    if not (actor.id == token.user_id or actor.role == ADMIN):
        raise PermissionDenied(_l("You cannot revoke this token."))
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    audit.record("api_token", token.id, "revoke", actor, {"revoked": [False, True]})


def authenticate(secret: str) -> ApiToken | None:
    """The active token with this secret, or None; notes its last use."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not is_active(token):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_GRANULARITY:
        # A plain UPDATE (not the ORM row), so the request's own writes stay its own.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        db.session.commit()
    return token


# --- Idempotency-Key -------------------------------------------------------------------


def body_digest(method: str, path: str, body: bytes) -> str:
    """What a replay must match: method, path and the exact body."""
    h = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        h.update(part)
    return h.hexdigest()


def stored_response(token_id: int, key: str) -> IdempotencyRecord | None:
    """The response kept for this token and key (within IDEMPOTENCY_KEEP), or None."""
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.created_at < utcnow() - IDEMPOTENCY_KEEP:
        db.session.delete(record)
        db.session.flush()
        return None
    return record


def keep_response(
    token_id: int,
    key: str,
    digest: str,
    method: str,
    path: str,
    status: int,
    content_type: str,
    location: str,
    body: bytes,
) -> None:
    """Keep a response for its key, in the request's own transaction (with its write);
    the token's responses older than IDEMPOTENCY_KEEP go at the same time."""
    db.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.token_id == token_id,
            IdempotencyRecord.created_at < utcnow() - IDEMPOTENCY_KEEP,
        )
    )
    db.session.add(
        IdempotencyRecord(
            token_id=token_id,
            key=key,
            method=method,
            path=path[:255],
            body_hash=digest,
            status=status,
            content_type=content_type[:100],
            location=location,
            body=body,
            created_at=utcnow(),
        )
    )


def purge_idempotency(now: datetime | None = None) -> int:
    """Forget kept responses older than IDEMPOTENCY_KEEP; return how many."""
    cutoff = (now or utcnow()) - IDEMPOTENCY_KEEP
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
