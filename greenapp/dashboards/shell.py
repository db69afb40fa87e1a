"""Whole dashboard pages from the one cache, with only the viewer's corner filled in.

A dashboard page is the cached content (see routes.py) inside base.html: head, the
navigation of the viewer's role and school, the footer. All of that is the same for
every viewer with the same role, school, language and URL, so the rendered page is kept
in the one cache (`greenapp/services/cache.py`) under the same scope and version as its
content, with a slot where the per-viewer corner goes (`templates/_account.html`: the
language switch and its CSRF token, name, bell, sign-out).

Per request only that corner is made: it is cached too, per (user, name, role,
language, unread count, URL), with a placeholder for the CSRF token, which is put in
for each request (tokens are signed per session and time, and never cached with a
page: greenapp/csrf_tokens.py). A page view
then costs a cache read and two string replacements instead of a template render.

A request with flash messages waiting is rendered the ordinary way (the messages are
shown once, to this viewer only).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import render_template, request, session
from flask_login import current_user
from markupsafe import Markup

from greenapp.csrf_tokens import csrf_token
from greenapp.services import cache
from greenapp.services.notifications import unread_count

ACCOUNT_SLOT = Markup("<!--greenapp-account-->")
CSRF_SLOT = "greenapp-csrf-slot"


def _viewer() -> tuple:
    """What the navigation depends on: role and school (None for a visitor)."""
    if current_user.is_authenticated:
        return (current_user.role, current_user.school_id)
    return (None, None)


def _next_path() -> str:
    return request.full_path if request.query_string else request.path


def account_html() -> str:
    """The viewer's corner of the page, for this request (fresh CSRF token)."""
    if current_user.is_authenticated:
        who: tuple = (
            current_user.id,
            current_user.display_name,
            current_user.role,
            unread_count(current_user.id),
        )
    else:
        who = (None,)
    corner = cache.cached_local(
        "account",
        (who, _next_path()),
        lambda: render_template("_account.html", csrf_token=lambda: CSRF_SLOT),
    )
    return corner.replace(CSRF_SLOT, csrf_token())


def page(
    template: str,
    what: str,
    scopes: str | tuple[str, ...],
    key: Hashable,
    context: Callable[[], dict],
    *,
    lag: float = 0.0,
) -> cache.Entry[str]:
    """`template` rendered with context(), cached like the content it shows.

    `what`, `scopes`, `key` and `lag` are those of the page's cached content, so the
    page is stale exactly when its content is. context() is called only to render. The
    entry's value is the page for this viewer; its `as_of` says when it was current.
    """
    if "_flashes" in session or not cache.enabled():
        return cache.Entry(render_template(template, **context()), (), cache.now())
    shell = cache.entry(
        f"{what}-shell",
        scopes,
        (key, _viewer(), _next_path()),
        lambda: render_template(template, account_slot=ACCOUNT_SLOT, **context()),
        lag=lag,
    )
    return cache.Entry(
        shell.value.replace(ACCOUNT_SLOT, account_html(), 1), shell.versions, shell.as_of
    )
