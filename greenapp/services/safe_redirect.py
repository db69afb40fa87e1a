"""Keeping `next` redirects on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return target if it is a path on this site, else None.

    Refuses absolute URLs, scheme-relative '//host', backslash tricks ('/\\host'),
    control characters and anything not starting with a single '/'.
    """
    if not target:
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
