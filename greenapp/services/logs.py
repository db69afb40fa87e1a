"""Eco-action logs: the public API for features and tests.

Writing goes through the one write sequence in services/pipeline.py (re-exported here
as create_log, update_log, delete_log, set_review); the typing and access rules live in
services/log_rules.py; reading lists and totals is below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, false, func, select

from greenapp.extensions import db
from greenapp.models.log import REVIEW_REJECTED, EcoLog
from greenapp.models.user import ADMIN, COORDINATOR, RESIDENT, STAFF_ROLES, User
from greenapp.services.log_rules import (  # noqa: F401 - the public API of logs
    AUDITED_FIELDS,
    NOTE_MAX,
    RESIDENT_GRACE_DAYS,
    LogInput,
    can_edit,
    can_view,
    owner_for,
    resident_earliest_date,
    validate,
)
from greenapp.services.pipeline import (  # noqa: F401 - the public API of logs
    create_log,
    delete_log,
    set_review,
    soft_delete,
    update_log,
)


@dataclass
class LogFilter:
    """Filters for a log list."""

    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    include_deleted: bool = False


def visible_logs(user: User, flt: LogFilter) -> Select:
    """Return a select() of the logs this user may see, filtered and newest first."""
    stmt = select(EcoLog)
    if user.role == COORDINATOR:
        stmt = stmt.where(EcoLog.school_id == user.school_id)
    elif user.role == RESIDENT:
        stmt = stmt.where(EcoLog.resident_id == user.id)
    elif user.role not in STAFF_ROLES and user.role != ADMIN:
        stmt = stmt.where(false())
    if not flt.include_deleted:
        stmt = stmt.where(EcoLog.deleted_at.is_(None))
    if flt.date_from:
        stmt = stmt.where(EcoLog.action_date >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(EcoLog.action_date <= flt.date_to)
    if flt.category:
        stmt = stmt.where(EcoLog.category == flt.category)
    return stmt.order_by(EcoLog.action_date.desc(), EcoLog.id.desc())


def totals_by_category(stmt: Select) -> dict[str, Decimal]:
    """The canonical total per category of the counted logs a select() finds.

    Like every dashboard: deleted and rejected entries are listed but never counted.
    """
    sub = stmt.order_by(None).subquery()
    rows = db.session.execute(
        select(sub.c.category, func.sum(sub.c.quantity))
        .where(sub.c.deleted_at.is_(None), sub.c.review_status != REVIEW_REJECTED)
        .group_by(sub.c.category)
    )
    return {cat: Decimal(total) for cat, total in rows}
