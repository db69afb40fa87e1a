"""Error pages that say what happened and what to do."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from greenapp.api.problems import from_http_exception, is_api_request
from greenapp.models.user import ROLES


def register_error_handlers(app: Flask) -> None:
    """Render friendly pages for 400, 403, 404, 405, 409, 413, 429 and 500."""

    @app.errorhandler(403)
    def forbidden(error):
        roles = getattr(request, "required_roles", None)
        return render_template("errors/403.html", roles=roles, all_roles=ROLES), 403

    @app.errorhandler(404)
    def not_found(error):
        if is_api_request():  # no API route matched: still problem+json
            return from_http_exception(error)
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def not_allowed(error):
        if is_api_request():
            return from_http_exception(error)
        return render_template("errors/generic.html", code=405), 405

    @app.errorhandler(409)
    def conflict(error):
        return render_template("errors/generic.html", code=409), 409

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/generic.html", code=413), 413

    @app.errorhandler(429)
    def too_many(error):
        return render_template("errors/generic.html", code=429), 429

    @app.errorhandler(500)
    def server_error(error):
        # The request's transaction may be the thing that failed: start clean.
        from greenapp.extensions import db

        db.session.rollback()
        try:
            return render_template("errors/500.html"), 500
        except Exception:  # the page itself failed (database down ...): plain words
            return _plain_500(), 500

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/generic.html", code=400, csrf=True), 400


def _plain_500() -> str:
    """The 500 page without the layout (which needs the database), still translated."""
    from flask_babel import gettext as _
    from markupsafe import escape

    title = escape(_("Something went wrong on our side"))
    text = escape(_("This request could not be completed. Please go back and try again in "
                    "a moment; if it keeps happening, tell the programme team what you "
                    "were doing."))
    back = escape(_("Back to the start page"))
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
            f'</head><body><main><h1>{title}</h1><p>{text}</p><p><a href="/">{back}</a>'
            "</p></main></body></html>")
