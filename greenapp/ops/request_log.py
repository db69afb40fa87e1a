"""One log line per request: method, path, status, user id, duration.

Only the path is logged: no query string, no form data, no cookies or headers, so
passwords, tokens and session cookies never reach the log.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Flask, Response, g, request

logger = logging.getLogger("greenapp.request")


def _user_id() -> int | str:
    """The id of the user the request loaded ("-" for none). A route that never asked
    for its user (a health check, the service worker) is not made to load one."""
    user = g.get("_login_user")  # Flask-Login's user of this request, if it was loaded
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity and state.expired_attributes:
        # Expired by the request's commit: the id is known without reading the row again.
        return state.identity[0]
    try:
        if user is not None and user.is_authenticated:
            return user.id
    except Exception:  # noqa: BLE001 - a broken session must not break the log line
        return "?"
    return "-"


def register_request_log(app: Flask) -> None:
    """Log every request (except static files) at INFO on the 'greenapp.request' logger."""
    if not app.config.get("REQUEST_LOG", True):
        return
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.handlers and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)

    @app.before_request
    def start_timer() -> None:
        g._request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        if request.endpoint == "static":
            return response
        started = g.get("_request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        logger.info(
            "%s %s %s user=%s %.1fms",
            request.method,
            request.path,
            response.status_code,
            _user_id(),
            duration_ms,
        )
        return response
