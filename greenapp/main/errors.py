"""Error pages that say what happened and what to do, and the one way routes meet
domain errors (`greenapp/services/errors.py`).

A route runs a service call inside `with attempt(form, "field") as done:`. On success
the request's transaction is committed and `done` is true; on a ValidationFailed the
transaction is rolled back, nothing is changed and the message goes next to the form
field (or into a flash message when there is no form), so the route re-renders its form
with the typed values. PermissionDenied, NotFound and Conflict are not caught there:
the handlers registered below roll back and answer 403, 404 or 409 with the usual
pages; a ValidationFailed no route expected answers 400.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flask import Flask, flash, render_template, request
from flask_wtf.csrf import CSRFError

from greenapp.api.problems import from_http_exception, is_api_request
from greenapp.models.user import ROLES
from greenapp.services.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)


class Attempt:
    """The outcome of an `attempt` block: true once the change was committed."""

    ok = False

    def __bool__(self) -> bool:
        return self.ok


@contextmanager
def attempt(
    form=None,
    fallback: str = "",
    *,
    shown: tuple[type[DomainError], ...] = (ValidationFailed,),
    commit: bool = True,
    fields: Mapping[str, str] | None = None,
) -> Iterator[Attempt]:
    """Run service calls; commit on success, or roll back and show the message.

    `shown` are the errors told to the user (next to `form`'s field named by the error,
    renamed through `fields` where the service's name differs from the form's, else
    `fallback`; flashed when form is None); other errors propagate to the handlers.
    """
    from greenapp.extensions import db
    from greenapp.forms import show_error

    outcome = Attempt()
    try:
        yield outcome
    except shown as exc:
        db.session.rollback()
        if fields and exc.field is not None and exc.field in fields:
            exc.field = fields[exc.field]
        if form is None:
            flash(str(exc.message), "error")
        else:
            show_error(form, exc, fallback)  # type: ignore[arg-type]
        return
    if commit:
        db.session.commit()
    outcome.ok = True


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

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # A service refused: nothing of the request may stay in the session.
        from greenapp.extensions import db

        db.session.rollback()
        if isinstance(error, PermissionDenied):
            return forbidden(error)
        if isinstance(error, NotFound):
            return not_found(error)
        if isinstance(error, Conflict):
            return conflict(error)
        return render_template("errors/generic.html", code=400), 400

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/generic.html", code=400, csrf=True), 400


def _plain_500() -> str:
    """The 500 page without the layout (which needs the database), still translated."""
    from flask_babel import gettext as _
    from markupsafe import escape

    title = escape(_("Something went wrong on our side"))
    text = escape(
        _(
            "This request could not be completed. Please go back and try again in "
            "a moment; if it keeps happening, tell the programme team what you "
            "were doing."
        )
    )
    back = escape(_("Back to the start page"))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'</head><body><main><h1>{title}</h1><p>{text}</p><p><a href="/">{back}</a>'
        "</p></main></body></html>"
    )
