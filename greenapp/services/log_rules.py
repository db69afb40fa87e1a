"""The rules of an eco-action log: what may be typed, and who may see or edit it.

No writes here: services/pipeline.py stores what these rules accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from greenapp import permissions
from greenapp.extensions import db
from greenapp.models.base import load_one
from greenapp.models.log import EcoLog
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, RESIDENT, User
from greenapp.services import meters
from greenapp.services.clock import today_in
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.units import (
    CATEGORIES,
    EVIDENCE_KINDS,
    FRACTIONS,
    WASTE,
    to_canonical,
)

AUDITED_FIELDS = (
    "category",
    "fraction",
    "quantity_entered",
    "unit_entered",
    "quantity",
    "action_date",
    "evidence",
    "note",
)
NOTE_MAX = 1000
METERED = "metered"
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
    # The offline queue's idempotency key (a UUID the browser made); None from other paths.
    client_uuid: str | None = None


def resident_earliest_date(resident: User) -> date | None:
    """The earliest action date a resident may log: a week before registering."""
    if resident.created_at is None:
        return None
    tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    registered = resident.created_at.astimezone(tz).date()
    return registered - timedelta(days=RESIDENT_GRACE_DAYS)


def validate(data: LogInput, school: School | None, resident: User | None = None) -> dict:
    """Check a LogInput against every rule; return the values to store.

    Also the check an import runs on each row before storing anything.
    """
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
            _l(
                "The date is before the school joined the programme (%(day)s).",
                day=format_date(school.joined_on, "long"),
            ),
            "action_date",
        )
    earliest = resident_earliest_date(resident) if resident is not None else None
    if earliest is not None and data.action_date < earliest:
        raise ValidationFailed(
            _l(
                "The date is before you joined the Green Community; actions from %(day)s "
                "on can be logged.",
                day=format_date(earliest),
            ),
            "action_date",
        )
    if data.evidence == METERED:
        _check_metered(data.category, data.action_date, school, resident)
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


def _check_metered(category: str, day: date, school: School | None, resident: User | None) -> None:
    """ "Metered reading" is a claim that the figure comes from readings: the owner has a
    meter measuring the category (water; electricity, heat or gas for energy) with
    readings, or a bill, around the action date. A typed claim alone cannot be metered."""
    if category not in meters.METERED_BY:
        raise ValidationFailed(
            _l("Only water and energy can be metered. Choose another kind of evidence."), "evidence"
        )
    if school is None and resident is None:
        return
    if not meters.readings_cover(
        category,
        day,
        school_id=school.id if school is not None else None,
        resident_id=resident.id if school is None and resident is not None else None,
    ):
        raise ValidationFailed(
            _l(
                "“Metered reading” needs meter readings around the action date "
                "(%(day)s): no meter of yours for this category has readings before and "
                "after it. Enter the readings on the Meters page, or choose another kind "
                "of evidence.",
                day=format_date(day),
            ),
            "evidence",
        )


def owner_for(actor: User) -> School | User:
    """Return what the actor logs for: their school (coordinator) or themselves."""
    if actor.role == COORDINATOR and actor.school_id is not None:
        # Every saved entry asks: one Core read of the row, not the ORM's lazy load.
        school = load_one(db.session, School, actor.school_id)
        if school is not None:
            return school
    if actor.role == RESIDENT:
        return actor
    raise PermissionDenied(_l("Only school coordinators and residents log eco-actions."))


def can_view(user: User, log: EcoLog) -> bool:
    """Owners and staff roles may see a log (the rule lives in permissions.py)."""
    return permissions.can_view(log, user)


def can_edit(user: User, log: EcoLog) -> bool:
    """Only the owner (the school's coordinator, or the resident) edits a log."""
    return permissions.can_edit(log, user)
