"""Personal access tokens for the REST API and the responses kept for Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin
from greenapp.models.user import User


class ApiToken(TimestampMixin, db.Model):
    """A personal access token: only its SHA-256 is stored, with a visible prefix."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # "gat_" + 8 characters, shown in lists
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    scopes: Mapped[str] = mapped_column(String(40))  # space-separated: read write import
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def scope_set(self) -> frozenset[str]:
        """The token's scopes as a set."""
        return frozenset(self.scopes.split())


class IdempotencyRecord(db.Model):
    """The first response to a POST with an Idempotency-Key, kept per token."""

    __tablename__ = "api_idempotency"
    __table_args__ = (
        UniqueConstraint("token_id", "key", name="uq_api_idempotency_token_key"),
        Index("ix_api_idempotency_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime)
