"""Schools: creation and edits by admins, with audit records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from greenapp.extensions import db
from greenapp.models.impact import Tariff
from greenapp.models.place import City, known_city
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import User
from greenapp.services import audit, cache, locking, summary
from greenapp.services.clock import today_in
from greenapp.services.errors import ValidationFailed
from greenapp.services.units import CATEGORIES, parse_decimal

FIELDS = ("name", "city", "city_id", "country", "address", "pupils", "joined_on")
PRICED = ("water", "energy", "waste")  # categories a tariff gives money to


@dataclass
class SchoolInput:
    """What an admin typed for a school."""

    name: str
    city: str  # any spelling of a city in the cities table
    country: str  # ignored: the city decides the country (kept for older callers)
    address: str
    pupils: int
    joined_on: date
    targets: dict[str, str] = field(default_factory=dict)  # category -> typed number


def _targets(data: SchoolInput) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for category in CATEGORIES:
        text = (data.targets.get(category) or "").strip()
        if not text:
            continue
        try:
            value = parse_decimal(text)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, f"target_{category}") from None
        if value < 0:
            raise ValidationFailed(_l("A target cannot be negative."), f"target_{category}")
        result[category] = value.quantize(Decimal("0.001"))
    return result


def _check(data: SchoolInput, school: School | None) -> City:
    city = known_city(db.session, data.city or "")
    if city is None:
        raise ValidationFailed(
            _l(
                "There is no city called “%(name)s”. Choose one from the list, or ask an "
                "admin to add it on the Cities page.",
                name=(data.city or "").strip()[:80],
            ),
            "city",
        )
    if data.pupils is None or data.pupils < 1:
        raise ValidationFailed(_l("Enter the number of pupils."), "pupils")
    clash = db.session.scalar(select(School).where(School.name == data.name.strip()))
    if clash is not None and clash is not school:
        raise ValidationFailed(_l("A school with this name already exists."), "name")
    return city


def save_school(actor: User, data: SchoolInput, school: School | None = None) -> School:
    """Create a school, or update one, recording what changed."""
    city = _check(data, school)
    targets = _targets(data)
    creating = school is None
    if school is None:
        school = School(name=data.name.strip(), joined_on=data.joined_on, city="", country="")
        db.session.add(school)
    if not creating:
        # An entry being saved holds its school's row (FOR KEY SHARE, services/summary.py):
        # a move of the school's sums waits for it, and reads the place as stored.
        locking.lock(school)
    before = {} if creating else audit.snapshot(school, FIELDS)
    before_targets = {} if creating else {t.category: str(t.quantity) for t in school.targets}
    school.name = data.name.strip()
    school.city_ref = city
    school.city, school.country = city.name_en, city.country
    school.address = data.address.strip()
    school.pupils = data.pupils
    school.joined_on = data.joined_on
    school.timezone = city.timezone
    existing = {t.category: t for t in school.targets}
    for category in CATEGORIES:
        if category in targets:
            if category in existing:
                existing[category].quantity = targets[category]
            else:
                school.targets.append(SchoolTarget(category=category, quantity=targets[category]))
        elif category in existing:
            school.targets.remove(existing[category])
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(school, FIELDS))
    after_targets = {c: str(v) for c, v in targets.items()}
    for category in CATEGORIES:
        if before_targets.get(category) != after_targets.get(category):
            changes[f"target_{category}"] = [
                before_targets.get(category),
                after_targets.get(category),
            ]
    if changes:
        audit.record("school", school.id, "create" if creating else "update", actor, changes)
        if not creating and ("city_id" in changes or "country" in changes):
            # The programme rollup is per city: move this school's sums to its new place.
            summary.move_school(
                school.id, (before["city_id"], before["country"]), (school.city_id, school.country)
            )
        # Name, pupils and targets are inputs of this school's figures and of the
        # programme's; the last write of the transaction (one lock order for writers).
        cache.invalidate([cache.school_scope(school.id), cache.PROGRAMME])
    return school


def missing_tariffs(city: City, today: date | None = None) -> list[str]:
    """Categories that no tariff of the city prices today (money saved would be 0)."""
    today = today or today_in()
    have = set(
        db.session.scalars(
            select(Tariff.category)
            .where(Tariff.city_id == city.id, Tariff.valid_from <= today)
            .distinct()
        )
    )
    return [c for c in PRICED if c not in have]


def all_schools() -> list[School]:
    """Every school, by country, city and name."""
    stmt = (
        select(School)
        .options(selectinload(School.coordinators))
        .order_by(School.country, School.city, School.name)
    )
    return list(db.session.scalars(stmt))
