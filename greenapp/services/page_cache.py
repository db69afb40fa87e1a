"""Whole rendered pages, per viewer, while the figures behind them are unchanged.

A dashboard page is the same HTML for as long as three things hold: the data version
(logs, factors, tariffs, schools), the URL, and what the page shows of its viewer (name,
role, language, the bell's count, and the session's CSRF token in the header's forms).
Keying on all of them makes a hit byte-for-byte what a fresh render would give, so a
repeat view skips the templates and the form rendering altogether.

CSRF tokens are bound to the session and do not expire (WTF_CSRF_TIME_LIMIT = None),
so a token rendered earlier in the same session is as good as a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user

from greenapp.services import notifications, stats

PAGES = 128  # entries per process; a dashboard page is about 30-60 KB


def viewer_key() -> tuple | None:
    """Everything a page shows of the person looking at it; None: do not cache."""
    if "_flashes" in session:
        return None  # a one-off message waits to be shown
    if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None  # tokens would age inside the cache
    csrf = session.get("csrf_token")
    if csrf is None:
        return None  # this render gives the session its token: never share that page
    locale = str(get_locale() or "en")
    if not current_user.is_authenticated:
        return ("anonymous", locale, csrf)
    return (current_user.id, current_user.session_token, current_user.role,
            current_user.display_name, current_user.school_id, locale,
            notifications.unread_count(current_user.id), csrf)


def cached_page(key: Hashable, render: Callable[[], str]) -> str:
    """The page for this key, URL and viewer: rendered once per data version."""
    viewer = viewer_key()
    if viewer is None:
        return render()
    return stats.cached((key, request.full_path, viewer), render, store="pages", size=PAGES)
