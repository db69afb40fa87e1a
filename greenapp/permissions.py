"""Who may do what: route decorators and object-level checks, deny by default.

Every view must declare its access rule with @public, @signed_in or
@role_required(...). A view without one is refused for everybody (see
`enforce_declared_access`), so a forgotten decorator fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
SIGNED_IN = "signed_in"


def access_rule(view: Callable[..., Any]) -> Any:
    """Return the declared access rule of a view function, or None."""
    return getattr(view, "_access", None)


def public(view: F) -> F:
    """Anyone may open this view, signed in or not."""
    view._access = PUBLIC  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Any signed-in user may open this view; anonymous users go to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        return view(*args, **kwargs)

    wrapped._access = SIGNED_IN  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Only users with one of these roles; others get a 403 naming the roles needed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles:
                request.required_roles = roles  # type: ignore[attr-defined]
                abort(403)
            return view(*args, **kwargs)

        wrapped._access = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def enforce_declared_access() -> None:
    """before_request hook: refuse any endpoint whose view declares no access rule."""
    if request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return
    if request.endpoint == "static" or request.endpoint.endswith(".static"):
        return
    if access_rule(view) is None:
        abort(403)
