"""The CSRF token of a page, signed at most once a minute per session and process.

Flask-WTF signs the session's CSRF secret with a timestamp (HMAC) the first time a
request asks for a token (`generate_csrf`). Every signed-in page shows at least one
form (the language switch, sign-out), so that signing was paid on every page view.
A token signed less than REUSE_SECONDS ago for the same session secret and key is
reused instead: it is the token Flask-WTF would accept anyway, and it expires
(WTF_CSRF_TIME_LIMIT from its signing time) at most REUSE_SECONDS earlier.
Validation is Flask-WTF's, unchanged.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, session
from flask_wtf.csrf import generate_csrf

from greenapp.services import cache

REUSE_SECONDS = 60
KEEP_MAX = 5000


def csrf_token(secret: str | bytes | None = None, name: str | None = None) -> str:
    """`flask_wtf.csrf.generate_csrf()`, reusing a token this process signed recently.

    Templates call it as csrf_token(); forms (greenapp.forms.BaseForm) pass their
    meta's secret and field name.
    """
    name = name or current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if name in g:
        return str(g.get(name))
    secret = secret or current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get(name)
    signed = cache.local_memory("csrf")
    now = time.monotonic()
    hit = signed.get(raw) if isinstance(raw, str) else None
    if hit is not None and hit[1] == secret and now - hit[2] < REUSE_SECONDS:
        setattr(g, name, hit[0])  # where generate_csrf keeps the request's token
        return str(hit[0])
    token = generate_csrf(secret_key=secret, token_key=name)
    cache.keep(signed, session[name], (token, secret, now), KEEP_MAX)
    return str(token)


def register_csrf_token(app: Flask) -> None:
    """Templates' csrf_token() (set by CSRFProtect) becomes `csrf_token` above."""
    app.jinja_env.globals["csrf_token"] = csrf_token
