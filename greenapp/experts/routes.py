"""Experts' workspaces: guides and data quality (scientists), savings (economists),
proposals (lawyers, with residents and coordinators as authors)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from greenapp.experts.forms import (
    ActionForm,
    GuideForm,
    ProposalForm,
    ProposalReviewForm,
    ReviewLogForm,
    SavingsForm,
    WhatIfForm,
)
from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.main.guards import bounded_int, page_number
from greenapp.models.community import Challenge
from greenapp.models.experts import Guide, Proposal
from greenapp.models.log import EcoLog
from greenapp.models.user import ADMIN, COORDINATOR, ECONOMIST, LAWYER, RESIDENT, SCIENTIST
from greenapp.permissions import public, role_required, signed_in
from greenapp.services import guides as guide_service
from greenapp.services import pipeline, quality, savings
from greenapp.services import proposals as proposal_service
from greenapp.services.clock import today_in
from greenapp.services.downloads import content_disposition
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.units import CATEGORY_LABELS

bp = Blueprint("experts", __name__)
EXPERTS = (ADMIN, SCIENTIST, ECONOMIST, LAWYER)
PER_PAGE = 30


@bp.route("/")
@role_required(*EXPERTS)
def index():
    """The workspace landing page: what each expert role does here."""
    flagged = db.session.scalar(
        select(db.func.count()).select_from(quality.queue().subquery()))
    waiting = db.session.scalar(select(db.func.count()).select_from(
        proposal_service.listing().where(Proposal.status.in_(
            ("submitted", "under_review"))).subquery()))
    return render_template("experts/index.html", flagged=flagged, waiting=waiting,
                           endpoints=current_app.view_functions)


# ---- Scientists: guides and tips -------------------------------------------------

@bp.route("/guides")
@public
def guides():
    """Published guides and tips by category (scientists also see drafts)."""
    staff = current_user.is_authenticated and current_user.role in guide_service.AUTHORS
    lang = str(get_locale() or "en")
    items = guide_service.all_guides() if staff else guide_service.published_for(lang)
    return render_template("experts/guides.html", items=items, can_write=staff,
                           labels=guide_service.kind_labels())


@bp.route("/guides/<int:guide_id>")
@public
def guide(guide_id: int):
    """One guide, rendered from Markdown to sanitised HTML."""
    item = db.session.get(Guide, guide_id)
    if item is None or not guide_service.is_visible(
            item, current_user if current_user.is_authenticated else None):
        abort(404)
    return render_template("experts/guide.html", guide=item,
                           html=guide_service.render(item.body),
                           can_write=current_user.is_authenticated
                           and current_user.role in guide_service.AUTHORS,
                           labels=guide_service.kind_labels())


def _guide_input(form: GuideForm) -> guide_service.GuideInput:
    return guide_service.GuideInput(kind=form.kind.data, category=form.category.data,
                                    title=form.title.data or "", body=form.body.data or "",
                                    languages=list(form.languages.data or []))


@bp.route("/guides/new", methods=["GET", "POST"])
@bp.route("/guides/<int:guide_id>/edit", methods=["GET", "POST"])
@role_required(SCIENTIST, ADMIN)
def guide_form(guide_id: int | None = None):
    """Write or edit a guide or tip."""
    item = db.session.get(Guide, guide_id) if guide_id else None
    if guide_id and item is None:
        abort(404)
    form = GuideForm(obj=item if request.method == "GET" else None)
    if request.method == "GET" and item is not None:
        form.languages.data = item.language_list
    if form.validate_on_submit():
        try:
            item = guide_service.save(current_user, _guide_input(form), item)
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "title")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("experts.guide", guide_id=item.id))
    return render_template("experts/guide_form.html", form=form, guide=item)


# ---- Scientists: data-quality queue -----------------------------------------------

@bp.route("/quality")
@role_required(SCIENTIST, ADMIN)
def quality_queue():
    """Flagged entries waiting for a scientist's decision."""
    page = db.paginate(quality.queue(), page=page_number(),
                       per_page=PER_PAGE, error_out=False)
    return render_template("experts/quality.html", page=page, form=ReviewLogForm(),
                           usual=quality.usual_value,
                           can_decide=current_user.role in quality.REVIEWERS)


