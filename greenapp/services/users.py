"""Accounts: registration, creation by admins, password changes."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, String, bindparam, cast, literal, select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, RESIDENT, ROLES, User
from greenapp.services import audit
from greenapp.services.errors import ValidationFailed

MIN_PASSWORD = 10


@cache
def user_by_token_stmt() -> Select:
    """The signed-in user by session token, with the bell's unread count.

    Built once: every request runs it, and SQLAlchemy then reuses the compiled form
    without rebuilding the statement and its cache key each time.
    """
    from greenapp.models.cache import CacheVersion
    from greenapp.services.notifications import unread_subquery

    # The version of the user's cache scope, read with the row (greenapp/auth/loader.py).
    version = (
        select(CacheVersion.n)
        .where(CacheVersion.scope == literal("user:").concat(cast(User.id, String)))
        .scalar_subquery()
    )
    return select(User, unread_subquery(User.id), version).where(
        User.session_token == bindparam("token")
    )


def normalise_email(email: str) -> str:
    """Lower-case and trim an email address for storage and lookup."""
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    """Return the user with this email (case-insensitive), or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_password_rules(password: str) -> None:
    """Raise ValidationFailed if a new password is too weak."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(
            lazy_ngettext(
                "Use at least %(n)s character.",
                "Use at least %(n)s characters.",
                MIN_PASSWORD,
                n=MIN_PASSWORD,
            ),
            "password",
        )


def create_user(
    *,
    email: str,
    display_name: str,
    password: str,
    role: str = RESIDENT,
    school: School | None = None,
    district: str | None = None,
    locale: str | None = None,
    actor: User | None = None,
    confirmed: bool = True,
) -> User:
    """Create an account after checking role, school and uniqueness rules."""
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role."), "role")
    if role == COORDINATOR and school is None:
        raise ValidationFailed(_l("A coordinator must belong to a school."), "school_id")
    if role != COORDINATOR:
        school = None
    email = normalise_email(email)
    if not email or "@" not in email:
        raise ValidationFailed(_l("Enter a valid email address."), "email")
    if find_by_email(email) is not None:
        raise ValidationFailed(_l("An account with this email already exists."), "email")
    check_password_rules(password)
    name = (display_name or "").strip()
    if not name:
        raise ValidationFailed(_l("Enter a display name."), "display_name")
    user = User(
        email=email,
        display_name=name,
        role=role,
        school=school,
        district=(district or "").strip() or None,
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if not confirmed:
        user.email_confirmed_at = None  # the column's default marks accounts confirmed
        db.session.flush()
    audit.record(
        "user",
        user.id,
        "create",
        actor,
        {
            "email": [None, email],
            "role": [None, role],
            "school_id": [None, school.id if school else None],
        },
    )
    return user


def update_user(
    actor: User, user: User, *, role: str, school: School | None, active: bool, display_name: str
) -> User:
    """Admin edit of another account's role, school, status and name."""
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role."), "role")
    if role == COORDINATOR and school is None:
        raise ValidationFailed(_l("A coordinator must belong to a school."), "school_id")
    if user.id == actor.id and (role != user.role or not active):
        raise ValidationFailed(
            _l("You cannot change your own role or deactivate yourself."), "role"
        )
    before = {
        "role": user.role,
        "school_id": user.school_id,
        "active": user.active,
        "display_name": user.display_name,
    }
    user.role = role
    user.school = school if role == COORDINATOR else None
    user.active = active
    user.display_name = display_name.strip() or user.display_name
    db.session.flush()
    after = {
        "role": user.role,
        "school_id": user.school_id,
        "active": user.active,
        "display_name": user.display_name,
    }
    changes = audit.diff(before, after)
    if changes:
        if before["role"] != role or not active:
            user.rotate_session_token()
        audit.record("user", user.id, "update", actor, changes)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends other sessions."""
    if not user.check_password(current):
        raise ValidationFailed(_l("The current password is not right."), "current_password")
    check_password_rules(new)
    user.set_password(new)
    user.rotate_session_token()
    audit.record("user", user.id, "password", user, {"password": ["***", "***"]})


# --- signed links sent by e-mail ------------------------------------------------------------

RESET_SALT = "greenapp-password-reset"
CONFIRM_SALT = "greenapp-email-confirm"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # Bound to the current password hash: once the password changes (through this link or
    # any other way) every link issued before stops working. Only a digest leaves the server.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def reset_token(user: User) -> str:
    """A password-reset token: expires (PASSWORD_RESET_MAX_AGE) and works once."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The account a reset token is for, or None if forged, expired, used or out of date."""
    try:
        data = _serializer(RESET_SALT).loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(str(data.get("p", "")), _password_fingerprint(user)):
        return None
    return user


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link: ends every session; proves the address."""
    check_password_rules(new)
    user.set_password(new)
    user.rotate_session_token()
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    audit.record("user", user.id, "password-reset", user, {"password": ["***", "***"]})


def confirm_token(user: User) -> str:
    """An e-mail confirmation token for the account's current address."""
    return _serializer(CONFIRM_SALT).dumps({"u": user.id, "e": user.email})


def confirm_email(token: str) -> User | None:
    """Mark the address confirmed; None if the link is forged, expired or for an old address."""
    try:
        data = _serializer(CONFIRM_SALT).loads(
            token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"]
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or user.email != data.get("e"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user
