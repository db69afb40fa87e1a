"""Flask extensions, created unbound; create_app() binds them to the app."""

import copy
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from greenapp.services.i18n import GreenBabel

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = GreenBabel()  # Flask-Babel, translations looked up once a request
cache = Cache()  # configured in create_app; see greenapp/services/cache.py
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def check_limits_only_where_declared(app: Flask) -> bool:
    """Run Flask-Limiter's per-request check only for requests it can limit (speed, issue 9).

    Flask-Limiter checks every request in a before_request hook, resolving the limits of
    the endpoint even when there are none; on a cached signed-in page that was ~15 % of
    the work. greenapp has no app-wide limits (no default, application or meta limits):
    the only Flask-Limiter limit is the API blueprint's (greenapp/api/routes.py). The
    sign-in, registration, password-reset and write limits are counted by
    greenapp/services/signin.py and the routes themselves, not by this hook, and limits
    decorated on a view are enforced by the decorator, not here - so none is touched.

    The hook is wrapped so that it still runs, exactly as before, for a request of a
    blueprint with limits (or any of its parents) and for an endpoint that has limits
    hinted at run time. If app-wide limits are ever configured, or this Flask-Limiter
    keeps its state elsewhere, the wrapper is not installed (every request is checked).
    Returns whether the fast path was installed.
    """
    from flask import request

    manager = limiter.limit_manager
    try:
        app_wide = (
            manager._application_limits,
            manager._default_limits,  # noqa: SLF001
            limiter._meta_limits,
            limiter._in_memory_fallback,
        )  # noqa: SLF001
        blueprint_limits = manager._blueprint_limits  # noqa: SLF001
        hints = manager._endpoint_hints  # noqa: SLF001
    except AttributeError:
        return False
    if any(app_wide):
        return False
    funcs = app.before_request_funcs.get(None, [])
    check = limiter._check_request_limit  # noqa: SLF001
    if check not in funcs:
        return False

    def check_declared_limits() -> None:
        blueprint = request.blueprint
        if (
            blueprint and any(part in blueprint_limits for part in blueprint.split("."))
        ) or hints.get(request.endpoint or ""):
            check()

    funcs[funcs.index(check)] = check_declared_limits

    # Its after-request (limit headers, conditional deductions) and teardown (context
    # reset) hooks only act on the limiter's per-request context: a request that never
    # made one (no limit checked, no limited view called) has nothing for them to do.
    from flask.globals import request_ctx

    def limiter_touched() -> bool:
        return hasattr(request_ctx, "_limiter_request_context")  # as Limiter.context

    after = app.after_request_funcs.get(None, [])
    for i, fn in enumerate(after):
        if isinstance(fn, partial) and fn.args == (limiter,):
            after[i] = _only_if(limiter_touched, fn, passthrough=True)
    teardown = app.teardown_request_funcs.get(None, [])
    for i, fn in enumerate(teardown):
        if getattr(fn, "__self__", None) is limiter:
            teardown[i] = _only_if(limiter_touched, fn, passthrough=False)
    return True


def _only_if(
    condition: Callable[[], bool], hook: Callable[[Any], Any], *, passthrough: bool
) -> Callable[[Any], Any]:
    """`hook`, run only when condition(); else the response is passed through."""

    def guarded(arg: Any) -> Any:
        if condition():
            return hook(arg)
        return arg if passthrough else None

    return guarded


OPENED_MAX = 5000
BACKGROUND_HEADER = "X-Greenapp-Background"  # templates/offline/sw.js sends it


def _copied(data: dict[str, Any]) -> dict[str, Any]:
    """The session's values, lists and dicts copied (a page may append a flash)."""
    return {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in data.items()}


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer built once per key.

    Flask builds a new itsdangerous serializer on every request, for opening the
    session and again for saving it. Same keys, same salt, same serializer: the cookie
    format, signature and expiry checks are unchanged; a changed SECRET_KEY or
    SECRET_KEY_FALLBACKS builds a new one.
    """

    def __init__(self) -> None:
        self._built: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Flask's save_session, except for the service worker's background fetches
        (header BACKGROUND_HEADER): their answers never set or delete the cookie, so a
        signed-out answer that arrives after a sign-in cannot sign the person out."""
        from flask import request

        if request.headers.get(BACKGROUND_HEADER):
            return
        super().save_session(app, session, response)

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        """Flask's open_session, remembering the cookies this process has verified.

        A browser sends the same cookie with every request until the session changes,
        and checking its signature and decoding it was about a tenth of a cached page's
        cost. The exact cookie text verified under the current keys maps to its content
        and signing time: the same text under the same keys verifies the same way, and
        the expiry (PERMANENT_SESSION_LIFETIME from the signing time) is still checked
        on every request. A changed key set starts from an empty memory.
        """
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        from greenapp.services.cache import keep, local_memory

        opened = local_memory("sessions", app)
        hit = opened.get(val)
        if hit is not None and hit[0] is self._built and 0 <= time.time() - hit[1] <= max_age:
            return self.session_class(_copied(hit[2]))
        try:
            data, signed_at = s.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        keep(opened, val, (self._built, signed_at.timestamp(), data), OPENED_MAX)
        return self.session_class(_copied(data))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]
