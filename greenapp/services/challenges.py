"""Challenges: create, join, leave, progress from the daily summary, badges.

Progress of a participant = the SUM of its counted logs (DailySummary: not deleted,
not rejected) in the challenge's category (and waste fraction, if set) dated inside
the challenge window; with `evidence_required`, only metered or document evidence
counts. Residents are measured in the canonical unit; schools per pupil, so a small
school can beat a big one. Reaching the target awards a badge once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, and_, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from greenapp.extensions import db
from greenapp.models.community import (
    AUDIENCES,
    CHALLENGE_DESCRIPTION_MAX,
    CHALLENGE_TITLE_MAX,
    Badge,
    Challenge,
    ChallengeParticipant,
)
from greenapp.models.log import DailySummary
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, RESIDENT, User
from greenapp.permissions import CHALLENGE_CREATORS
from greenapp.services import audit, notifications
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.units import CATEGORIES, FRACTIONS, WASTE, parse_decimal

CREATORS = CHALLENGE_CREATORS  # role groups are defined in permissions.py
STRONG_EVIDENCE = ("metered", "document")
TITLE_MAX = CHALLENGE_TITLE_MAX  # defined once, in models/community.py
DESCRIPTION_MAX = CHALLENGE_DESCRIPTION_MAX
AUDITED = (
    "title",
    "description",
    "category",
    "fraction",
    "target",
    "start_date",
    "end_date",
    "audience",
    "evidence_required",
)


@dataclass
class ChallengeInput:
    """What a creator typed for a challenge."""

    title: str
    description: str
    category: str
    target: str
    start_date: date | None
    end_date: date | None
    audience: str
    evidence_required: bool = False
    fraction: str = ""


@dataclass
class Standing:
    """One participant's place in a challenge."""

    owner_type: str
    owner_id: int
    name: str
    total: Decimal
    pupils: int = 0
    per_pupil: Decimal | None = None
    percent: int = 0
    completed: bool = False
    rank: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def score(self) -> Decimal:
        """What the ranking compares: total for residents, per pupil for schools."""
        return self.per_pupil if self.per_pupil is not None else self.total


