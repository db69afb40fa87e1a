"""Security headers on every response (OWASP ASVS V14.4)."""

from __future__ import annotations

from flask import Flask, Response

# Only the app's own scripts run: no inline script, no eval, no plugins, no framing.
# style-src needs 'unsafe-inline' because plotly.js injects <style> elements and sets
# style attributes while drawing; scripts stay strict (see README, "Security and
# operations", for how this was checked in Chromium).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",  # the offline service worker (/sw.js), nothing else
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(production: bool) -> dict[str, str]:
    """The headers added to every response."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def register_security_headers(app: Flask) -> None:
    """Add the security headers to every response, error pages and static files included."""
    headers = security_headers(app.config.get("ENV_NAME") == "production")

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # As setdefault per header (a header the view set is kept), but the response's
        # headers are scanned once instead of once per security header.
        present = {key.lower() for key in response.headers.keys()}
        for name, value in headers.items():
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
