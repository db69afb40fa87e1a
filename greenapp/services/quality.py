"""Data quality: implausible logs are flagged when saved; scientists verify or reject.

The rule: a log is implausible when its quantity is more than 5 times the median of
its owner's latest counted logs in the same category (the latest 300 of those dated in
the 90 days up to its date; latest = newest date first, and on one day the larger
quantities first), and the owner has at least 5 such logs to compare with. Count and
median are computed in SQL (a COUNT, then the middle row(s) by ORDER BY ... OFFSET; for
an entry about to be saved, one pass deciding "median < quantity / 5" without the
median, see is_implausible_new), read from the index alone, walked backwards from the
entry's date: (owner, category, action_date, quantity, review_status, deleted_at),
models/cache.py. The cap is what makes a write cost the same for every owner: a school
logging a few entries a day never reaches it, and a busy owner (an import, a benchmark
logging thousands of entries a day) reads 300 index entries, not its whole 90 days.
Flagging and decisions are stored by services/pipeline.py; services/bulk_write.py
applies the same rule to a whole import in one sweep.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Select, Subquery, bindparam, case, func, select, type_coerce

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
LATEST = 300  # at most this many of the window's entries, the latest, are compared with
REASON_MAX = 500
REVIEWERS = QUALITY_REVIEWERS  # kept for callers; defined in permissions.py


@cache
def _peers(by_school: bool) -> Subquery:
    """The quantities compared with, as a subquery (bound: owner, category, log id, date
    window, cap): the latest `cap` in the window, in the index's order walked backwards
    (date, then quantity, both descending), so the read stops after `cap` index entries.
    Equal (date, quantity) pairs are interchangeable: which of them is taken never
    changes the values compared with.

    Built once per kind of owner: every saved entry runs it, and SQLAlchemy then reuses
    the compiled statement instead of building it and its cache key each time."""
    owner = EcoLog.school_id if by_school else EcoLog.resident_id
    return (
        select(EcoLog.quantity)
        .where(
            owner == bindparam("owner"),
            EcoLog.category == bindparam("category"),
            EcoLog.id != bindparam("log_id"),
            EcoLog.deleted_at.is_(None),
            EcoLog.review_status != REVIEW_REJECTED,
            EcoLog.action_date <= bindparam("day"),
            EcoLog.action_date > bindparam("since"),
        )
        .order_by(EcoLog.action_date.desc(), EcoLog.quantity.desc())
        .limit(bindparam("cap"))
        .subquery()
    )


@cache
def _count(by_school: bool) -> Select:
    return select(func.count()).select_from(_peers(by_school))


@cache
def _middle(by_school: bool) -> Select:
    v = _peers(by_school).c.quantity
    return select(v).order_by(v).offset(bindparam("skip")).limit(bindparam("take"))


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
        "cap": LATEST,
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


@cache
def _split(by_school: bool) -> Select:
    """One pass over the peers around t = quantity / 5: how many, how many below t, the
    largest below t and the smallest at or above it. No sort, no second query. "v < t"
    is asked as "5 v < quantity": quantities are stored as scaled integers, so the
    comparison stays exact (no division)."""
    v = _peers(by_school).c.quantity
    stored = type_coerce(v, BigInteger)  # the scaled integer itself (5, not 5 x 1000)
    below = stored * int(FACTOR) < bindparam("quantity", type_=EcoLog.__table__.c.quantity.type)
    return select(
        func.count(),
        func.count(case((below, 1))),
        func.max(case((below, v))),
        func.min(case((~below, v))),
    )


def is_implausible_new(by_school: bool, owner_id: int, values: dict) -> bool:
    """is_implausible for an entry about to be stored (a new entry is unreviewed), from
    its validated values: the same rule, read before the entry is written, in one pass.

    "quantity > 5 x median" is "median < t" with t = quantity / 5. With n peers sorted
    v1 <= ... <= vn and b of them below t: for odd n the median is v[(n+1)/2], below t
    exactly when b >= (n+1)/2; for even n it is (v[n/2] + v[n/2+1]) / 2, below t when
    b > n/2, never when b < n/2, and when b = n/2 (then v[n/2] is the largest value
    below t and v[n/2+1] the smallest at or above it) when their sum is below 2t. So
    the count and median of usual_for are not needed: each write reads its window once
    (at most LATEST index entries, whatever the owner's number of entries)."""
    day = values["action_date"]
    # On the session's connection: a plain row, without the ORM's execution layer
    # (nothing is pending: the entry is not stored yet).
    n, below, top_below, least_above = (
        db.session.connection()
        .execute(
            _split(by_school),
            {
                "owner": owner_id,
                "category": values["category"],
                "log_id": 0,  # ids start at 1: the new entry is not stored yet
                "day": day,
                "since": day - timedelta(days=WINDOW_DAYS),
                "quantity": values["quantity"],
                "cap": LATEST,
            },
        )
        .one()
    )
    if n < MIN_PRIOR:
        return False
    if n % 2:
        return below >= (n + 1) // 2
    if below != n // 2:
        return below > n // 2
    return FACTOR * (top_below + least_above) < 2 * values["quantity"]


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