def _validate(data: ChallengeInput) -> dict:
    title = (data.title or "").strip()
    if not title:
        raise ValidationFailed(_l("Give the challenge a title."), "title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(_l("The title is too long (160 characters at most)."), "title")
    description = (data.description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(_l("The description is too long."), "description")
    if data.category not in CATEGORIES:
        raise ValidationFailed(_l("Choose a category."), "category")
    fraction = data.fraction or ""
    if data.category != WASTE:
        fraction = ""
    elif fraction and fraction not in FRACTIONS:
        raise ValidationFailed(_l("Choose a waste fraction."), "fraction")
    target = parse_decimal(data.target) if data.target else None
    if target is None:
        raise ValidationFailed(_l("Enter a target."), "target")
    if target <= 0:
        raise ValidationFailed(_l("The target must be greater than zero."), "target")
    if target.adjusted() > 9 or target != target.quantize(Decimal("0.001")):
        raise ValidationFailed(_l("Enter a target with at most 3 decimals."), "target")
    if data.start_date is None:
        raise ValidationFailed(_l("Enter the start date."), "start_date")
    if data.end_date is None:
        raise ValidationFailed(_l("Enter the end date."), "end_date")
    if data.end_date < data.start_date:
        raise ValidationFailed(_l("The end date cannot be before the start date."), "end_date")
    if data.audience not in AUDIENCES:
        raise ValidationFailed(_l("Choose who may take part."), "audience")
    return {
        "title": title,
        "description": description,
        "category": data.category,
        "fraction": fraction,
        "target": target.quantize(Decimal("0.001")),
        "start_date": data.start_date,
        "end_date": data.end_date,
        "audience": data.audience,
        "evidence_required": bool(data.evidence_required),
    }


def create_challenge(actor: User, data: ChallengeInput) -> Challenge:
    """Admins and scientists create challenges."""
    if actor.role not in CREATORS:
        raise PermissionDenied(_l("Only university staff and scientists create challenges."))
    challenge = Challenge(created_by_id=actor.id, **_validate(data))
    db.session.add(challenge)
    db.session.flush()
    audit.record(
        "challenge",
        challenge.id,
        "create",
        actor,
        audit.diff({}, audit.snapshot(challenge, AUDITED)),
    )
    return challenge


def update_challenge(actor: User, challenge: Challenge, data: ChallengeInput) -> Challenge:
    """Change a challenge (audited); only admins and scientists."""
    if actor.role not in CREATORS:
        raise PermissionDenied(_l("Only university staff and scientists edit challenges."))
    before = audit.snapshot(challenge, AUDITED)
    for name, value in _validate(data).items():
        setattr(challenge, name, value)
    changes = audit.diff(before, audit.snapshot(challenge, AUDITED))
    if changes:
        audit.record("challenge", challenge.id, "update", actor, changes)
    return challenge


def participant_of(actor: User) -> tuple[str, int]:
    """(owner_type, owner_id) an actor joins as: themselves, or their school."""
    if actor.role == RESIDENT:
        return "resident", actor.id
    if actor.role == COORDINATOR and actor.school_id is not None:
        return "school", actor.school_id
    raise PermissionDenied(_l("Only residents and school coordinators join challenges."))


def membership(challenge: Challenge, owner_type: str, owner_id: int) -> ChallengeParticipant | None:
    """The participant row of an owner in a challenge, if any."""
    return db.session.scalar(
        select(ChallengeParticipant).where(
            ChallengeParticipant.challenge_id == challenge.id,
            ChallengeParticipant.owner_type == owner_type,
            ChallengeParticipant.owner_id == owner_id,
        )
    )


def join(actor: User, challenge: Challenge, today: date) -> ChallengeParticipant:
    """Join a challenge once; a finished one, the wrong audience or a repeat is refused."""
    owner_type, owner_id = participant_of(actor)
    if not challenge.open_to(owner_type):
        raise ValidationFailed(
            _l("This challenge is for residents only.")
            if owner_type == "school"
            else _l("This challenge is for schools only."),
            "join",
        )
    if today > challenge.end_date:
        raise ValidationFailed(
            _l("This challenge has finished; it can no longer be joined."), "join"
        )
    if membership(challenge, owner_type, owner_id) is not None:
        raise Conflict(_l("You are already taking part in this challenge."))
    row = ChallengeParticipant(
        challenge_id=challenge.id, owner_type=owner_type, owner_id=owner_id, joined_by_id=actor.id
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # A simultaneous join won the race: the unique constraint keeps one membership.
        raise Conflict(_l("You are already taking part in this challenge.")) from None
    award_completed(owner_type, owner_id)
    return row


def leave(actor: User, challenge: Challenge) -> None:
    """Leave a challenge (the badge, if already earned, is kept)."""
    owner_type, owner_id = participant_of(actor)
    result = cast(
        CursorResult,
        db.session.execute(
            delete(ChallengeParticipant).where(
                ChallengeParticipant.challenge_id == challenge.id,
                ChallengeParticipant.owner_type == owner_type,
                ChallengeParticipant.owner_id == owner_id,
            )
        ),
    )
    if not result.rowcount:
        raise Conflict(_l("You are not taking part in this challenge."))


def _progress_stmt():
    """SUM of counted daily summaries per (challenge, participant) inside each window."""
    cp, ch, ds = ChallengeParticipant, Challenge, DailySummary
    window = and_(
        ds.owner_type == cp.owner_type,
        ds.owner_id == cp.owner_id,
        ds.category == ch.category,
        ds.day >= ch.start_date,
        ds.day <= ch.end_date,
        (ch.fraction == "") | (ds.fraction == ch.fraction),
        (ch.evidence_required.is_(False)) | ds.evidence.in_(STRONG_EVIDENCE),
    )
    return (
        select(cp.challenge_id, cp.owner_type, cp.owner_id, func.sum(ds.quantity))
        .join(ch, ch.id == cp.challenge_id)
        .outerjoin(ds, window)
        .group_by(cp.challenge_id, cp.owner_type, cp.owner_id)
    )


@cache
def _owner_progress_stmt():
    """_progress_stmt for one participant (bound: owner_type, owner_id), built once:
    every saved entry runs it (see award_new_badges)."""
    return _progress_stmt().where(
        ChallengeParticipant.owner_type == bindparam("owner_type"),
        ChallengeParticipant.owner_id == bindparam("owner_id"),
    )


@cache
def _earned_stmt():
    return select(Badge.challenge_id).where(
        Badge.owner_type == bindparam("owner_type"), Badge.owner_id == bindparam("owner_id")
    )


def _percent(value: Decimal, goal: Decimal) -> int:
    if goal <= 0:
        return 100
    return int(min(Decimal(100), value * 100 / goal))


def _pupils(school_ids: set[int]) -> dict[int, tuple[str, int]]:
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(School.id, School.name, School.pupils).where(School.id.in_(school_ids))
    )
    return {sid: (name, pupils) for sid, name, pupils in rows}


def _standing(
    challenge: Challenge,
    owner_type: str,
    owner_id: int,
    total: Decimal,
    schools: dict[int, tuple[str, int]],
    name: str = "",
) -> Standing:
    total = Decimal(total or 0)
    if owner_type == "school":
        school_name, pupils = schools.get(owner_id, ("?", 0))
        per_pupil = (total / pupils).quantize(Decimal("0.001")) if pupils else Decimal(0)
        return Standing(
            owner_type,
            owner_id,
            school_name,
            total,
            pupils,
            per_pupil,
            _percent(per_pupil, challenge.target),
            per_pupil >= challenge.target,
        )
    return Standing(
        owner_type,
        owner_id,
        name,
        total,
        0,
        None,
        _percent(total, challenge.target),
        total >= challenge.target,
    )


def leaderboard(challenge: Challenge) -> list[Standing]:
    """Every participant ranked; residents who opted out are named anonymously."""
    rows = db.session.execute(
        _progress_stmt().where(ChallengeParticipant.challenge_id == challenge.id)
    ).all()
    resident_ids = {oid for _c, kind, oid, _t in rows if kind == "resident"}
    names: dict[int, str] = {}
    if resident_ids:
        anonymous = str(_l("Anonymous resident"))
        for uid, display, listed in db.session.execute(
            select(User.id, User.display_name, User.public_listing).where(User.id.in_(resident_ids))
        ):
            names[uid] = display if listed else anonymous
    schools = _pupils({oid for _c, kind, oid, _t in rows if kind == "school"})
    board = [
        _standing(challenge, kind, oid, total, schools, names.get(oid, ""))
        for _c, kind, oid, total in rows
    ]
    board.sort(key=lambda s: (s.owner_type != "school", -s.score, s.name))
    rank = {"school": 0, "resident": 0}
    for s in board:
        rank[s.owner_type] += 1
        s.rank = rank[s.owner_type]
    return board


def days_left(challenge: Challenge, today: date) -> int:
    """Days until the end (0 on the last day and after it)."""
    return max(0, (challenge.end_date - today).days)


def state(challenge: Challenge, today: date) -> str:
    """'upcoming', 'running' or 'finished'."""
    if today < challenge.start_date:
        return "upcoming"
    if today > challenge.end_date:
        return "finished"
    return "running"


def progress_of(owner_type: str, owner_id: int) -> list[tuple[Challenge, Standing]]:
    """The challenges an owner takes part in, each with its standing, newest first."""
    # On the session's connection (plain rows, no ORM execution layer: every saved entry
    # runs it); what it reads is never left pending - summaries are written by upserts
    # at once, memberships inside their own savepoint.
    rows = (
        db.session.connection()
        .execute(_owner_progress_stmt(), {"owner_type": owner_type, "owner_id": owner_id})
        .all()
    )
    if not rows:
        return []
    challenges = {
        c.id: c
        for c in db.session.scalars(select(Challenge).where(Challenge.id.in_([r[0] for r in rows])))
    }
    schools = _pupils({owner_id} if owner_type == "school" else set())
    result = [
        (challenges[cid], _standing(challenges[cid], kind, oid, total, schools))
        for cid, kind, oid, total in rows
    ]
    result.sort(key=lambda pair: (pair[0].end_date, pair[0].id), reverse=True)
    return result


def award_completed(owner_type: str, owner_id: int) -> list[Badge]:
    """Award a badge (and a notification) for every challenge the owner just completed."""
    awarded = award_new_badges(owner_type, owner_id)
    notify_badges(owner_type, owner_id, awarded)
    return [badge for badge, _challenge in awarded]


def award_new_badges(owner_type: str, owner_id: int) -> list[tuple[Badge, Challenge]]:
    """Add a badge for every challenge the owner has just completed (no notification:
    the write pipeline sends those in its own step, see notify_badges)."""
    completed = [c for c, standing in progress_of(owner_type, owner_id) if standing.completed]
    if not completed:
        return []  # the usual case: one read, no badge to look up
    earned = set(
        db.session.scalars(_earned_stmt(), {"owner_type": owner_type, "owner_id": owner_id})
    )
    new: list[tuple[Badge, Challenge]] = []
    for challenge in completed:
        if challenge.id in earned:
            continue
        badge = Badge(challenge_id=challenge.id, owner_type=owner_type, owner_id=owner_id)
        try:
            with db.session.begin_nested():
                db.session.add(badge)
        except IntegrityError:
            continue
        new.append((badge, challenge))
    return new


def notify_badges(owner_type: str, owner_id: int, awarded: list[tuple[Badge, Challenge]]) -> None:
    """Ring the owner's bell once per badge just awarded."""
    for _badge, challenge in awarded:
        notifications.notify_owner(
            owner_type,
            owner_id,
            notifications.CHALLENGE_COMPLETED,
            f"/community/challenges/{challenge.id}",
            title=challenge.title,
        )


def badges_of(owner_type: str, owner_id: int) -> list[Badge]:
    """The badges an owner earned, newest first."""
    return list(
        db.session.scalars(
            select(Badge)
            .where(Badge.owner_type == owner_type, Badge.owner_id == owner_id)
            .order_by(Badge.awarded_at.desc())
        )
    )


def listing(today: date, include_finished: bool = True) -> list[Challenge]:
    """Challenges, running and upcoming first."""
    stmt = select(Challenge)
    if not include_finished:
        stmt = stmt.where(Challenge.end_date >= today)
    challenges = list(db.session.scalars(stmt.order_by(Challenge.end_date.desc())))
    order = {"running": 0, "upcoming": 1, "finished": 2}
    challenges.sort(key=lambda c: (order[state(c, today)], c.end_date))
    return challenges


def participant_counts() -> dict[int, int]:
    """Number of participants per challenge (one grouped query)."""
    rows = db.session.execute(
        select(ChallengeParticipant.challenge_id, func.count()).group_by(
            ChallengeParticipant.challenge_id
        )
    )
    return {challenge_id: n for challenge_id, n in rows}
