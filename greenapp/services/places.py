"""Cities: the one list of places that schools, residents and tariffs refer to."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from greenapp.extensions import db
from greenapp.models.impact import Tariff
from greenapp.models.place import (
    COUNTRY_CURRENCY,
    COUNTRY_TIMEZONES,
    LANGS,
    City,
    find_city,
    normalise,
)
from greenapp.models.school import School
from greenapp.models.user import ADMIN, User
from greenapp.services import audit, cache
from greenapp.services.errors import PermissionDenied, ValidationFailed

FIELDS = ("name_en", "name_kk", "name_ru", "name_be", "aliases", "country", "timezone", "currency")
PRICED = ("water", "energy", "waste")


@dataclass
class CityInput:
    """What an admin typed for a city."""

    name_en: str
    name_kk: str
    name_ru: str
    name_be: str
    aliases: str
    country: str


@dataclass
class CitySummary:
    """A city with how many schools use it and which tariffs it lacks today."""

    city: City
    schools: int
    missing: list[str]


def all_cities() -> list[City]:
    """Every city, Kazakhstan first, then by English name."""
    return list(db.session.scalars(select(City).order_by(City.country.desc(), City.name_en)))


def summaries(today) -> list[CitySummary]:
    """Every city with its school count and missing tariffs (two grouped queries)."""
    counts: dict[int | None, int] = {
        cid: n
        for cid, n in db.session.execute(
            select(School.city_id, func.count(School.id)).group_by(School.city_id)
        ).all()
    }
    priced: dict[int, set[str]] = {}
    for city_id, category in db.session.execute(
        select(Tariff.city_id, Tariff.category).where(Tariff.valid_from <= today).distinct()
    ):
        priced.setdefault(city_id, set()).add(category)
    return [
        CitySummary(
            c, int(counts.get(c.id, 0)), [p for p in PRICED if p not in priced.get(c.id, set())]
        )
        for c in all_cities()
    ]


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def save_city(actor: User, data: CityInput, city: City | None = None) -> City:
    """Add a city or change its names; every spelling must mean one city only."""
    if actor.role != ADMIN:
        raise PermissionDenied(_l("Only admins manage cities."))
    names = {lang: _clean(getattr(data, f"name_{lang}")) for lang in LANGS}
    if not names["en"]:
        raise ValidationFailed(_l("Enter the city's name in English."), "name_en")
    for lang, name in names.items():
        if len(name) > 80:
            raise ValidationFailed(_l("At most 80 characters."), f"name_{lang}")
        if any(ord(ch) < 32 for ch in name):
            raise ValidationFailed(_l("Remove the control characters."), f"name_{lang}")
    if data.country not in COUNTRY_TIMEZONES:
        raise ValidationFailed(_l("Choose the country."), "country")
    aliases = [_clean(a) for a in (data.aliases or "").splitlines() if _clean(a)]
    if any(ord(ch) < 32 for a in aliases for ch in a):
        raise ValidationFailed(_l("Remove the control characters."), "aliases")
    if any(len(a) > 80 for a in aliases) or len(aliases) > 30:
        raise ValidationFailed(_l("At most 30 other spellings of 80 characters each."), "aliases")
    fields = {f"name_{lang}": name for lang, name in names.items()} | {
        "aliases": [a for a in aliases if a]
    }
    for field_name, value in fields.items():
        for text in value if isinstance(value, list) else [value]:
            other = find_city(db.session, text) if text else None
            if other is not None and other is not city:
                raise ValidationFailed(
                    _l("“%(name)s” already means %(city)s.", name=text, city=other.display_name),
                    field_name,
                )
    before = audit.snapshot(city, FIELDS) if city else {}
    creating = city is None
    if city is None:
        city = City(country=data.country)
        db.session.add(city)
    elif city.country != data.country and db.session.scalar(
        select(func.count(School.id)).where(School.city_id == city.id)
    ):
        raise ValidationFailed(
            _l(
                "Schools in this city use its country's currency; it cannot move to "
                "another country."
            ),
            "country",
        )
    for lang, name in names.items():
        setattr(city, f"name_{lang}", name or (names["en"] if lang != "en" else name))
    city.aliases = "\n".join(dict.fromkeys(aliases, None))
    city.country = data.country
    city.timezone = COUNTRY_TIMEZONES[data.country]
    city.currency = COUNTRY_CURRENCY[data.country]
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(city, FIELDS))
    if changes:
        audit.record("city", city.id, "create" if creating else "update", actor, changes)
        cache.invalidate_everything()  # city names appear on every cached dashboard
    return city


__all__ = ["CityInput", "all_cities", "normalise", "save_city", "summaries"]
