"""Accounts: registration, creation by admins, password changes."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import Select, bindparam, select

from greenapp.extensions import db
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
    from greenapp.services.notifications import unread_subquery

    return (select(User, unread_subquery(User.id))
            .where(User.session_token == bindparam("token")))


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
            lazy_ngettext("Use at least %(n)s character.", "Use at least %(n)s characters.",
                          MIN_PASSWORD, n=MIN_PASSWORD), "password"
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
    audit.record(
        "user", user.id, "create", actor,
        {"email": [None, email], "role": [None, role],
         "school_id": [None, school.id if school else None]},
    )
    return user


def update_user(actor: User, user: User, *, role: str, school: School | None,
                active: bool, display_name: str) -> User:
    """Admin edit of another account's role, school, status and name."""
    if role not in ROLES:
        raise ValidationFailed(_l("Unknown role."), "role")
    if role == COORDINATOR and school is None:
        raise ValidationFailed(_l("A coordinator must belong to a school."), "school_id")
    if user.id == actor.id and (role != user.role or not active):
        raise ValidationFailed(
            _l("You cannot change your own role or deactivate yourself."), "role"
        )
    before = {"role": user.role, "school_id": user.school_id, "active": user.active,
              "display_name": user.display_name}
    user.role = role
    user.school = school if role == COORDINATOR else None
    user.active = active
    user.display_name = display_name.strip() or user.display_name
    db.session.flush()
    after = {"role": user.role, "school_id": user.school_id, "active": user.active,
             "display_name": user.display_name}
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

