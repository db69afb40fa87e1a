"""The experts' workspace: one landing page linking each expert role's tools.

The tools themselves live in their own blueprint packages under the same /experts
URLs: guides/ (scientists' guides and tips), quality/ (the data-quality queue),
proposals/ (proposals, lawyers' review, public decisions), savings/ (economists'
savings report and what-if).
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.experts import Proposal
from greenapp.permissions import STAFF, role_required
from greenapp.services import proposals as proposal_service
from greenapp.services import quality

bp = Blueprint("experts", __name__)


@bp.route("/")
@role_required(*STAFF)
def index():
    """The workspace landing page: what each expert role does here."""
    flagged = db.session.scalar(select(db.func.count()).select_from(quality.queue().subquery()))
    waiting = db.session.scalar(
        select(db.func.count()).select_from(
            proposal_service.listing()
            .where(Proposal.status.in_(("submitted", "under_review")))
            .subquery()
        )
    )
    return render_template(
        "experts/index.html", flagged=flagged, waiting=waiting, endpoints=current_app.view_functions
    )
