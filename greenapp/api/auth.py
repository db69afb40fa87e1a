"""Who is calling the API: a personal access token, never the browser's session cookie.

The API takes bearer tokens only. A request that carries just a session cookie is
anonymous here (401), so a page on another site cannot make a signed-in browser write
through the API: that is why the API blueprint alone is exempt from CSRF.

Route rules stay those of greenapp/permissions.py (`role_required`, deny by default);
`allow()` adds the token scope the route needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, request
from flask_limiter.util import get_remote_address

from greenapp.models.api import ApiToken
from greenapp.permissions import role_required
from greenapp.services import tokens

F = TypeVar("F", bound=Callable[..., Any])


def bearer_secret() -> str | None:
    """The token in `Authorization: Bearer ...`, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate_request() -> None:
    """before_request of the API: the token's user is the current user, or nobody.

    The session cookie is never read here (Flask-Login's user is set for the request
    before anything can load it from the cookie).
    """
    from greenapp.extensions import login_manager

    g.api_token = None
    secret = bearer_secret()
    token = tokens.authenticate(secret) if secret else None
    if secret and token is None:
        g._login_user = login_manager.anonymous_user()
        abort(401)
    if token is None:
        g._login_user = login_manager.anonymous_user()
        return
    g.api_token = token
    g._login_user = token.user


def current_token() -> ApiToken | None:
    """The token this API request came with (None: anonymous)."""
    return getattr(g, "api_token", None)


def allow(*roles: str, scope: str | tuple[str, ...]) -> Callable[[F], F]:
    """Route rule for the API: these roles (permissions.role_required) with this scope
    (a tuple: any one of these scopes)."""
    scopes = (scope,) if isinstance(scope, str) else tuple(scope)

    def decorator(view: F) -> F:
        @wraps(view)
        def scoped(*args: Any, **kwargs: Any) -> Any:
            token = current_token()
            if token is None or not token.scope_set.intersection(scopes):
                request.required_scope = scopes[0]  # type: ignore[attr-defined]
                abort(403)
            return view(*args, **kwargs)

        scoped._scope = " | ".join(scopes)  # type: ignore[attr-defined]  # x-scope
        scoped._scopes = scopes  # type: ignore[attr-defined]
        return role_required(*roles)(scoped)  # type: ignore[return-value]

    return decorator


def rate_key() -> str:
    """Flask-Limiter's key for API requests: the token (by its hash), else the address."""
    secret = bearer_secret()
    if secret:
        return "api-token:" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:32]
    return "api-ip:" + (get_remote_address() or "")


def rate_limit() -> str:
    """The per-token limit (config API_RATELIMIT)."""
    return str(current_app.config.get("API_RATELIMIT", "300 per minute"))
