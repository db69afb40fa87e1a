"""Eco-action logs: create, edit, delete and review, each audited and summarised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.log import REVIEW_REJECTED, REVIEW_STATES, EcoLog
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, RESIDENT, STAFF_ROLES, User
from greenapp.services import audit, stats, summary
from greenapp.services.clock import today_in
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.units import (
    CATEGORIES,
    EVIDENCE_KINDS,
    FRACTIONS,
    WASTE,
    to_canonical,
)

AUDITED_FIELDS = (
    "category", "fraction", "quantity_entered", "unit_entered", "quantity",
    "action_date", "evidence", "note",
)
NOTE_MAX = 1000
# A resident may log what they did in the week before registering, nothing older.
RESIDENT_GRACE_DAYS = 7


@dataclass
class LogInput:
    """What a user typed for a log, before validation."""

    category: str
    quantity: str
    unit: str
    action_date: date | None
    evidence: str
    fraction: str = ""
    note: str = ""


def resident_earliest_date(resident: User) -> date | None:
    """The earliest action date a resident may log: a week before registering."""
    if resident.created_at is None:
        return None
    tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    registered = resident.created_at.astimezone(tz).date()
    return registered - timedelta(days=RESIDENT_GRACE_DAYS)


def _validate(data: LogInput, school: School | None, resident: User | None = None) -> dict:
    """Check a LogInput against every rule; return the values to store."""
    if data.category not in CATEGORIES:
        raise ValidationFailed(_l("Choose a category."), "category")
    fraction = data.fraction or ""
    if data.category == WASTE and fraction not in FRACTIONS:
        raise ValidationFailed(_l("Choose which waste fraction was sorted."), "fraction")
    if data.category != WASTE:
        fraction = ""
    qty = to_canonical(data.category, data.quantity, data.unit)
    if data.evidence not in EVIDENCE_KINDS:
        raise ValidationFailed(_l("Choose the kind of evidence."), "evidence")
    if data.action_date is None:
        raise ValidationFailed(_l("Enter the date of the action."), "action_date")
    today = today_in(school.timezone if school else None)
    if data.action_date > today:
        raise ValidationFailed(_l("The date cannot be in the future."), "action_date")
    if school is not None and data.action_date < school.joined_on:
        raise ValidationFailed(
            _l("The date is before the school joined the programme (%(day)s).",
               day=format_date(school.joined_on, "long")),
            "action_date",
        )
    earliest = resident_earliest_date(resident) if resident is not None else None
    if earliest is not None and data.action_date < earliest:
        raise ValidationFailed(
            _l("The date is before you joined the Green Community; actions from %(day)s "
               "on can be logged.", day=format_date(earliest)),
            "action_date",
        )
    note = (data.note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(_l("The note is too long (1000 characters at most)."), "note")
    return {
        "category": data.category,
        "fraction": fraction,
        "quantity_entered": qty.entered,
        "unit_entered": qty.unit,
        "quantity": qty.canonical,
        "action_date": data.action_date,
        "evidence": data.evidence,
        "note": note,
    }


def owner_for(actor: User) -> School | User:
    """Return what the actor logs for: their school (coordinator) or themselves."""
    if actor.role == COORDINATOR and actor.school is not None:
        return actor.school
    if actor.role == RESIDENT:
        return actor
    raise PermissionDenied(_l("Only school coordinators and residents log eco-actions."))


def can_view(user: User, log: EcoLog) -> bool:
    """Owners, staff roles and admins may see a log."""
    if user.role in STAFF_ROLES:
        return True
    return can_edit(user, log)


def can_edit(user: User, log: EcoLog) -> bool:
    """Only the owner (the school's coordinator, or the resident) edits a log."""
    if user.role == COORDINATOR:
        return log.school_id is not None and log.school_id == user.school_id
    if user.role == RESIDENT:
        return log.resident_id == user.id
    return False


def validate(data: LogInput, school: School | None) -> dict:
    """The form's validation, for callers that check rows before storing (imports)."""
    return _validate(data, school)


def create_log(actor: User, data: LogInput, for_school: School | None = None) -> EcoLog:
    """Validate and store a new log for the actor's school or the actor.

    `for_school` lets an admin log for a chosen school (spreadsheet import); a
    coordinator may only name their own school.
    """
    if for_school is not None:
        if not (actor.role == ADMIN or (actor.role == COORDINATOR
                                        and actor.school_id == for_school.id)):
            raise PermissionDenied(_l("You cannot log eco-actions for this school."))
        owner: School | User = for_school
    else:
        owner = owner_for(actor)
    school = owner if isinstance(owner, School) else None
    values = _validate(data, school, None if school else actor)
    log = EcoLog(
        school_id=school.id if school else None,
        resident_id=None if school else actor.id,
        created_by_id=actor.id,
        **values,
    )
    db.session.add(log)
    db.session.flush()
    summary.add_log(log)
    audit.record("log", log.id, "create", actor, audit.diff({}, audit.snapshot(log, AUDITED_FIELDS)))
    _after_save(log)
    stats.bump_version()
    return log


def update_log(actor: User, log: EcoLog, data: LogInput, expected_version: int) -> EcoLog:
    """Apply an edit; refuse it if someone else saved the log in the meantime."""
    # Lock and re-read the row: a concurrent edit on PostgreSQL waits here, then sees
    # the new version and gets a Conflict instead of silently overwriting.
    db.session.refresh(log, with_for_update=True)
    if not can_edit(actor, log) or log.deleted_at is not None:
        raise PermissionDenied(_l("You cannot edit this entry."))
    if expected_version != log.version:
        raise Conflict(
            _l("Someone else changed this entry while you were editing it. "
               "Review their version below and make your change again.")
        )
    values = _validate(data, log.school, log.resident if log.school is None else None)
    before = audit.snapshot(log, AUDITED_FIELDS)
    old_key, old_qty, counted = summary.key_of(log), log.quantity, log.counts
    for name, value in values.items():
        setattr(log, name, value)
    changes = audit.diff(before, audit.snapshot(log, AUDITED_FIELDS))
    if not changes:
        return log
    log.version += 1
    if counted:
        summary.remove_state(old_key, old_qty)
        summary.add_log(log)
    audit.record("log", log.id, "update", actor, changes)
    _after_save(log)
    stats.bump_version()
    return log


def _after_save(log: EcoLog) -> None:
    """Community hook: flag implausible values, award completed challenges."""
    from greenapp.services import quality  # imported late: quality uses set_review

    quality.after_save(log)


def delete_log(actor: User, log: EcoLog, expected_version: int | None = None) -> None:
    """Soft-delete a log: it leaves totals but stays in the record and the audit."""
    db.session.refresh(log, with_for_update=True)  # see update_log: no lost updates
    if not can_edit(actor, log):
        raise PermissionDenied(_l("You cannot delete this entry."))
    if log.deleted_at is not None:
        return
    if expected_version is not None and expected_version != log.version:
        raise Conflict(_l("Someone else changed this entry; look at it again first."))
    soft_delete(actor, log)


def soft_delete(actor: User, log: EcoLog) -> None:
    """Take a log out of totals and mark it deleted, audited; the caller checked rights."""
    if log.deleted_at is not None:
        return
    if log.counts:
        summary.remove_state(summary.key_of(log), log.quantity)
    log.deleted_at = utcnow()
    log.deleted_by_id = actor.id
    log.version += 1
    audit.record("log", log.id, "delete", actor, {"deleted": [False, True]})
    stats.bump_version()


def set_review(actor: User, log: EcoLog, status: str, reason: str = "") -> EcoLog:
    """Change a log's review state, moving it in or out of totals as needed."""
    if status not in REVIEW_STATES:
        raise ValidationFailed(_l("Unknown review state."), "status")
    counted = log.counts
    before = {"review_status": log.review_status, "review_reason": log.review_reason}
    log.review_status = status
    log.review_reason = reason
    log.reviewed_by_id = actor.id if actor else None
    log.reviewed_at = utcnow()
    log.version += 1
    if counted and not log.counts:
        summary.remove_state(summary.key_of(log), log.quantity)
    elif log.counts and not counted:
        summary.add_log(log)
    after = {"review_status": status, "review_reason": reason}
    audit.record("log", log.id, "review", actor, audit.diff(before, after))
    stats.bump_version()
    return log


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
