"""Proposals and demands to the city: residents and coordinators write, lawyers review,
everyone signed in reads and supports; decisions are public."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.main.guards import bounded_int, page_number
from greenapp.models.community import Challenge
from greenapp.models.experts import Proposal
from greenapp.permissions import (
    PROPOSAL_AUTHORS,
    PROPOSAL_REVIEWERS,
    public,
    require_edit,
    require_view,
    role_required,
    signed_in,
)
from greenapp.proposals.forms import ActionForm, ProposalForm, ProposalReviewForm
from greenapp.services import audit
from greenapp.services import proposals as proposal_service
from greenapp.services.errors import Conflict, ValidationFailed

bp = Blueprint("proposals", __name__)
PER_PAGE = 30


def _proposal_form(obj: Proposal | None = None) -> ProposalForm:
    form = ProposalForm(obj=obj if request.method == "GET" else None)
    form.challenge_id.choices = [("", _("— none —"))] + [
        (str(c.id), c.title)
        for c in db.session.scalars(
            select(Challenge).order_by(Challenge.end_date.desc()).limit(100)
        )
    ]
    if request.method == "GET":
        if obj is not None:
            form.challenge_id.data = str(obj.challenge_id or "")
        elif current_user.district:
            form.district.data = current_user.district
    return form


def _proposal_input(form: ProposalForm) -> proposal_service.ProposalInput:
    raw = form.challenge_id.data or ""
    return proposal_service.ProposalInput(
        kind=form.kind.data,
        title=form.title.data or "",
        text=form.text.data or "",
        category=form.category.data,
        district=form.district.data or "",
        challenge_id=bounded_int(raw),
        evidence_path=form.evidence_path.data or "",
    )


@bp.route("/proposals")
@signed_in
def index():
    """All proposals, newest first, filterable by status."""
    status = request.args.get("status") or None
    if status not in proposal_service.status_labels():
        status = None
    page = db.paginate(
        proposal_service.listing(status), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "proposals/index.html", page=page, status=status, labels=proposal_service.status_labels()
    )


@bp.route("/decisions")
@public
def decisions():
    """The public list of accepted, rejected and forwarded proposals."""
    page = db.paginate(
        proposal_service.decided(), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "proposals/decisions.html", page=page, labels=proposal_service.status_labels()
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
@role_required(*PROPOSAL_AUTHORS)
def new():
    """Submit a proposal or demand."""
    form = _proposal_form()
    if form.validate_on_submit():
        with attempt(form, "title") as saved:
            proposal = proposal_service.submit(current_user, _proposal_input(form))
        if saved:
            flash(_("Your proposal was submitted. Lawyers will review it."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@role_required(*PROPOSAL_AUTHORS)
def edit(proposal_id: int):
    """The author edits a proposal while it is still submitted; nobody else may."""
    proposal = require_edit(db.session.get(Proposal, proposal_id))
    form = _proposal_form(proposal)
    if form.validate_on_submit():
        with attempt(form, "title") as saved:
            proposal_service.edit(current_user, proposal, _proposal_input(form))
        if saved:
            flash(_("Proposal updated."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=proposal)


def _review_form(proposal: Proposal) -> ProposalReviewForm:
    form = ProposalReviewForm()
    labels = proposal_service.status_labels()
    form.status.choices = [
        (s, labels[s]) for s in proposal_service.TRANSITIONS.get(proposal.status, ())
    ]
    return form


def _show(proposal: Proposal, review_form: ProposalReviewForm, status: int = 200):
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        review_form=review_form,
        labels=proposal_service.status_labels(),
        kinds=proposal_service.kind_labels(),
        supported=proposal_service.has_supported(current_user, proposal),
        edits=[r for r in audit.history("proposal", proposal.id) if r.action == "update"],
        field_labels=proposal_service.field_labels(),
        action=ActionForm(),
    ), status


@bp.route("/proposals/<int:proposal_id>")
@signed_in
def show(proposal_id: int):
    """A proposal, its status history and support; lawyers see the review form."""
    proposal = require_view(db.session.get(Proposal, proposal_id))
    return _show(proposal, _review_form(proposal))


@bp.route("/proposals/<int:proposal_id>/review", methods=["POST"])
@role_required(*PROPOSAL_REVIEWERS)
def review(proposal_id: int):
    """A lawyer starts the review or decides, with the legal basis."""
    proposal = require_view(db.session.get(Proposal, proposal_id))
    form = _review_form(proposal)
    if form.validate_on_submit():
        with attempt(form, "status") as saved:
            proposal_service.review(
                current_user,
                proposal,
                form.status.data,
                form.legal_basis.data or "",
                form.decision_text.data or "",
            )
        if saved:
            flash(_("Decision saved; the author has been notified."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return _show(proposal, form, 400)


@bp.route("/proposals/<int:proposal_id>/support", methods=["POST"])
@signed_in
def support(proposal_id: int):
    """Support a proposal (once per user)."""
    proposal = require_view(db.session.get(Proposal, proposal_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    with attempt(shown=(Conflict, ValidationFailed)) as done:
        proposal_service.support(current_user, proposal)
    if done:
        flash(_("Thank you for your support."), "success")
    return redirect(url_for("proposals.show", proposal_id=proposal.id))
