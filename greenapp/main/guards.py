"""Input bounds every route gets for free: ids, page numbers, control characters."""

from __future__ import annotations

from flask import Flask, Response, abort, g, render_template, request, session
from werkzeug.routing import IntegerConverter

from greenapp.forms import has_control_characters

# The largest id every id column holds: PostgreSQL INTEGER is 32-bit (SQLite's 64-bit).
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """<int:...> that only matches ids a database can hold: larger ones are a 404."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bounded_int(text: str | None, default: int | None = None, maximum: int = MAX_ID) -> int | None:
    """An ASCII whole number in 0..maximum, else `default` (for ids read from forms)."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 12:
        return default
    value = int(text)
    return value if value <= maximum else default


def page_number() -> int:
    """The ?page= of a list: 1 when missing or unreadable; 404 beyond any real page."""
    raw = request.args.get("page", "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > 9 or int(raw) > MAX_PAGE:
        abort(404)
    return max(int(raw), 1)


def refuse_control_characters() -> Response | None:
    """A URL carrying NUL or other control characters answers 400 with a clear page."""
    if request.query_string:
        values = [request.path, *request.args.keys(), *request.args.values()]
    else:
        values = [request.path]
    if any(has_control_characters(v) for v in values):
        from greenapp.api.problems import is_api_request, problem

        if is_api_request():
            from flask_babel import gettext as _

            return problem(400, _("Remove the control characters (such as NUL) from the address."))
        return Response(
            render_template("errors/generic.html", code=400, bad_input=True), status=400
        )
    return None


def no_store_when_signed_in(response: Response) -> Response:
    """Signed-in pages are personal: browsers and proxies must not keep a copy."""
    user = g.get("_login_user")
    signed = session.get("_user_id") or (user is not None and user.is_authenticated)
    if signed and "immutable" not in (response.headers.get("Cache-Control") or ""):
        response.headers["Cache-Control"] = "no-store"
    return response


def register_guards(app: Flask) -> None:
    """Install the converter (before blueprints) and the request hooks."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_control_characters)
    app.after_request(no_store_when_signed_in)
