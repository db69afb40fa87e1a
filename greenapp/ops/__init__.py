"""Operations: health check, security headers, request logging and SQLite settings.

`register_ops(app)` is the one call create_app makes to wire all of it.
"""

from __future__ import annotations

from flask import Flask


def register_ops(app: Flask) -> None:
    """Wire the security headers, the request log and the SQLite engine settings."""
    from greenapp.ops.headers import register_security_headers
    from greenapp.ops.request_log import register_request_log
    from greenapp.ops.sqlite import configure_sqlite

    register_security_headers(app)
    register_request_log(app)
    configure_sqlite(app)
    hops = int(app.config.get("PROXY_COUNT", 0) or 0)
    if hops > 0:
        # Behind nginx & co. the client address is in X-Forwarded-For; trust exactly the
        # number of proxies configured, so the per-IP login limit sees real clients.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
