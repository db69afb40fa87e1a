"""Scientists' guides and tips: public reading, scientists (and admins) write."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.guides.forms import GuideForm
from greenapp.main.errors import attempt
from greenapp.models.experts import Guide
from greenapp.permissions import GUIDE_AUTHORS, can, public, require_view, role_required
from greenapp.services import guides as guide_service

bp = Blueprint("guides", __name__)


@bp.route("/guides")
@public
def index():
    """Published guides and tips by category (scientists also see drafts)."""
    lang = str(get_locale() or "en")
    items = guide_service.all_guides() if can("write_guides") else guide_service.published_for(lang)
    return render_template("guides/index.html", items=items, labels=guide_service.kind_labels())


@bp.route("/guides/<int:guide_id>")
@public
def show(guide_id: int):
    """One guide, rendered from Markdown to sanitised HTML."""
    item = db.session.get(Guide, guide_id)
    if item is None or not can("view", item):
        abort(404)  # a draft is "not found" to those who may not see it
    return render_template(
        "guides/show.html",
        guide=item,
        html=guide_service.render(item.body),
        labels=guide_service.kind_labels(),
    )


def _guide_input(form: GuideForm) -> guide_service.GuideInput:
    return guide_service.GuideInput(
        kind=form.kind.data,
        category=form.category.data,
        title=form.title.data or "",
        body=form.body.data or "",
        languages=list(form.languages.data or []),
    )


@bp.route("/guides/new", methods=["GET", "POST"])
@bp.route("/guides/<int:guide_id>/edit", methods=["GET", "POST"])
@role_required(*GUIDE_AUTHORS)
def write(guide_id: int | None = None):
    """Write or edit a guide or tip."""
    item = require_view(db.session.get(Guide, guide_id)) if guide_id else None
    form = GuideForm(obj=item if request.method == "GET" else None)
    if request.method == "GET" and item is not None:
        form.languages.data = item.language_list
    if form.validate_on_submit():
        with attempt(form, "title") as saved:
            item = guide_service.save(current_user, _guide_input(form), item)
        if saved:
            flash(_("Saved."), "success")
            return redirect(url_for("guides.show", guide_id=item.id))
    return render_template("guides/form.html", form=form, guide=item)
