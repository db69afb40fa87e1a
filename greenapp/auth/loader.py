"""Loading the signed-in user on each request, from the one cache when it is current.

Every signed-in request needs the user's row (and the bell's unread count). Reading and
building it through the ORM is a good share of a cached page's cost, so each worker
keeps the row it last read per session token, with the version of the scope
``user:<id>`` (greenapp/services/cache.py) read in the same statement. A request then
reads only the versions of ``user:<id>`` and of the user's school (one small query,
which the school's dashboard reuses) and rebuilds the user from the kept row when the
version has not moved.

Every change to a user's row or to their notifications moves ``user:<id>`` in the same
transaction (`cache.track_user_changes`), so a deactivated account, a new role, a new
name, a signed-out session (its token is replaced) or a new notification is seen by
every worker on the next request. The password hash is never kept: it is read from the
database when a password is checked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import make_transient_to_detached

from greenapp.extensions import db
from greenapp.models.user import User
from greenapp.services import cache, notifications

KEEP_MAX = 5000
_NOT_KEPT = frozenset({"password_hash"})


def _kept() -> dict[str, tuple[int, int, dict[str, Any], int]]:
    return cache.local_memory("users")


def _slot(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rebuild(values: dict[str, Any]) -> User:
    """The user as a persistent object of this request's session, without a query."""
    mapper = User.__mapper__
    known = db.session.identity_map.get(mapper.identity_key_from_primary_key((values["id"],)))
    if known is not None:
        return known  # type: ignore[return-value]
    user = mapper.class_manager.new_instance()
    # A fresh instance has no history: its dict can take the kept values at once
    # (what set_committed_value did per column, at a fraction of the cost);
    # make_transient_to_detached then commits them as the loaded state.
    user.__dict__.update(values)
    make_transient_to_detached(user)  # unset attributes load on first use
    db.session.add(user)
    return user


def load_user(token: str) -> User | None:
    """The user whose session token this is (Flask-Login's user_loader), or None."""
    from greenapp.services.users import user_by_token_stmt

    if not token:
        return None
    kept = _kept() if cache.enabled() else None
    slot = _slot(token)
    hit = kept.get(slot) if kept is not None else None
    if hit is not None:
        user_id, version, values, unread = hit
        scopes = [cache.user_scope(user_id)]
        if values.get("school_id"):
            scopes.append(cache.school_scope(values["school_id"]))  # read now, with ours
        if cache.versions(*scopes)[0] == version:
            notifications.remember_unread(user_id, unread)
            return _rebuild(values)
    # The row, the bell and the version of the user's scope in one statement.
    row = db.session.execute(user_by_token_stmt(), {"token": token}).first()
    if row is None:
        if kept is not None:
            kept.pop(slot, None)
        return None
    user, unread, version = row
    notifications.remember_unread(user.id, unread or 0)
    if kept is not None:
        values = {
            attr.key: getattr(user, attr.key)
            for attr in User.__mapper__.column_attrs
            if attr.key not in _NOT_KEPT
        }
        cache.keep(kept, slot, (user.id, int(version or 0), values, unread or 0), KEEP_MAX)
    return user
