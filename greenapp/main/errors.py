"""Error pages that say what happened and what to do."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from greenapp.models.user import ROLES


def register_error_handlers(app: Flask) -> None:
    """Render friendly pages for 400, 403, 404, 405, 409, 413 and 429."""

    @app.errorhandler(403)
    def forbidden(error):
        roles = getattr(request, "required_roles", None)
        return render_template("errors/403.html", roles=roles, all_roles=ROLES), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def not_allowed(error):
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

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/generic.html", code=400, csrf=True), 400
