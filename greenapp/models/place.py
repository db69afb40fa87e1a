"""Cities: one row per real city, named in every interface language.

Schools, residents and tariffs refer to a city by id, so "Кызылорда", "Қызылорда"
and "Kyzylorda" are one place with one set of tariffs and one line on the charts.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, utcnow

COUNTRY_TIMEZONES = {"KZ": "Asia/Qyzylorda", "BY": "Europe/Minsk"}
COUNTRY_CURRENCY = {"KZ": "KZT", "BY": "BYN"}
# The Green Community (residents) is the community of this city unless told otherwise.
COMMUNITY_CITY = "Kyzylorda"
LANGS = ("en", "kk", "ru", "be")
# The programme's cities with their names and common spellings; migration h3_cities
# seeds the same rows, and a name typed before a city row exists resolves to these.
KNOWN_CITIES = [
    {
        "name_en": "Kyzylorda",
        "name_kk": "Қызылорда",
        "name_ru": "Кызылорда",
        "name_be": "Кызылорда",
        "country": "KZ",
        "aliases": "Qyzylorda\nKzyl-Orda\nKyzyl-Orda\nKzyl Orda\nКзыл-Орда\nКзыл-Арда\n"
        "Кызыл-Орда\nКызыл Орда\nQizilorda",
    },
    {
        "name_en": "Minsk",
        "name_kk": "Минск",
        "name_ru": "Минск",
        "name_be": "Мінск",
        "country": "BY",
        "aliases": "Mensk\nМенск\nMinsk city\nг. Минск\nг.Минск",
    },
]


def normalise(text: str) -> str:
    """A key for matching a typed city name: case, accents-as-typed, spaces, dashes."""
    text = unicodedata.normalize("NFC", text or "").casefold().replace("ё", "е")
    text = re.sub(r"[\s\-‐-―'’`.]+", "", text)
    return text


class City(db.Model):
    """A city with its names in kk/ru/be/en, country, time zone and currency."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(80), unique=True)
    name_kk: Mapped[str] = mapped_column(String(80), default="")
    name_ru: Mapped[str] = mapped_column(String(80), default="")
    name_be: Mapped[str] = mapped_column(String(80), default="")
    # Other spellings people type (one per line), matched after normalise().
    aliases: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    def name(self, locale: str | None = None) -> str:
        """The city's name in a language (English if that one is empty)."""
        lang = (locale or "en")[:2]
        value = getattr(self, f"name_{lang}", "") if lang in LANGS else ""
        return value or self.name_en

    @property
    def display_name(self) -> str:
        """The name in the current interface language."""
        return self.name(_current_locale())

    def spellings(self) -> set[str]:
        """Every normalised spelling that means this city."""
        names = [
            self.name_en,
            self.name_kk,
            self.name_ru,
            self.name_be,
            *(self.aliases or "").splitlines(),
        ]
        return {normalise(n) for n in names if n and n.strip()}

    def __repr__(self) -> str:
        return f"<City {self.name_en}>"


def _current_locale() -> str:
    try:
        from flask_babel import get_locale

        loc = get_locale()
        return str(loc) if loc else "en"
    except (RuntimeError, KeyError, AttributeError):
        return "en"


def find_city(session: Session | scoped_session[Any], text: str) -> City | None:
    """The city a typed name means (any language or known spelling), if any."""
    key = normalise(text)
    if not key:
        return None
    with session.no_autoflush:
        pending = [o for o in session.new if isinstance(o, City)]
        for city in [*pending, *session.scalars(select(City))]:
            if key in city.spellings():
                return city
    return None


def known_city(session: Session | scoped_session[Any], text: str) -> City | None:
    """The city a typed name means, from the table or the programme's known cities;
    None for a name nobody has added yet (nothing is created for it)."""
    city = find_city(session, text)
    if city is None and any(normalise(text) in _known_spellings(k) for k in KNOWN_CITIES):
        city = city_for(session, text)
    return city


def _known_spellings(known: dict) -> set[str]:
    names = [known[f"name_{lang}"] for lang in LANGS]
    return {normalise(n) for n in (*names, *known["aliases"].splitlines()) if n.strip()}


def city_for(session: Session | scoped_session[Any], text: str, country: str | None = None) -> City:
    """The city a typed name means; an unknown name becomes its own city row."""
    city = find_city(session, text)
    if city is None:
        key = normalise(text)
        for known in KNOWN_CITIES:
            if key in _known_spellings(known):
                country = known["country"]
                city = City(
                    **known, timezone=COUNTRY_TIMEZONES[country], currency=COUNTRY_CURRENCY[country]
                )
                session.add(city)
                return city
        country = country if country in COUNTRY_TIMEZONES else "KZ"
        name = " ".join((text or "").split())[:80] or "?"
        city = City(
            name_en=name,
            name_kk=name,
            name_ru=name,
            name_be=name,
            country=country,
            timezone=COUNTRY_TIMEZONES[country],
            currency=COUNTRY_CURRENCY[country],
            aliases="",
        )
        session.add(city)
    return city


@event.listens_for(Session, "before_flush")
def _link_cities(session: Session, _flush_context, _instances) -> None:
    """Give every school, tariff and resident a city row (one truth for places).

    Code that still sets the old text field (imports, tests, older callers) gets the
    matching city; the text field then always holds the city's English name.
    """
    from greenapp.models.impact import Tariff
    from greenapp.models.school import School
    from greenapp.models.user import RESIDENT, User

    with session.no_autoflush:
        _link(session, School, Tariff, User, RESIDENT)


def _link(session: Session, School, Tariff, User, RESIDENT) -> None:  # noqa: N803
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, School | Tariff):
            ref = obj.city_ref
            typed = obj.city or ""
            if ref is None or (typed and normalise(typed) not in ref.spellings()):
                ref = obj.city_ref = city_for(session, typed, obj.country)
            obj.city = ref.name_en
            obj.country = ref.country
            if isinstance(obj, School):
                obj.timezone = ref.timezone
            else:
                obj.currency = ref.currency
        elif (
            isinstance(obj, User)
            and obj.role == RESIDENT
            and obj.city_id is None
            and obj.city_ref is None
        ):
            obj.city_ref = city_for(session, COMMUNITY_CITY, "KZ")
