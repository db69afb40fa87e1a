"""CO2e avoided and money saved, with the factor or tariff valid on each day.

Typed API (for dashboards and the economists' savings report)::

    from greenapp.services.impact import co2e_avoided, money_saved
    from greenapp.services.stats import Scope

    scope = Scope(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
                  city_id=1)                   # or school_ids=(3, 5), country="BY",
                                               # owner_type="resident", categories=(...)
    co2e_avoided(scope, by=("period", "category"), grain="month")
    -> [Co2eRow(key={"period": date(2025, 1, 1), "category": "energy"},
                quantity=Decimal("1234.5"), kg_co2e=Decimal("785.142"),
                unpriced_quantity=Decimal(0)), ...]
    money_saved(scope, by=("period", "category"))
    -> [MoneyRow(key={...}, currency="KZT", quantity=..., amount=Decimal(...),
                 unpriced_quantity=...), ...]

`by` is any subset of ("period", "category", "fraction", "owner", "city",
"country"); `owner` is the school id, `city` the id of a `cities` row. Money rows always carry their currency and
are never summed across currencies. A figure for a day uses the latest factor or
tariff with valid_from <= that day, so adding one from today on never moves past
totals. Quantities that have no factor/tariff on their day (e.g. outreach, or days
before the first valid_from) are reported in `unpriced_quantity`, not guessed.

Factors and tariffs are edited with add_factor/update_factor and
add_tariff/update_tariff (scientists/admins and economists/admins), each audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.impact import (
    CONSUMER_CLASSES,
    SOURCE_FIELDS,
    VAT_CHOICES,
    ImpactFactor,
    Tariff,
)
from greenapp.models.place import COUNTRY_CURRENCY, City
from greenapp.models.school import School
from greenapp.models.user import User
from greenapp.permissions import FACTOR_EDITORS, TARIFF_EDITORS
from greenapp.services import audit, cache
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.numbers import current_locale, parse_number
from greenapp.services.stats import (
    OWNER_RESIDENT,
    OWNER_SCHOOL,
    Scope,
    aggregate,
    month_start,
)
from greenapp.services.units import CATEGORIES, FRACTIONS, WASTE

FACTOR_ROLES = FACTOR_EDITORS  # role groups are defined in permissions.py
TARIFF_ROLES = TARIFF_EDITORS
TARIFF_CATEGORIES = ("water", "energy", "waste")
COUNTRIES = ("KZ", "BY")
FACTOR_FIELDS = (
    "country",
    "category",
    "fraction",
    "kg_co2e_per_unit",
    "source",
    "valid_from",
    *SOURCE_FIELDS,
)
TARIFF_FIELDS = (
    "city",
    "city_id",
    "country",
    "currency",
    "category",
    "fraction",
    "price_per_unit",
    "source",
    "valid_from",
    "vat",
    "consumer_class",
    *SOURCE_FIELDS,
)
VAT_LABELS = {
    "incl": _l("including VAT"),
    "excl": _l("without VAT"),
    "none": _l("not subject to VAT"),
    "unknown": _l("VAT not stated"),
    "": _l("VAT not stated"),
}
CONSUMER_LABELS = {
    "budget": _l("budget organisations"),
    "legal": _l("legal entities"),
    "household": _l("households"),
    "": _l("payer not stated"),
}
SOURCE_LABELS = {
    "src_publisher": _l("Publisher"),
    "src_title": _l("Dataset or document"),
    "src_edition": _l("Edition or year"),
    "src_table": _l("Table or sheet"),
    "src_value": _l("Value as published"),
    "src_unit": _l("Unit as published"),
    "src_conversion": _l("Conversion applied"),
    "gas_basis": _l("Gas basis"),
    "method": _l("Method"),
    "estimate_note": _l("Estimate note"),
}
SOURCE_LIMITS = {
    "src_publisher": 160,
    "src_title": 240,
    "src_edition": 80,
    "src_table": 160,
    "src_value": 40,
    "src_unit": 60,
    "src_conversion": 240,
    "gas_basis": 120,
    "method": 240,
    "estimate_note": 1000,
}
BY_KEYS = ("period", "category", "fraction", "owner", "city", "country")


@dataclass
class Co2eRow:
    """kg CO2e avoided for one group of the requested keys."""

    key: dict[str, Any]
    quantity: Decimal = Decimal(0)
    kg_co2e: Decimal = Decimal(0)
    unpriced_quantity: Decimal = Decimal(0)


@dataclass
class MoneyRow:
    """Money saved for one group of the requested keys, in one currency."""

    key: dict[str, Any]
    currency: str
    quantity: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    unpriced_quantity: Decimal = Decimal(0)


@dataclass
class _Lookup:
    """Rates per key, sorted by valid_from, to find the one valid on a day."""

    rates: dict[tuple, list[tuple[date, Decimal, str]]] = field(default_factory=dict)

    def add(self, key: tuple, valid_from: date, rate: Decimal, currency: str = "") -> None:
        self.rates.setdefault(key, []).append((valid_from, rate, currency))

    def boundaries(self) -> list[date]:
        return sorted({v for lst in self.rates.values() for v, _, _ in lst})

    def at(self, key: tuple, day: date | None) -> tuple[Decimal, str] | None:
        best = None
        if day is None:
            return None
        for valid_from, rate, currency in self.rates.get(key, ()):
            if valid_from <= day and (best is None or valid_from >= best[0]):
                best = (valid_from, rate, currency)
        return (best[1], best[2]) if best else None


def _factor_lookup() -> _Lookup:
    lookup = _Lookup()
    for f in db.session.scalars(select(ImpactFactor)):
        lookup.add((f.country, f.category, f.fraction or ""), f.valid_from, f.kg_co2e_per_unit)
    return lookup


def _tariff_lookup() -> _Lookup:
    lookup = _Lookup()
    for t in db.session.scalars(select(Tariff)):
        lookup.add(
            (t.city_id, t.category, t.fraction or ""), t.valid_from, t.price_per_unit, t.currency
        )
    return lookup


def _segment_start(bounds: list[date], segment: int) -> date | None:
    return bounds[segment - 1] if segment > 0 else None


def _check_by(by: Sequence[str]) -> tuple[str, ...]:
    bad = [k for k in by if k not in BY_KEYS]
    if bad:
        raise ValueError(f"unknown keys {bad}")
    return tuple(by)


def co2e_avoided(
    scope: Scope, by: Sequence[str] = ("period", "category"), grain: str = "month"
) -> list[Co2eRow]:
    """kg CO2e avoided per group of `by`, each day at the factor valid on it."""
    by = _check_by(by)
    lookup = _factor_lookup()
    bounds = lookup.boundaries()
    keys = tuple(dict.fromkeys((*by, "category", "fraction", "country", "segment")))
    out: dict[tuple, Co2eRow] = {}
    for r in aggregate(scope, keys, grain, bounds):
        k = tuple(r[x] for x in by)
        row = out.get(k)
        if row is None:
            row = out[k] = Co2eRow(key={x: r[x] for x in by})
        row.quantity += r["quantity"]
        rate = lookup.at(
            (r["country"], r["category"], r["fraction"] or ""), _segment_start(bounds, r["segment"])
        )
        if rate is None:
            row.unpriced_quantity += r["quantity"]
        else:
            row.kg_co2e += r["quantity"] * rate[0]
    return _sorted(out.values())


def money_saved(
    scope: Scope, by: Sequence[str] = ("period", "category"), grain: str = "month"
) -> list[MoneyRow]:
    """Money saved per group of `by` and currency, each day at the tariff valid on it."""
    by = _check_by(by)
    lookup = _tariff_lookup()
    bounds = lookup.boundaries()
    keys = tuple(dict.fromkeys((*by, "category", "fraction", "city", "country", "segment")))
    out: dict[tuple, MoneyRow] = {}
    for r in aggregate(scope, keys, grain, bounds):
        rate = lookup.at(
            (r["city"], r["category"], r["fraction"] or ""), _segment_start(bounds, r["segment"])
        )
        currency = rate[1] if rate else COUNTRY_CURRENCY.get(r["country"], "")
        k = (*(r[x] for x in by), currency)
        row = out.get(k)
        if row is None:
            row = out[k] = MoneyRow(key={x: r[x] for x in by}, currency=currency)
        row.quantity += r["quantity"]
        if rate is None:
            row.unpriced_quantity += r["quantity"]
        else:
            row.amount += r["quantity"] * rate[0]
    return _sorted(out.values())


def _sorted(rows):
    return sorted(
        rows,
        key=lambda r: tuple(
            (v is None, str(v)) for v in (*r.key.values(), getattr(r, "currency", ""))
        ),
    )


def totals_by_currency(rows: Sequence[MoneyRow]) -> dict[str, Decimal]:
    """Sum money rows per currency (never across currencies)."""
    out: dict[str, Decimal] = {}
    for r in rows:
        out[r.currency] = out.get(r.currency, Decimal(0)) + r.amount
    return out


# --- editing factors and tariffs ---------------------------------------------------


@dataclass
class FactorInput:
    """What a scientist typed for a CO2e factor."""

    country: str
    category: str
    fraction: str
    value: str
    source: str
    valid_from: date | None
    details: dict[str, str] = field(default_factory=dict)  # SOURCE_FIELDS


@dataclass
class TariffInput:
    """What an economist typed for a tariff."""

    city_id: int | None
    category: str
    fraction: str
    value: str
    source: str
    valid_from: date | None
    vat: str = ""
    consumer_class: str = ""
    details: dict[str, str] = field(default_factory=dict)  # SOURCE_FIELDS


def _parse_rate(text: str, field_name: str) -> Decimal:
    value = parse_number(text, current_locale(), field_name)
    if value < 0:
        raise ValidationFailed(_l("Enter zero or a positive number."), field_name)
    if value.adjusted() > 9:
        raise ValidationFailed(_l("This number is far too large."), field_name)
    if value.quantize(Decimal("0.000001")) != value:
        raise ValidationFailed(_l("At most 6 decimal places."), field_name)
    return value.quantize(Decimal("0.000001"))


def _check_common(
    category: str, fraction: str, source: str, valid_from: date | None, categories: Sequence[str]
) -> str:
    if category not in categories:
        raise ValidationFailed(_l("Choose a category."), "category")
    fraction = fraction or ""
    if category == WASTE and fraction not in FRACTIONS:
        raise ValidationFailed(_l("Choose which waste fraction this is for."), "fraction")
    if category != WASTE:
        fraction = ""
    if not (source or "").strip():
        raise ValidationFailed(_l("Say where this figure comes from."), "source")
    if len(source) > 1000:
        raise ValidationFailed(_l("The source is too long (1000 characters at most)."), "source")
    if valid_from is None:
        raise ValidationFailed(_l("Enter the date from which it is valid."), "valid_from")
    return fraction


def list_factors() -> list[ImpactFactor]:
    """Every factor, newest first within each key."""
    stmt = select(ImpactFactor).order_by(
        ImpactFactor.country,
        ImpactFactor.category,
        ImpactFactor.fraction,
        ImpactFactor.valid_from.desc(),
    )
    return list(db.session.scalars(stmt))


def _details(data: FactorInput | TariffInput) -> dict[str, str]:
    out = {}
    for name in SOURCE_FIELDS:
        value = (
            " ".join((data.details.get(name) or "").split())
            if name != ("estimate_note")
            else (data.details.get(name) or "").strip()
        )
        if len(value) > SOURCE_LIMITS[name]:
            raise ValidationFailed(
                _l("This is too long (%(n)s characters at most).", n=SOURCE_LIMITS[name]), name
            )
        if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
            raise ValidationFailed(_l("Remove the control characters."), name)
        out[name] = value
    return out


def list_tariffs() -> list[Tariff]:
    """Every tariff, newest first within each key."""
    stmt = select(Tariff).order_by(
        Tariff.country.desc(),
        Tariff.city,
        Tariff.category,
        Tariff.fraction,
        Tariff.valid_from.desc(),
    )
    return list(db.session.scalars(stmt))


def _duplicate(model, obj_id: int | None, **key) -> bool:
    stmt = select(model.id).where(*(getattr(model, k) == v for k, v in key.items()))
    if obj_id is not None:
        stmt = stmt.where(model.id != obj_id)
    return db.session.scalar(stmt) is not None


def save_factor(actor: User, data: FactorInput, factor: ImpactFactor | None = None) -> ImpactFactor:
    """Add a factor (factor=None) or correct one; audited."""
    if actor.role not in FACTOR_ROLES:
        raise PermissionDenied(_l("Only scientists and admins change CO2e factors."))
    if data.country not in COUNTRIES:
        raise ValidationFailed(_l("Choose a country."), "country")
    cats = tuple(c for c in CATEGORIES if c != "outreach")
    fraction = _check_common(data.category, data.fraction, data.source, data.valid_from, cats)
    value = _parse_rate(data.value, "value")
    details = _details(data)
    if _duplicate(
        ImpactFactor,
        factor.id if factor else None,
        country=data.country,
        category=data.category,
        fraction=fraction,
        valid_from=data.valid_from,
    ):
        raise ValidationFailed(
            _l("There is already a factor for this from that date; edit that one."), "valid_from"
        )
    before = audit.snapshot(factor, FACTOR_FIELDS) if factor else {}
    if factor is None:
        factor = ImpactFactor(created_by_id=actor.id)
        db.session.add(factor)
    factor.country, factor.category, factor.fraction = data.country, data.category, fraction
    factor.kg_co2e_per_unit = value
    factor.source = data.source.strip()
    factor.valid_from = data.valid_from  # type: ignore[assignment]
    for name, text in details.items():
        setattr(factor, name, text)
    _record(actor, "impact_factor", factor, before, FACTOR_FIELDS)
    return factor


def save_tariff(actor: User, data: TariffInput, tariff: Tariff | None = None) -> Tariff:
    """Add a tariff (tariff=None) or correct one; audited."""
    if actor.role not in TARIFF_ROLES:
        raise PermissionDenied(_l("Only economists and admins change tariffs."))
    city = db.session.get(City, data.city_id) if data.city_id else None
    if city is None:
        raise ValidationFailed(_l("Choose a city from the list."), "city_id")
    fraction = _check_common(
        data.category, data.fraction, data.source, data.valid_from, TARIFF_CATEGORIES
    )
    value = _parse_rate(data.value, "value")
    if data.vat not in VAT_CHOICES:
        raise ValidationFailed(_l("Say whether the price includes VAT."), "vat")
    if data.consumer_class not in CONSUMER_CLASSES:
        raise ValidationFailed(_l("Choose who pays this price."), "consumer_class")
    details = _details(data)
    if _duplicate(
        Tariff,
        tariff.id if tariff else None,
        city_id=city.id,
        category=data.category,
        fraction=fraction,
        valid_from=data.valid_from,
    ):
        raise ValidationFailed(
            _l("There is already a tariff for this from that date; edit that one."), "valid_from"
        )
    before = audit.snapshot(tariff, TARIFF_FIELDS) if tariff else {}
    if tariff is None:
        tariff = Tariff(created_by_id=actor.id)
        db.session.add(tariff)
    tariff.city_ref = city
    tariff.city_id, tariff.city, tariff.country = city.id, city.name_en, city.country
    tariff.currency = city.currency
    tariff.category, tariff.fraction = data.category, fraction
    tariff.price_per_unit = value
    tariff.source = data.source.strip()
    tariff.valid_from = data.valid_from  # type: ignore[assignment]
    tariff.vat, tariff.consumer_class = data.vat, data.consumer_class
    for name, text in details.items():
        setattr(tariff, name, text)
    _record(actor, "tariff", tariff, before, TARIFF_FIELDS)
    return tariff


def _record(
    actor: User, entity: str, row: ImpactFactor | Tariff, before: dict, fields: tuple[str, ...]
) -> None:
    """Audit what changed and, if anything did, invalidate the cached figures of the
    schools it prices (those of the factor's country or the tariff's city, before and
    after the change) and of the programme - the last write of the transaction."""
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(row, fields))
    if changes:
        audit.record(entity, row.id, "update" if before else "create", actor, changes)
        place = School.country if entity == "impact_factor" else School.city_id
        name = "country" if entity == "impact_factor" else "city_id"
        places = {row.country if entity == "impact_factor" else row.city_id, before.get(name)} - {
            None
        }
        ids = db.session.scalars(select(School.id).where(place.in_(places)))
        cache.invalidate([cache.PROGRAMME, *(cache.school_scope(i) for i in ids)])


# --- which months a back-dated factor or tariff changes ------------------------------


def _next_start(model, key: dict, after: date, skip_id: int | None) -> date | None:
    stmt = select(model.valid_from).where(
        *(getattr(model, k) == v for k, v in key.items()), model.valid_from > after
    )
    if skip_id is not None:
        stmt = stmt.where(model.id != skip_id)
    return db.session.scalar(stmt.order_by(model.valid_from).limit(1))


def months_changed(
    kind: str,
    *,
    category: str,
    fraction: str,
    valid_from: date,
    today: date,
    country: str | None = None,
    city_id: int | None = None,
    row_id: int | None = None,
    old_from: date | None = None,
    new_rate: Decimal | None = None,
) -> list[date]:
    """Months up to today whose figures a new (or corrected) row changes.

    A row applies from its valid_from until the next row of the same key; a correction
    (row_id, old_from) also changes the months its old date covered. Only months with
    entries of that category (and fraction) in that country or city are listed, found
    by SQL sums per month, never by reading logs.
    """
    model = ImpactFactor if kind == "factor" else Tariff
    fraction = fraction if category == WASTE else ""
    key: dict[str, Any] = {"category": category, "fraction": fraction}
    if kind == "factor":
        key["country"] = country
    else:
        key["city_id"] = city_id
    if old_from is None and new_rate is not None:
        rate_col = model.kg_co2e_per_unit if kind == "factor" else model.price_per_unit
        stmt = select(rate_col).where(
            *(getattr(model, k) == v for k, v in key.items()), model.valid_from <= valid_from
        )
        if row_id is not None:
            stmt = stmt.where(model.id != row_id)
        before = db.session.scalar(stmt.order_by(model.valid_from.desc()).limit(1))
        if before == new_rate:
            return []  # the same rate as the row it follows: no figure moves
    start = min(valid_from, old_from) if old_from else valid_from
    end = _next_start(model, key, max(valid_from, old_from or valid_from), row_id)
    last = today if end is None else min(today, end - timedelta(days=1))
    if start > last:
        return []
    months: set[date] = set()
    for owner_type in (OWNER_SCHOOL, OWNER_RESIDENT):
        scope = Scope(date_from=start, date_to=last, owner_type=owner_type, categories=(category,))
        for r in aggregate(scope, ("period", "fraction", "city", "country")):
            if not r["quantity"] or (fraction and r["fraction"] != fraction):
                continue
            if (kind == "factor" and r["country"] == country) or (
                kind == "tariff" and r["city"] == city_id
            ):
                months.add(month_start(r["period"]))
    return sorted(months)


def factor_lookup() -> _Lookup:
    """Every CO2e factor, keyed (country, category, fraction); `.at(key, day)`."""
    return _factor_lookup()


def tariff_lookup() -> _Lookup:
    """Every tariff, keyed (city, category, fraction); `.at(key, day)` -> (rate, currency)."""
    return _tariff_lookup()