@bp.route("/quality/<int:log_id>", methods=["POST"])
@role_required(SCIENTIST)
def quality_decide(log_id: int):
    """Verify or reject one entry (a reason is required to reject)."""
    log = db.session.get(EcoLog, log_id)
    if log is None:
        abort(404)
    form = ReviewLogForm()
    if not form.validate_on_submit():
        flash(_("Choose verify or reject."), "error")
        return redirect(url_for("experts.quality_queue"))
    try:
        pipeline.review_log(current_user, log, form.decision.data, form.reason.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Entry verified.") if form.decision.data == "verified"
              else _("Entry rejected; it no longer counts in any total."), "success")
    return redirect(url_for("experts.quality_queue"))


# ---- Lawyers: proposals --------------------------------------------------------------

def _get_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def _proposal_form(obj: Proposal | None = None) -> ProposalForm:
    form = ProposalForm(obj=obj if request.method == "GET" else None)
    form.challenge_id.choices = [("", _("— none —"))] + [
        (str(c.id), c.title) for c in db.session.scalars(
            select(Challenge).order_by(Challenge.end_date.desc()).limit(100))]
    if request.method == "GET":
        if obj is not None:
            form.challenge_id.data = str(obj.challenge_id or "")
        elif current_user.district:
            form.district.data = current_user.district
    return form


def _proposal_input(form: ProposalForm) -> proposal_service.ProposalInput:
    raw = form.challenge_id.data or ""
    return proposal_service.ProposalInput(
        kind=form.kind.data, title=form.title.data or "", text=form.text.data or "",
        category=form.category.data, district=form.district.data or "",
        challenge_id=bounded_int(raw),
        evidence_path=form.evidence_path.data or "")


@bp.route("/proposals")
@signed_in
def proposals():
    """All proposals, newest first, filterable by status."""
    status = request.args.get("status") or None
    if status not in proposal_service.status_labels():
        status = None
    page = db.paginate(proposal_service.listing(status),
                       page=page_number(), per_page=PER_PAGE,
                       error_out=False)
    return render_template("experts/proposals.html", page=page, status=status,
                           labels=proposal_service.status_labels(),
                           can_submit=current_user.role in proposal_service.AUTHORS)


@bp.route("/decisions")
@public
def decisions():
    """The public list of accepted, rejected and forwarded proposals."""
    page = db.paginate(proposal_service.decided(), page=page_number(),
                       per_page=PER_PAGE, error_out=False)
    return render_template("experts/decisions.html", page=page,
                           labels=proposal_service.status_labels())


@bp.route("/proposals/new", methods=["GET", "POST"])
@role_required(RESIDENT, COORDINATOR)
def proposal_new():
    """Submit a proposal or demand."""
    form = _proposal_form()
    if form.validate_on_submit():
        try:
            proposal = proposal_service.submit(current_user, _proposal_input(form))
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "title")
        else:
            db.session.commit()
            flash(_("Your proposal was submitted. Lawyers will review it."), "success")
            return redirect(url_for("experts.proposal", proposal_id=proposal.id))
    return render_template("experts/proposal_form.html", form=form, proposal=None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@role_required(RESIDENT, COORDINATOR)
def proposal_edit(proposal_id: int):
    """The author edits a proposal while it is still submitted; nobody else may."""
    proposal = _get_proposal(proposal_id)
    if not proposal_service.can_edit(current_user, proposal):
        abort(403)
    form = _proposal_form(proposal)
    if form.validate_on_submit():
        try:
            proposal_service.edit(current_user, proposal, _proposal_input(form))
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "title")
        else:
            db.session.commit()
            flash(_("Proposal updated."), "success")
            return redirect(url_for("experts.proposal", proposal_id=proposal.id))
    return render_template("experts/proposal_form.html", form=form, proposal=proposal)


def _review_form(proposal: Proposal) -> ProposalReviewForm:
    form = ProposalReviewForm()
    labels = proposal_service.status_labels()
    form.status.choices = [(s, labels[s]) for s in
                           proposal_service.TRANSITIONS.get(proposal.status, ())]
    return form


