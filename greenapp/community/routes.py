"""Green Community: challenges, the resident's home, badges and notifications."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from greenapp.community.forms import ActionForm, ChallengeForm
from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.main.guards import bounded_int
from greenapp.models.community import Challenge
from greenapp.models.log import DailySummary
from greenapp.models.user import RESIDENT
from greenapp.permissions import (
    CHALLENGE_CREATORS,
    CHALLENGE_PARTICIPANTS,
    can,
    public,
    role_required,
    signed_in,
)
from greenapp.services import challenges as svc
from greenapp.services import guides, notifications, savings
from greenapp.services.clock import today_in
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.numbers import format_number
from greenapp.services.safe_redirect import safe_next

bp = Blueprint("community", __name__)


@bp.app_context_processor
def bell() -> dict:
    """Unread count for the header bell: one indexed COUNT per page for signed-in users."""
    if current_user and current_user.is_authenticated:
        return {"unread_count": notifications.unread_count(current_user.id)}
    return {}


def _get(challenge_id: int) -> Challenge:
    challenge = db.session.get(Challenge, challenge_id)
    if challenge is None:
        abort(404)
    return challenge


def _input(form: ChallengeForm) -> svc.ChallengeInput:
    return svc.ChallengeInput(
        title=form.title.data or "",
        description=form.description.data or "",
        category=form.category.data,
        target=form.target.data or "",
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        audience=form.audience.data,
        evidence_required=bool(form.evidence_required.data),
        fraction=form.fraction.data or "",
    )


def _impact(owner_type: str, owner_id: int) -> dict:
    """Totals per category of the owner's counted logs (SQL SUM on the daily summary)."""
    rows = db.session.execute(
        select(DailySummary.category, func.sum(DailySummary.quantity))
        .where(DailySummary.owner_type == owner_type, DailySummary.owner_id == owner_id)
        .group_by(DailySummary.category)
    )
    return {cat: total for cat, total in rows}


@bp.route("/")
@signed_in
def home():
    """My impact, my challenges, my badges and tips for what I log."""
    try:
        owner_type, owner_id = svc.participant_of(current_user)
    except PermissionDenied:
        return redirect(url_for("community.challenges"))
    totals = _impact(owner_type, owner_id)
    school = current_user.school if owner_type == "school" else None
    money = _money(owner_type, owner_id, today_in(school.timezone if school else None))
    lang = str(get_locale() or "en")
    return render_template(
        "community/home.html",
        totals=totals,
        money=money,
        mine=svc.progress_of(owner_type, owner_id),
        badges=svc.badges_of(owner_type, owner_id),
        tips=guides.tips_for(list(totals), lang),
        action=ActionForm(),
        today=today_in(None),
        state=svc.state,
    )


def _money(owner_type: str, owner_id: int, today: date) -> dict:
    """All-time CO2e avoided and money saved, up to the owner's local today."""
    return savings.owner_impact(owner_type, owner_id, today)


@bp.route("/listing", methods=["POST"])
@role_required(RESIDENT)
def listing():
    """A resident chooses whether leaderboards show their name."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    current_user.public_listing = request.form.get("public") == "1"
    db.session.commit()
    flash(
        _("Leaderboards now show your name.")
        if current_user.public_listing
        else _("Leaderboards now show you as “Anonymous resident”."),
        "success",
    )
    return redirect(url_for("community.home"))


@bp.route("/challenges")
@public
def challenges():
    """Running, upcoming and finished challenges."""
    today = today_in(None)
    return render_template(
        "community/challenges.html",
        challenges=svc.listing(today),
        today=today,
        state=svc.state,
        days_left=svc.days_left,
        counts=svc.participant_counts(),
    )


@bp.route("/challenges/new", methods=["GET", "POST"])
@role_required(*CHALLENGE_CREATORS)
def challenge_new():
    """Admins and scientists create a challenge."""
    form = ChallengeForm()
    if form.validate_on_submit():
        with attempt(form, "title") as saved:
            challenge = svc.create_challenge(current_user, _input(form))
        if saved:
            flash(_("Challenge created."), "success")
            return redirect(url_for("community.challenge", challenge_id=challenge.id))
    return render_template("community/challenge_form.html", form=form, challenge=None)


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@role_required(*CHALLENGE_CREATORS)
def challenge_edit(challenge_id: int):
    """Change a challenge (audited)."""
    challenge = _get(challenge_id)
    form = ChallengeForm(obj=challenge if request.method == "GET" else None)
    if request.method == "GET":
        form.target.data = format_number(challenge.target)
    if form.validate_on_submit():
        with attempt(form, "title") as saved:
            svc.update_challenge(current_user, challenge, _input(form))
        if saved:
            flash(_("Challenge updated."), "success")
            return redirect(url_for("community.challenge", challenge_id=challenge.id))
    return render_template("community/challenge_form.html", form=form, challenge=challenge)


@bp.route("/challenges/<int:challenge_id>")
@public
def challenge(challenge_id: int):
    """Progress bars, leaderboard and days left."""
    challenge = _get(challenge_id)
    today = today_in(None)
    board = svc.leaderboard(challenge)
    me = None
    if can("join_challenges"):
        try:
            me = svc.participant_of(current_user)
        except PermissionDenied:
            me = None
    joined = me is not None and any((s.owner_type, s.owner_id) == me for s in board)
    return render_template(
        "community/challenge.html",
        challenge=challenge,
        board=board,
        me=me,
        joined=joined,
        today=today,
        state=svc.state(challenge, today),
        days_left=svc.days_left(challenge, today),
        action=ActionForm(),
    )


def _join_or_leave(challenge_id: int, joining: bool):
    challenge = _get(challenge_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with attempt(shown=(ValidationFailed, Conflict)) as done:
        if joining:
            svc.join(current_user, challenge, today_in(None))
        else:
            svc.leave(current_user, challenge)
    if done:
        flash(
            _("You joined the challenge. Good luck!") if joining else _("You left the challenge."),
            "success",
        )
    return redirect(url_for("community.challenge", challenge_id=challenge.id))


@bp.route("/challenges/<int:challenge_id>/join", methods=["POST"])
@role_required(*CHALLENGE_PARTICIPANTS)
def join(challenge_id: int):
    """Join (a resident for themselves, a coordinator for their school)."""
    return _join_or_leave(challenge_id, True)


@bp.route("/challenges/<int:challenge_id>/leave", methods=["POST"])
@role_required(*CHALLENGE_PARTICIPANTS)
def leave(challenge_id: int):
    """Leave a challenge."""
    return _join_or_leave(challenge_id, False)


@bp.route("/notifications")
@signed_in
def notification_list():
    """My notifications, newest first."""
    items = notifications.for_user(current_user.id)
    return render_template(
        "community/notifications.html",
        items=items,
        message=notifications.message,
        action=ActionForm(),
    )


@bp.route("/notifications/read", methods=["POST"])
@signed_in
def notifications_read():
    """Mark one notification (or all) as read; then go to its page if asked."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    raw_id = request.form.get("notification_id") or ""
    # No id: all of them. An unreadable or impossible id marks nothing (never a 500).
    note_id = bounded_int(raw_id, default=0) if raw_id else None
    notifications.mark_read(current_user.id, note_id)
    db.session.commit()
    target = safe_next(request.form.get("next", ""))
    return redirect(target or url_for("community.notification_list"))
