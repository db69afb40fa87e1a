"""Scientists' data-quality queue: flagged entries verified or rejected."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.main.guards import page_number
from greenapp.models.log import EcoLog
from greenapp.permissions import QUALITY_REVIEWERS, QUALITY_VIEWERS, role_required
from greenapp.quality.forms import ReviewLogForm
from greenapp.services import pipeline
from greenapp.services import quality as quality_service

bp = Blueprint("quality", __name__)
PER_PAGE = 30


@bp.route("/quality")
@role_required(*QUALITY_VIEWERS)
def queue():
    """Flagged entries waiting for a scientist's decision."""
    page = db.paginate(
        quality_service.queue(), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "quality/queue.html", page=page, form=ReviewLogForm(), usual=quality_service.usual_value
    )


@bp.route("/quality/<int:log_id>", methods=["POST"])
@role_required(*QUALITY_REVIEWERS)
def decide(log_id: int):
    """Verify or reject one entry (a reason is required to reject)."""
    log = db.session.get(EcoLog, log_id)
    if log is None:
        abort(404)
    form = ReviewLogForm()
    if not form.validate_on_submit():
        flash(_("Choose verify or reject."), "error")
        return redirect(url_for("quality.queue"))
    with attempt() as done:
        pipeline.review_log(current_user, log, form.decision.data, form.reason.data or "")
    if done:
        flash(
            _("Entry verified.")
            if form.decision.data == "verified"
            else _("Entry rejected; it no longer counts in any total."),
            "success",
        )
    return redirect(url_for("quality.queue"))
