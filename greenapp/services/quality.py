"""Data quality: implausible logs are flagged when saved; scientists verify or reject.

The rule: a log is implausible when its quantity is more than 5 times the median of
its owner's counted logs in the same category over the 90 days up to its date, and
the owner has at least 5 such earlier logs to compare with. Count and median are
computed in SQL (a COUNT, then the middle row(s) by ORDER BY ... OFFSET), both read
from the index (owner, category, action_date) INCLUDE (quantity), so the check costs the
same at 10M logs as at 1M. Flagging and decisions are stored by services/pipeline.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select

from greenapp.extensions import db
from greenapp.models.log import (
    REVIEW_FLAGGED,
    REVIEW_OK,
    REVIEW_REJECTED,
    REVIEW_VERIFIED,
    EcoLog,
)
from greenapp.models.user import User
from greenapp.permissions import QUALITY_REVIEWERS
from greenapp.services.errors import PermissionDenied, ValidationFailed

FACTOR = Decimal(5)
WINDOW_DAYS = 90
MIN_PRIOR = 5
REASON_MAX = 500
REVIEWERS = QUALITY_REVIEWERS  # kept for callers; defined in permissions.py


@cache
def _peers(by_school: bool) -> Select:
    """The quantities compared with (bound: owner, category, log id, date window).

    Built once per kind of owner: every saved entry runs it, and SQLAlchemy then reuses
    the compiled statement instead of building it and its cache key each time."""
    owner = EcoLog.school_id if by_school else EcoLog.resident_id
    return select(EcoLog.quantity).where(
        owner == bindparam("owner"),
        EcoLog.category == bindparam("category"),
        EcoLog.id != bindparam("log_id"),
        EcoLog.deleted_at.is_(None),
        EcoLog.review_status != REVIEW_REJECTED,
        EcoLog.action_date <= bindparam("day"),
        EcoLog.action_date > bindparam("since"),
    )


@cache
def _count(by_school: bool) -> Select:
    return select(func.count()).select_from(_peers(by_school).subquery())


@cache
def _middle(by_school: bool) -> Select:
    return (
        _peers(by_school)
        .order_by(EcoLog.quantity)
        .offset(bindparam("skip"))
        .limit(bindparam("take"))
    )


def usual_value(log: EcoLog) -> tuple[int, Decimal | None]:
    """(number of earlier logs compared with, their median) for this log's owner."""
    return usual_for(log.school_id is not None, log.owner_id, log.category, log.action_date, log.id)


def usual_for(
    by_school: bool, owner_id: int, category: str, day: date, log_id: int | None = None
) -> tuple[int, Decimal | None]:
    """(number of logs compared with, their median) for an owner, category and date;
    `log_id` (a stored log) is left out of its own comparison."""
    params = {
        "owner": owner_id,
        "category": category,
        "log_id": log_id if log_id is not None else 0,  # ids start at 1: none left out
        "day": day,
        "since": day - timedelta(days=WINDOW_DAYS),
    }
    n = db.session.scalar(_count(by_school), params) or 0
    if n < MIN_PRIOR:
        return n, None
    middle = list(
        db.session.scalars(_middle(by_school), {**params, "skip": (n - 1) // 2, "take": 2 - n % 2})
    )
    return n, sum(middle, Decimal(0)) / len(middle)


def is_implausible(log: EcoLog) -> bool:
    """True if a counted, unreviewed log is far above its owner's usual value."""
    if log.review_status != REVIEW_OK or log.deleted_at is not None:
        return False
    _n, median = usual_value(log)
    return median is not None and log.quantity > FACTOR * median


def is_implausible_new(by_school: bool, owner_id: int, values: dict) -> bool:
    """is_implausible for an entry about to be stored (a new entry is unreviewed), from
    its validated values: the same comparison, read before the entry is written."""
    _n, median = usual_for(by_school, owner_id, values["category"], values["action_date"])
    return median is not None and values["quantity"] > FACTOR * median


def queue() -> Select:
    """Flagged logs waiting for a scientist, oldest first."""
    return (
        select(EcoLog)
        .where(EcoLog.review_status == REVIEW_FLAGGED, EcoLog.deleted_at.is_(None))
        .order_by(EcoLog.created_at, EcoLog.id)
    )


def check_decision(actor: User, log: EcoLog, decision: str, reason: str) -> str:
    """Refuse a decision the rules do not allow; return the cleaned reason.

    Only scientists decide; rejecting needs a reason the owner will see. The decision
    itself is stored by services/pipeline.py (review_log).
    """
    if actor.role not in REVIEWERS:
        raise PermissionDenied(_l("Only scientists review the quality of entries."))
    if log.deleted_at is not None:
        raise ValidationFailed(_l("This entry was deleted."), "decision")
    if decision not in (REVIEW_VERIFIED, REVIEW_REJECTED):
        raise ValidationFailed(_l("Choose verify or reject."), "decision")
    reason = (reason or "").strip()
    if decision == REVIEW_REJECTED and not reason:
        raise ValidationFailed(
            _l("Say why the entry is rejected; its owner will see it."), "reason"
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_l("The reason is too long (500 characters at most)."), "reason")
    return reason