def _show_proposal(proposal: Proposal, review_form: ProposalReviewForm, status: int = 200):
    from greenapp.services import audit

    return render_template(
        "experts/proposal.html", proposal=proposal, review_form=review_form,
        labels=proposal_service.status_labels(), kinds=proposal_service.kind_labels(),
        supported=proposal_service.has_supported(current_user, proposal),
        can_edit=proposal_service.can_edit(current_user, proposal),
        can_review=current_user.role in proposal_service.REVIEWERS
        and bool(review_form.status.choices),
        edits=[r for r in audit.history("proposal", proposal.id) if r.action == "update"],
        field_labels=proposal_service.field_labels(), action=ActionForm(),
    ), status


@bp.route("/proposals/<int:proposal_id>")
@signed_in
def proposal(proposal_id: int):
    """A proposal, its status history and support; lawyers see the review form."""
    proposal = _get_proposal(proposal_id)
    return _show_proposal(proposal, _review_form(proposal))


@bp.route("/proposals/<int:proposal_id>/review", methods=["POST"])
@role_required(LAWYER)
def proposal_review(proposal_id: int):
    """A lawyer starts the review or decides, with the legal basis."""
    proposal = _get_proposal(proposal_id)
    form = _review_form(proposal)
    if form.validate_on_submit():
        try:
            proposal_service.review(current_user, proposal, form.status.data,
                                    form.legal_basis.data or "",
                                    form.decision_text.data or "")
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "status")
        else:
            db.session.commit()
            flash(_("Decision saved; the author has been notified."), "success")
            return redirect(url_for("experts.proposal", proposal_id=proposal.id))
    return _show_proposal(proposal, form, 400)


@bp.route("/proposals/<int:proposal_id>/support", methods=["POST"])
@signed_in
def proposal_support(proposal_id: int):
    """Support a proposal (once per user)."""
    proposal = _get_proposal(proposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        proposal_service.support(current_user, proposal)
    except Conflict as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Thank you for your support."), "success")
    return redirect(url_for("experts.proposal", proposal_id=proposal.id))


# ---- Economists: savings report and what-if -------------------------------------------

def _savings_request() -> tuple[SavingsForm, str, date, date]:
    form = SavingsForm(request.args)
    form.subject.choices = savings.subjects()
    form.validate()  # out-of-range dates and control characters: a message, the defaults
    today = today_in(None)
    date_to = form.date_to.data if form.date_to.data and not form.date_to.errors else today
    date_from = (form.date_from.data if form.date_from.data and not form.date_from.errors
                 else (date_to.replace(day=1) - timedelta(days=335)).replace(day=1))
    form.date_from.data, form.date_to.data = date_from, date_to
    subject = form.subject.data or savings.COMMUNITY
    form.subject.data = subject
    return form, subject, date_from, date_to


@bp.route("/savings")
@role_required(ECONOMIST, ADMIN)
def savings_report():
    """Money saved per month and category, per pupil, for a school or the community."""
    form, subject, date_from, date_to = _savings_request()
    report = None
    try:
        report = savings.report(subject, date_from, date_to)
    except ValidationFailed as exc:
        show_error(form, exc, "subject")
    return render_template("experts/savings.html", form=form, report=report,
                           has_tariffs="impact.tariffs" in current_app.view_functions)


@bp.route("/savings.csv")
@role_required(ECONOMIST, ADMIN)
def savings_csv():
    """The same report as a CSV download."""
    _form, subject, date_from, date_to = _savings_request()
    try:
        report = savings.report(subject, date_from, date_to)
    except ValidationFailed:
        abort(400)
    name = f"savings-{subject}-{date_from:%Y%m}-{date_to:%Y%m}.csv"
    return Response(savings.to_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(name)})


@bp.route("/what-if")
@role_required(ECONOMIST, ADMIN)
def what_if():
    """If every school of a city cut a category by N%, what is saved in a year?"""
    form = WhatIfForm(request.args)
    form.city.choices = savings.city_choices()
    form.category.choices = [(c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste")]
    result = None
    if request.args and form.validate():
        try:
            result = savings.what_if(form.city.data, form.category.data, form.percent.data,
                                     form.use_per_pupil.data, today_in(None))
        except ValidationFailed as exc:
            show_error(form, exc, "percent")
    return render_template("experts/what_if.html", form=form, result=result,
                           has_tariffs="impact.tariffs" in current_app.view_functions)
