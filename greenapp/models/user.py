"""User accounts and roles."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin, utcnow

if TYPE_CHECKING:
    from greenapp.models.place import City
    from greenapp.models.school import School

ADMIN = "admin"
COORDINATOR = "coordinator"
RESIDENT = "resident"
SCIENTIST = "scientist"
ECONOMIST = "economist"
LAWYER = "lawyer"
ROLES: tuple[str, ...] = (ADMIN, COORDINATOR, RESIDENT, SCIENTIST, ECONOMIST, LAWYER)
STAFF_ROLES: tuple[str, ...] = (ADMIN, SCIENTIST, ECONOMIST, LAWYER)


def new_session_token() -> str:
    """Return a fresh random token that identifies a user's live sessions."""
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampMixin, db.Model):
    """A person who signs in; their role decides what they may do."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=RESIDENT)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id"), index=True, default=None
    )
    district: Mapped[str | None] = mapped_column(String(80), default=None)
    # Residents belong to a city's Green Community (set on registration).
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), default=None)
    # ISO 3166-1 alpha-2 of the side a scientist works for (glossary reviews); a
    # coordinator's side follows their school.
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    public_listing: Mapped[bool] = mapped_column(default=True)
    # When the owner proved the address. Self-registered residents start with None (the
    # confirmation or a password-reset link sets it); accounts made by an admin or from the
    # command line count as confirmed when made.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=utcnow)
    # Per-user opt-outs: one mail per notification, and the weekly digest.
    notify_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    digest_by_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Rotated at logout and password change: sessions and remember cookies that carry
    # an old token stop working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)

    school: Mapped[School | None] = relationship(back_populates="coordinators")
    city_ref: Mapped[City | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (scrypt; the config's PASSWORD_HASH_METHOD)."""
        method = "scrypt"
        if has_app_context():
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Return True if the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        """Invalidate every existing session and remember cookie of this user."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        """Flask-Login identifier: the session token, not the primary key."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in."""
        return self.active

    def has_role(self, *roles: str) -> bool:
        """Return True if the user has one of the given roles."""
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
