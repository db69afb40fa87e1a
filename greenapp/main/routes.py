"""Home page and the language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import current_user

from greenapp.extensions import db
from greenapp.main.forms import LanguageForm
from greenapp.permissions import public
from greenapp.services.safe_redirect import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    """Landing page: what the programme is, and where each role goes next."""
    return render_template("main/index.html")


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Store the chosen interface language (on the account when signed in)."""
    form = LanguageForm()
    form.language.choices = [(c, c) for c in current_app.config["LANGUAGES"]]
    if form.validate_on_submit():
        session["locale"] = form.language.data
        if current_user.is_authenticated:
            current_user.locale = form.language.data
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("main.index"))
