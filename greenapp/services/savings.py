"""Economists: money saved per month and category (per school, per pupil, for the
community), CSV export, and the what-if calculator at today's tariffs.

Built on greenapp.services.impact (money_saved with the tariff valid on each day) and
greenapp.services.stats.Scope; money is never summed across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from greenapp.extensions import db
from greenapp.main.guards import bounded_int
from greenapp.models.impact import Tariff
from greenapp.models.place import City
from greenapp.models.school import COUNTRY_CURRENCY, School
from greenapp.models.user import RESIDENT, User
from greenapp.services import impact, stats
from greenapp.services.downloads import csv_text
from greenapp.services.errors import ValidationFailed
from greenapp.services.stats import Scope
from greenapp.services.units import (
    CANONICAL_UNIT,
    CATEGORIES,
    CATEGORY_LABELS,
    COUNT_CATEGORIES,
    UNIT_SHORT,
    parse_decimal,
)

CENT = Decimal("0.01")
COMMUNITY = "community"
ALL_SCHOOLS = "schools"
EPOCH = date(2000, 1, 1)


@dataclass
class ReportRow:
    """Money saved in one month and category, in one currency."""

    month: date
    category: str
    currency: str
    quantity: Decimal
    amount: Decimal
    per_pupil: Decimal | None
    unpriced: Decimal


@dataclass
class Report:
    """A savings report for one subject over a period."""

    subject: str
    title: str
    pupils: int
    rows: list[ReportRow]
    totals: dict[str, Decimal]
    pupils_by_currency: dict[str, int]
    unpriced: dict[str, Decimal]  # category -> quantity with no tariff on its day
    # The tariffs that priced the period: says with or without VAT, and for which payer.
    tariffs: list[Tariff] = field(default_factory=list)

    def per_pupil(self, currency: str, amount: Decimal) -> Decimal | None:
        """Money per pupil of the schools that pay in this currency."""
        pupils = self.pupils_by_currency.get(currency)
        return (amount / pupils).quantize(CENT) if pupils else None


def owner_impact(owner_type: str, owner_id: int, today: date) -> dict:
    """All-time CO2e avoided and money saved of one resident or school, up to its local today."""
    scope = Scope(date_from=EPOCH, date_to=today, owner_type=owner_type, school_ids=(owner_id,))
    co2 = impact.co2e_avoided(scope, by=())
    money = impact.totals_by_currency(impact.money_saved(scope, by=()))
    kg = sum((r.kg_co2e for r in co2), Decimal(0))
    return {
        "co2e_kg": kg.quantize(Decimal("0.001")) if kg else None,
        "money": {c: a.quantize(CENT) for c, a in money.items() if a},
    }


def subjects() -> list[tuple[str, str]]:
    """What a report can be about: the community, all schools, or one school."""
    options = [
        (COMMUNITY, str(_l("Green Community (residents)"))),
        (ALL_SCHOOLS, str(_l("All schools"))),
    ]
    options += [
        (str(sid), name)
        for sid, name in db.session.execute(select(School.id, School.name).order_by(School.name))
    ]
    return options


def report(subject: str, date_from: date, date_to: date) -> Report:
    """Money saved per month and category for a subject, with per-pupil figures."""
    if date_to < date_from:
        raise ValidationFailed(_l("The end date cannot be before the start date."), "date_to")
    if subject == COMMUNITY:
        scope = Scope(date_from=date_from, date_to=date_to, owner_type="resident")
        by_currency: dict = {}
        title = str(_l("Green Community (residents)"))
        city_ids = list(
            db.session.scalars(select(User.city_id).where(User.role == RESIDENT).distinct())
        )
    elif subject == ALL_SCHOOLS:
        scope = Scope(date_from=date_from, date_to=date_to)
        city_ids = list(db.session.scalars(select(School.city_id).distinct()))
        title = str(_l("All schools"))
        by_currency = {}
        for country, pupils in db.session.execute(
            select(School.country, func.sum(School.pupils)).group_by(School.country)
        ):
            currency = COUNTRY_CURRENCY.get(country, "")
            by_currency[currency] = by_currency.get(currency, 0) + int(pupils or 0)
    else:
        # ASCII digits only ("٣".isdigit() is True) and no id a database cannot hold.
        school_id = bounded_int(subject)
        school = db.session.get(School, school_id) if school_id is not None else None
        if school is None:
            raise ValidationFailed(_l("Choose a school from the list."), "subject")
        scope = Scope(date_from=date_from, date_to=date_to, school_ids=(school.id,))
        city_ids = [school.city_id]
        title = school.name
        by_currency = {COUNTRY_CURRENCY.get(school.country, ""): school.pupils}
    rep = Report(
        subject,
        title,
        sum(by_currency.values()),
        [],
        {},
        by_currency,
        {},
        tariffs_used([c for c in city_ids if c is not None], date_from, date_to),
    )
    for r in impact.money_saved(scope, by=("period", "category")):
        if r.unpriced_quantity:
            rep.unpriced[r.key["category"]] = (
                rep.unpriced.get(r.key["category"], Decimal(0)) + r.unpriced_quantity
            )
        if r.quantity == r.unpriced_quantity:
            continue  # nothing priced in this row (e.g. outreach): listed in `unpriced`
        rep.rows.append(
            ReportRow(
                month=r.key["period"],
                category=r.key["category"],
                currency=r.currency,
                quantity=r.quantity,
                amount=r.amount.quantize(CENT),
                per_pupil=rep.per_pupil(r.currency, r.amount),
                unpriced=r.unpriced_quantity,
            )
        )
    # Round once: each row is rounded to the cent, and the printed total is the sum of
    # the printed rows, so the page and the CSV always add up.
    for row in rep.rows:
        rep.totals[row.currency] = rep.totals.get(row.currency, Decimal(0)) + row.amount
    rep.totals = {c: a for c, a in rep.totals.items() if a}
    return rep


def to_csv(rep: Report) -> str:
    """The report as CSV in the reader's language: one row per month, category and
    currency, then one total row per currency (the sum of the rows above it)."""
    header = [
        _l("Report for"),
        _l("Month"),
        _l("Category"),
        _l("Quantity"),
        _l("Unit"),
        _l("Currency"),
        _l("Money saved"),
        _l("Money saved per pupil"),
        _l("Quantity without a tariff"),
    ]
    rows: list[list[object]] = [
        [
            rep.title,
            r.month.strftime("%Y-%m"),
            str(CATEGORY_LABELS[r.category]),
            r.quantity,
            str(UNIT_SHORT[CANONICAL_UNIT[r.category]]),
            r.currency,
            r.amount,
            "" if r.per_pupil is None else r.per_pupil,
            r.unpriced,
        ]
        for r in rep.rows
    ]
    for currency, total in sorted(rep.totals.items()):
        rows.append(
            [
                rep.title,
                "",
                str(_l("Total")),
                "",
                "",
                currency,
                total,
                "" if rep.per_pupil(currency, total) is None else rep.per_pupil(currency, total),
                "",
            ]
        )
    return csv_text([str(h) for h in header], rows)


@dataclass
class WhatIf:
    """The answer of the what-if calculator."""

    city: str
    category: str
    percent: Decimal
    schools: int
    pupils: int
    yearly_use: Decimal
    saved_quantity: Decimal
    price: Decimal | None
    currency: str
    money: Decimal | None
    tariff_from: date | None


def cities() -> list[str]:
    """Cities that have schools (their English names, the what-if form's values)."""
    return [c.name_en for c in stats.cities()]


def city_choices() -> list[tuple[str, str]]:
    """(value, name in the interface language) for every city with schools."""
    return [(c.name_en, c.display_name) for c in stats.cities()]


def tariff_today(city_id: int, category: str, today: date) -> Tariff | None:
    """The tariff valid today for a city and category (whole category, no fraction)."""
    return db.session.scalar(
        select(Tariff)
        .where(
            Tariff.city_id == city_id,
            Tariff.category == category,
            Tariff.fraction == "",
            Tariff.valid_from <= today,
        )
        .order_by(Tariff.valid_from.desc())
        .limit(1)
    )


def tariffs_used(city_ids: list[int] | None, date_from: date, date_to: date) -> list[Tariff]:
    """The tariffs that price some day of the period (with their VAT and payer class)."""
    stmt = select(Tariff).where(Tariff.valid_from <= date_to)
    if city_ids is not None:
        stmt = stmt.where(Tariff.city_id.in_(city_ids))
    rows = list(
        db.session.scalars(
            stmt.order_by(Tariff.city, Tariff.category, Tariff.fraction, Tariff.valid_from)
        )
    )
    out = []
    for i, t in enumerate(rows):  # tariff rows (a few dozen), not logs
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        same = nxt is not None and (nxt.city_id, nxt.category, nxt.fraction) == (
            t.city_id,
            t.category,
            t.fraction,
        )
        if not (same and nxt is not None and nxt.valid_from <= date_from):
            out.append(t)
    return out


def what_if(city: str, category: str, percent_text: str, use_text: str, today: date) -> WhatIf:
    """If every school of a city cut its yearly use of a category by percent."""
    place = (
        db.session.scalar(select(City).where(City.name_en == city)) if (city in cities()) else None
    )
    if place is None:
        raise ValidationFailed(_l("Choose a city from the list."), "city")
    if category not in CATEGORIES or category in COUNT_CATEGORIES:
        raise ValidationFailed(_l("Choose water, energy or waste."), "category")
    try:
        percent = parse_decimal(percent_text)
    except ValidationFailed:
        raise ValidationFailed(_l("Enter a percentage between 0 and 100."), "percent") from None
    if not Decimal(0) < percent <= Decimal(100):
        raise ValidationFailed(_l("Enter a percentage between 0 and 100."), "percent")
    try:
        per_pupil = parse_decimal(use_text)
    except ValidationFailed:
        raise ValidationFailed(
            _l("Enter the yearly use per pupil, for example 12000."), "use_per_pupil"
        ) from None
    if per_pupil <= 0 or per_pupil.adjusted() > 9:
        raise ValidationFailed(
            _l("Enter the yearly use per pupil, for example 12000."), "use_per_pupil"
        )
    schools, pupils = db.session.execute(
        select(func.count(School.id), func.coalesce(func.sum(School.pupils), 0)).where(
            School.city_id == place.id
        )
    ).one()
    yearly = per_pupil * int(pupils)
    saved = (yearly * percent / 100).quantize(Decimal("0.001"))
    tariff = tariff_today(place.id, category, today)
    money = (saved * tariff.price_per_unit).quantize(CENT) if tariff else None
    return WhatIf(
        place.display_name,
        category,
        percent,
        int(schools),
        int(pupils),
        yearly,
        saved,
        tariff.price_per_unit if tariff else None,
        tariff.currency if tariff else "",
        money,
        tariff.valid_from if tariff else None,
    )
