"""Meters, readings and measured savings against each school's own baseline.

A reading is what the meter (or the bill) shows, in the meter's unit. Consumption is
derived, never typed: between two consecutive index readings taken on days d0 < d1 the
difference is the use of days d0 .. d1-1, spread over those days pro rata; a bill's
amount is spread over its period (first to last day, inclusive). A replacement or a
rollover is an explicit reading: the old meter's last index closes its interval and
the new meter's starting index opens the next one, so consumption is never negative.

Everything is exact Decimal arithmetic. Monthly parts are rounded to 0.001 of the
canonical unit by the largest-remainder rule, so the parts of an interval always add up
to exactly its total.

    measured(school, "water", date(2025, 9, 1), date(2026, 8, 31))
    -> Measured(kind="water", unit="L", months=[MeasuredMonth(month=date(2025, 9, 1),
                actual=Decimal(...), baseline=Decimal(...), saving=Decimal(...)), ...],
                saving=..., percent=Decimal("12.5"), co2e=..., money={"KZT": ...})

Measured savings are never added to reported (logged) savings: the dashboards show the
two side by side (see `reported_alongside`).
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.meters import (
    BASELINE_MODES,
    BASELINE_PREVIOUS_YEAR,
    BASELINE_YEAR_BEFORE,
    ELECTRICITY_METER,
    GAS_METER,
    HEAT_METER,
    METER_KINDS,
    READING_BILL,
    READING_INDEX,
    READING_KINDS,
    READING_REPLACEMENT,
    REVIEW_DISMISSED,
    REVIEW_OPEN,
    REVIEW_VERIFIED,
    WATER_METER,
    CityTemperature,
    Meter,
    MeterBaseline,
    MeterReading,
)
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, RESIDENT, SCIENTIST, STAFF_ROLES, User
from greenapp.services import audit, cache, locking, stats
from greenapp.services.clock import today_in
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.units import parse_decimal

GCAL_IN_KWH = Decimal(1163)  # 1 Gcal = 1.163 MWh exactly (international steam table)
METER_LABELS = {
    WATER_METER: _l("Water"),
    ELECTRICITY_METER: _l("Electricity"),
    HEAT_METER: _l("District heat"),
    GAS_METER: _l("Gas"),
}
# Units a meter's dial may show, with the exact factor to the kind's canonical unit.
METER_UNITS: dict[str, dict[str, Decimal]] = {
    WATER_METER: {"m3": Decimal(1000), "L": Decimal(1)},
    ELECTRICITY_METER: {"kWh": Decimal(1)},
    HEAT_METER: {"Gcal": GCAL_IN_KWH, "kWh": Decimal(1)},
    GAS_METER: {"m3": Decimal(1)},
}
CANONICAL = {WATER_METER: "L", ELECTRICITY_METER: "kWh", HEAT_METER: "kWh", GAS_METER: "m3"}
UNIT_NAMES = {"m3": _l("m³"), "L": _l("L"), "kWh": _l("kWh"), "Gcal": _l("Gcal")}
# The log category whose reported (logged) figures stand beside a kind's measured ones.
IMPACT_CATEGORY = {WATER_METER: "water", ELECTRICITY_METER: "energy"}
# The versioned CO2e factor and tariff (category, sub-kind) that price a kind's measured
# saving in its canonical unit: heat (kWh, from Gcal at exactly 1,163) and gas (m³) have
# rows of their own under "energy"; a kind without a row is shown as not priced.
IMPACT_KEY = {
    WATER_METER: ("water", ""),
    ELECTRICITY_METER: ("energy", ""),
    HEAT_METER: ("energy", "heat"),
    GAS_METER: ("energy", "gas"),
}
# What a log entry's category may be metered by (evidence "metered").
METERED_BY = {"water": (WATER_METER,), "energy": (ELECTRICITY_METER, HEAT_METER, GAS_METER)}
READING_LABELS = {
    READING_INDEX: _l("Meter index"),
    READING_BILL: _l("Bill for a period"),
    READING_REPLACEMENT: _l("Meter replaced or rolled over"),
}
BASELINE_LABELS = {
    BASELINE_YEAR_BEFORE: _l("The full year before the school joined"),
    BASELINE_PREVIOUS_YEAR: _l("The same months of the previous year"),
}
JUMP_FACTOR = Decimal(5)  # a reading above 5x the median daily use is flagged
JUMP_MIN_INTERVALS = 3
STEP = Decimal("0.001")
MAX_DIGITS = 12
EDIT_ROLES = (COORDINATOR,)


def _invalidate(school_id: int | None) -> None:
    """Meter data feeds the school's measured section and the programme's ranking:
    move those two cache scopes (the last write of the transaction). A household
    meter feeds no cached page."""
    if school_id is not None:
        cache.invalidate([cache.school_scope(school_id), cache.PROGRAMME])


def parse_number(text: str, field_name: str) -> Decimal:
    """Parse a typed number; the one place to swap in the strict locale-aware parser."""
    try:
        return parse_decimal(text)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field_name) from None


def _meter_value(text: str, field_name: str) -> Decimal:
    value = parse_number(text, field_name)
    if value < 0:
        raise ValidationFailed(_l("A meter value cannot be negative."), field_name)
    if value.adjusted() >= MAX_DIGITS:
        raise ValidationFailed(_l("This number is far too large."), field_name)
    if value != value.quantize(Decimal("0.000001")):
        raise ValidationFailed(_l("At most 6 decimal places."), field_name)
    return value


# --- who may do what ----------------------------------------------------------------


def can_view_school(user: User, school_id: int) -> bool:
    """The school's coordinator and staff roles see its meters and readings."""
    if user.role in STAFF_ROLES:
        return True
    return user.role == COORDINATOR and user.school_id == school_id


def can_edit_school(user: User, school_id: int) -> bool:
    """Only the school's own coordinator enters meters, readings and the baseline."""
    return user.role == COORDINATOR and user.school_id == school_id


def _require_edit(actor: User, school_id: int | None) -> None:
    if not can_edit_school(actor, school_id or 0):
        raise PermissionDenied(_l("Only this school's coordinator enters meter data."))


def can_view_meter(user: User, meter: Meter) -> bool:
    """A school meter: as its school. A household meter: its resident only."""
    if meter.resident_id is not None:
        return user.role == RESIDENT and user.id == meter.resident_id
    return meter.school_id is not None and can_view_school(user, meter.school_id)


def can_edit_meter(user: User, meter: Meter) -> bool:
    """The school's coordinator, or the household's resident."""
    if meter.resident_id is not None:
        return user.role == RESIDENT and user.id == meter.resident_id
    return meter.school_id is not None and can_edit_school(user, meter.school_id)


def _require_meter_edit(actor: User, meter: Meter) -> None:
    if not can_edit_meter(actor, meter):
        raise PermissionDenied(_l("Only this school's coordinator enters meter data."))


def meter_timezone(meter: Meter) -> str | None:
    """The time zone a meter's dates are read in (its school's; the default at home)."""
    return meter.school.timezone if meter.school is not None else None


# --- meters and readings ------------------------------------------------------------


@dataclass
class MeterInput:
    """What a coordinator typed for a new meter."""

    kind: str
    unit: str
    name: str
    serial: str = ""


def add_meter(actor: User, school: School | None, data: MeterInput) -> Meter:
    """Add a meter to a school (its own coordinator only), or with no school to the
    resident's own household."""
    if school is None:
        if actor.role != RESIDENT:
            raise PermissionDenied(_l("Only residents have household meters."))
    else:
        _require_edit(actor, school.id)
    if data.kind not in METER_KINDS:
        raise ValidationFailed(_l("Choose what the meter measures."), "kind")
    if data.unit not in METER_UNITS[data.kind]:
        raise ValidationFailed(_l("This unit does not fit the meter."), "unit")
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed(_l("Give the meter a name, e.g. 'Main water meter'."), "name")
    meter = Meter(
        school_id=school.id if school else None,
        resident_id=None if school else actor.id,
        kind=data.kind,
        unit=data.unit,
        name=name[:120],
        serial=(data.serial or "").strip()[:60],
        created_by_id=actor.id,
    )
    db.session.add(meter)
    db.session.flush()
    audit.record(
        "meter",
        meter.id,
        "create",
        actor,
        {"kind": [None, meter.kind], "unit": [None, meter.unit], "name": [None, meter.name]},
    )
    _invalidate(meter.school_id)
    return meter


def edit_meter(actor: User, meter: Meter, name: str, serial: str) -> None:
    """Rename a meter or correct its serial number (kind and unit stay: readings
    depend on them)."""
    _require_meter_edit(actor, meter)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_l("Give the meter a name, e.g. 'Main water meter'."), "name")
    before = {"name": meter.name, "serial": meter.serial}
    meter.name, meter.serial = name[:120], (serial or "").strip()[:60]
    changes = audit.diff(before, {"name": meter.name, "serial": meter.serial})
    if changes:
        audit.record("meter", meter.id, "update", actor, changes)
        _invalidate(meter.school_id)


def set_archived(actor: User, meter: Meter, archived: bool) -> None:
    """Archive a meter taken out of service (its readings stay, it leaves the
    figures), or bring it back."""
    _require_meter_edit(actor, meter)
    if (meter.archived_at is not None) == archived:
        return
    meter.archived_at = utcnow() if archived else None
    audit.record("meter", meter.id, "update", actor, {"archived": [not archived, archived]})
    _invalidate(meter.school_id)


@dataclass
class ReadingInput:
    """What a coordinator typed for a reading, before validation."""

    kind: str
    reading_date: date | None
    value: str
    period_start: date | None = None
    old_final: str = ""
    new_serial: str = ""
    note: str = ""


def readings_of(meter_id: int) -> list[MeterReading]:
    """A meter's current readings in the order they were taken."""
    stmt = (
        select(MeterReading)
        .where(
            MeterReading.meter_id == meter_id,
            MeterReading.deleted_at.is_(None),
            MeterReading.review_status != REVIEW_DISMISSED,
        )
        .order_by(MeterReading.reading_date, MeterReading.id)
    )
    return list(db.session.scalars(stmt))


def dismissed_readings(meter_id: int) -> list[MeterReading]:
    """A meter's readings a scientist dismissed as misreadings (kept, not counted)."""
    return list(
        db.session.scalars(
            select(MeterReading)
            .where(
                MeterReading.meter_id == meter_id,
                MeterReading.deleted_at.is_(None),
                MeterReading.review_status == REVIEW_DISMISSED,
            )
            .order_by(MeterReading.reading_date, MeterReading.id)
        )
    )


def _last_index(readings: Sequence[MeterReading]) -> MeterReading | None:
    chain = [r for r in readings if r.kind != READING_BILL]
    return chain[-1] if chain else None


def index_after(reading: MeterReading) -> Decimal:
    """The index a meter shows right after this reading (new index after a replacement)."""
    return reading.value


def add_reading(actor: User, meter: Meter, data: ReadingInput) -> MeterReading:
    """Validate and store a reading; implausible jumps are stored but flagged."""
    _require_meter_edit(actor, meter)
    locking.lock(meter)  # the chain checked below is the one the reading joins
    if meter.archived_at is not None:
        raise ValidationFailed(
            _l("This meter is archived; bring it back into service before entering readings."),
            "kind",
        )
    if data.kind not in READING_KINDS:
        raise ValidationFailed(_l("Choose what kind of reading this is."), "kind")
    if data.reading_date is None:
        raise ValidationFailed(_l("Enter the date of the reading."), "reading_date")
    today = today_in(meter_timezone(meter))
    if data.reading_date > today:
        raise ValidationFailed(_l("The date cannot be in the future."), "reading_date")
    existing = readings_of(meter.id)
    bills = [r for r in existing if r.kind == READING_BILL]
    chain = [r for r in existing if r.kind != READING_BILL]
    value = _meter_value(data.value, "value")
    reading = MeterReading(
        meter_id=meter.id,
        kind=data.kind,
        reading_date=data.reading_date,
        value=value,
        note=(data.note or "").strip()[:1000],
        created_by_id=actor.id,
    )
    if data.kind == READING_BILL:
        _check_bill(data, value, bills, chain)
        reading.period_start = data.period_start
    else:
        if bills:
            raise ValidationFailed(
                _l(
                    "This meter is entered from bills; enter index readings on a meter of "
                    "their own so nothing is counted twice."
                ),
                "kind",
            )
        last = chain[-1] if chain else None
        if data.kind == READING_REPLACEMENT:
            reading.old_final = _check_replacement(data, last)
            reading.new_serial = (data.new_serial or "").strip()[:60]
        else:
            _check_index(data.reading_date, value, last)
            reading.quality_flag = _jump_flag(meter, chain, data.reading_date, value)
    db.session.add(reading)
    db.session.flush()
    audit.record(
        "meter_reading",
        reading.id,
        "create",
        actor,
        {
            "kind": [None, reading.kind],
            "reading_date": [None, reading.reading_date.isoformat()],
            "value": [None, str(reading.value)],
        },
    )
    _invalidate(meter.school_id)
    return reading


def _check_bill(
    data: ReadingInput, value: Decimal, bills: Sequence[MeterReading], chain: Sequence[MeterReading]
) -> None:
    if chain:
        raise ValidationFailed(
            _l(
                "This meter is read by its index; enter bills on a meter of their own so "
                "nothing is counted twice."
            ),
            "kind",
        )
    if data.period_start is None:
        raise ValidationFailed(_l("Enter the first day of the billed period."), "period_start")
    end = data.reading_date
    assert end is not None  # noqa: S101 - checked by the caller
    if data.period_start > end:
        raise ValidationFailed(
            _l("The period must start on or before its last day."), "period_start"
        )
    for other in bills:
        if (
            other.period_start is not None
            and data.period_start <= other.reading_date
            and other.period_start <= end
        ):
            raise ValidationFailed(
                _l(
                    "This period overlaps a bill already entered (%(start)s to %(end)s).",
                    start=other.period_start.isoformat(),
                    end=other.reading_date.isoformat(),
                ),
                "period_start",
            )
    if value <= 0:
        raise ValidationFailed(_l("Enter the consumption the bill shows."), "value")


def _check_index(day: date, value: Decimal, last: MeterReading | None) -> None:
    if last is None:
        return
    if day <= last.reading_date:
        raise ValidationFailed(
            _l(
                "The date must be after the previous reading's (%(day)s).",
                day=last.reading_date.isoformat(),
            ),
            "reading_date",
        )
    if value < index_after(last):
        raise ValidationFailed(
            _l(
                "This is lower than the last reading (%(last)s). If the meter was replaced "
                "or went past its maximum, record that first as 'Meter replaced or rolled "
                "over'.",
                last=_plain(index_after(last)),
            ),
            "value",
        )


def _check_replacement(data: ReadingInput, last: MeterReading | None) -> Decimal | None:
    if last is not None and data.reading_date is not None and data.reading_date < last.reading_date:
        raise ValidationFailed(
            _l(
                "The date cannot be before the previous reading's (%(day)s).",
                day=last.reading_date.isoformat(),
            ),
            "reading_date",
        )
    if not (data.old_final or "").strip():
        return None
    old_final = _meter_value(data.old_final, "old_final")
    if last is not None and old_final < index_after(last):
        raise ValidationFailed(
            _l(
                "The old meter's last index cannot be lower than its previous reading (%(last)s).",
                last=_plain(index_after(last)),
            ),
            "old_final",
        )
    return old_final


def _plain(value: Decimal) -> str:
    from greenapp.services.i18n import fmt_quantity

    return fmt_quantity(value)


def _jump_flag(meter: Meter, chain: Sequence[MeterReading], day: date, value: Decimal) -> str:
    """A data-quality note when the daily use since the last reading is implausible."""
    rates = [iv.quantity / iv.days for iv in _intervals(meter, chain) if iv.days > 0]
    last = chain[-1] if chain else None
    if last is None or len(rates) < JUMP_MIN_INTERVALS:
        return ""
    usual = Decimal(median(rates))
    days = (day - last.reading_date).days
    now = (value - index_after(last)) * METER_UNITS[meter.kind][meter.unit] / days
    if usual > 0 and now > JUMP_FACTOR * usual:
        # Stored as data, put into words in the reader's language (flag_message).
        return f"jump|{now.quantize(STEP, ROUND_HALF_UP)}|{usual.quantize(STEP, ROUND_HALF_UP)}"
    return ""


def flag_message(flag: str, kind: str) -> str:
    """A reading's data-quality flag in the reader's language."""
    parts = (flag or "").split("|")
    if len(parts) != 3 or parts[0] != "jump":
        return flag or ""
    return str(
        _l(
            "Daily use %(now)s %(unit)s is more than 5 times the usual %(usual)s %(unit)s.",
            now=_plain(Decimal(parts[1])),
            usual=_plain(Decimal(parts[2])),
            unit=UNIT_NAMES[CANONICAL[kind]],
        )
    )


def delete_reading(actor: User, reading: MeterReading) -> None:
    """Soft-delete a reading (it stays in the record); only the latest one of a meter."""
    _require_meter_edit(actor, reading.meter)
    locking.lock(reading.meter)  # a second writer of this meter waits here
    db.session.refresh(reading)  # as it stands now that no other change can run
    if reading.deleted_at is not None:
        return
    current = readings_of(reading.meter_id)
    if current and current[-1].id != reading.id and reading.kind != READING_BILL:
        raise ValidationFailed(
            _l("Only the latest reading can be removed; later readings depend on it."), "reading"
        )
    reading.deleted_at = utcnow()
    audit.record("meter_reading", reading.id, "delete", actor, {"deleted": [False, True]})
    _invalidate(reading.meter.school_id)


# --- derived consumption ------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """Use over the days [start, end): exact, in the kind's canonical unit."""

    start: date
    end: date
    quantity: Decimal

    @property
    def days(self) -> int:
        """Number of days the use is spread over."""
        return (self.end - self.start).days


def _intervals(meter: Meter, readings: Iterable[MeterReading]) -> list[Interval]:
    factor = METER_UNITS[meter.kind][meter.unit]
    out: list[Interval] = []
    last: MeterReading | None = None
    for r in readings:
        if r.kind == READING_BILL:
            if r.period_start is not None:
                out.append(
                    Interval(r.period_start, r.reading_date + timedelta(days=1), r.value * factor)
                )
            continue
        if last is not None and r.reading_date > last.reading_date:
            closing = r.value if r.kind == READING_INDEX else r.old_final
            if closing is not None and closing >= index_after(last):
                out.append(
                    Interval(
                        last.reading_date, r.reading_date, (closing - index_after(last)) * factor
                    )
                )
        last = r
    return out


def intervals(meter: Meter) -> list[Interval]:
    """A meter's consumption intervals derived from its readings."""
    return _intervals(meter, readings_of(meter.id))


def month_start(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def add_months(day: date, n: int) -> date:
    """The first day of the month n months after the day's month."""
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def days_in(month: date) -> int:
    """Number of days in the month starting on `month`."""
    return calendar.monthrange(month.year, month.month)[1]


@dataclass
class MonthUse:
    """A month's derived use and how many of its days readings cover."""

    quantity: Decimal = Decimal(0)
    covered: int = 0


def spread(iv: Interval) -> list[tuple[date, Decimal, int]]:
    """The interval's use per month, pro rata over days; the parts sum to the total."""
    parts: list[tuple[date, int]] = []
    day = iv.start
    while day < iv.end:
        nxt = min(add_months(day, 1), iv.end)
        parts.append((month_start(day), (nxt - day).days))
        day = nxt
    if not parts:
        return []
    shares = [iv.quantity * d / iv.days for _m, d in parts]
    rounded = [s.quantize(STEP, rounding="ROUND_DOWN") for s in shares]
    # Largest remainder: hand out the leftover thousandths to the biggest remainders.
    left = int((iv.quantity.quantize(STEP, ROUND_HALF_UP) - sum(rounded)) / STEP)
    order = sorted(range(len(parts)), key=lambda i: shares[i] - rounded[i], reverse=True)
    for i in order[: max(left, 0)]:
        rounded[i] += STEP
    return [(m, q, d) for (m, d), q in zip(parts, rounded, strict=True)]


def monthly_use(
    meters: Sequence[Meter], readings: dict[int, list[Any]], window: tuple[date, date] | None = None
) -> dict[date, MonthUse]:
    """Derived use per month over several meters of one kind.

    A month is covered only as far as its least-read meter covers it (among the meters
    in service that month), so a month with one meter unread is never compared as if
    it were complete. With a window [first, end), intervals wholly outside it are not
    spread (their months are not asked for).
    """
    out: dict[date, MonthUse] = {}
    spans: list[tuple[date, date, dict[date, int]]] = []
    for meter in meters:
        days: dict[date, int] = defaultdict(int)
        ivs = _intervals(meter, readings.get(meter.id, []))
        for iv in ivs:
            if window is not None and (iv.end <= window[0] or iv.start >= window[1]):
                continue
            for month, qty, d in spread(iv):
                out.setdefault(month, MonthUse()).quantity += qty
                days[month] += d
        if ivs:
            spans.append((min(iv.start for iv in ivs), max(iv.end for iv in ivs), days))
    for month, use in out.items():
        end = add_months(month, 1)
        use.covered = min(
            (d.get(month, 0) for first, last, d in spans if first < end and last > month), default=0
        )
    return out


def _school_readings(
    school_ids: Sequence[int] | None, kind: str
) -> tuple[dict[int, list[Meter]], dict[int, list[Any]]]:
    """Meters of a kind per school and their readings: two queries for any number."""
    stmt = select(Meter).where(
        Meter.kind == kind, Meter.archived_at.is_(None), Meter.school_id.is_not(None)
    )
    if school_ids is not None:
        stmt = stmt.where(Meter.school_id.in_(school_ids))
    meters = list(db.session.scalars(stmt.order_by(Meter.id)))
    by_school: dict[int, list[Meter]] = defaultdict(list)
    for m in meters:
        by_school[m.school_id or 0].append(m)
    readings: dict[int, list[Any]] = defaultdict(list)
    if meters:
        # Plain rows with the columns the derivation reads (not ORM objects): the
        # programme ranking reads every school's readings at once.
        rstmt = (
            select(
                MeterReading.id,
                MeterReading.meter_id,
                MeterReading.kind,
                MeterReading.reading_date,
                MeterReading.value,
                MeterReading.period_start,
                MeterReading.old_final,
            )
            .where(
                MeterReading.meter_id.in_([m.id for m in meters]),
                MeterReading.deleted_at.is_(None),
                MeterReading.review_status != REVIEW_DISMISSED,
            )
            .order_by(MeterReading.reading_date, MeterReading.id)
        )
        for r in db.session.execute(rstmt):
            readings[r.meter_id].append(r)
    return dict(by_school), dict(readings)


# --- baseline and measured saving ----------------------------------------------------


@dataclass
class BaselineInput:
    """What a coordinator chose for the school's baseline."""

    mode: str
    baseline_pupils: str
    heat_degree_days: bool = False


def baseline_of(school_id: int) -> MeterBaseline | None:
    """The school's chosen baseline, if any."""
    return db.session.scalar(select(MeterBaseline).where(MeterBaseline.school_id == school_id))


def set_baseline(actor: User, school: School, data: BaselineInput) -> MeterBaseline:
    """Choose the baseline period and the pupil count of that period."""
    if actor.role != ADMIN:
        _require_edit(actor, school.id)
    if data.mode not in BASELINE_MODES:
        raise ValidationFailed(_l("Choose a baseline."), "mode")
    pupils = parse_number(data.baseline_pupils or str(school.pupils), "baseline_pupils")
    if pupils != pupils.to_integral_value() or pupils <= 0 or pupils > 100_000:
        raise ValidationFailed(
            _l("Enter the number of pupils as a whole number."), "baseline_pupils"
        )
    row = baseline_of(school.id)
    before = (
        {
            "mode": row.mode,
            "baseline_pupils": row.baseline_pupils,
            "heat_degree_days": row.heat_degree_days,
        }
        if row
        else {}
    )
    if row is None:
        row = MeterBaseline(school_id=school.id, updated_by_id=actor.id)
        db.session.add(row)
    row.mode, row.baseline_pupils, row.updated_by_id = data.mode, int(pupils), actor.id
    row.heat_degree_days = bool(data.heat_degree_days)
    db.session.flush()
    changes = audit.diff(
        before,
        {
            "mode": row.mode,
            "baseline_pupils": row.baseline_pupils,
            "heat_degree_days": row.heat_degree_days,
        },
    )
    if changes:
        audit.record("meter_baseline", row.id, "update" if before else "create", actor, changes)
        _invalidate(school.id)
    return row


def baseline_month(mode: str, joined_on: date, month: date) -> date:
    """The baseline month an actual month is compared with."""
    if mode == BASELINE_PREVIOUS_YEAR:
        return add_months(month, -12)
    first = add_months(month_start(joined_on), -12)  # the 12 months before joining
    return date(first.year if month.month >= first.month else first.year + 1, month.month, 1)


@dataclass
class MeasuredMonth:
    """One month: actual use, the per-pupil normalised baseline and the saving."""

    month: date
    actual: Decimal | None
    baseline: Decimal | None
    baseline_raw: Decimal | None
    baseline_month: date

    @property
    def complete(self) -> bool:
        """True when both the month and its baseline month are fully read."""
        return self.actual is not None and self.baseline is not None

    @property
    def saving(self) -> Decimal | None:
        """Baseline minus actual (negative: more was used)."""
        return self.baseline - self.actual if self.complete else None  # type: ignore[operator]


@dataclass
class Measured:
    """A school's measured use of one kind against its baseline over a date range."""

    kind: str
    unit: str
    mode: str
    months: list[MeasuredMonth]
    actual: Decimal = Decimal(0)
    baseline: Decimal = Decimal(0)
    saving: Decimal = Decimal(0)
    percent: Decimal | None = None
    co2e: Decimal | None = None
    money: dict[str, Decimal] = field(default_factory=dict)
    priced: bool = False
    degree_days: bool = False  # heat: the baseline is also scaled by degree-days

    @property
    def complete_months(self) -> int:
        """Months that enter the saving."""
        return sum(1 for m in self.months if m.complete)


def normalise(baseline: Decimal, pupils_now: int, pupils_then: int) -> Decimal:
    """The baseline scaled to today's pupils (per-pupil use times today's pupils)."""
    if pupils_then <= 0 or pupils_now <= 0 or pupils_now == pupils_then:
        return baseline
    return (baseline * pupils_now / pupils_then).quantize(STEP, ROUND_HALF_UP)


def measured(
    school: School,
    kind: str,
    date_from: date,
    date_to: date,
    data: tuple[dict[int, list[Meter]], dict[int, list[Any]]] | None = None,
    base: MeterBaseline | None = None,
    price: bool = True,
) -> Measured | None:
    """Measured use, baseline and saving per month; None without meters or baseline.

    The ranking passes every school's readings and baseline (read once) and needs no
    CO2e or money (price=False)."""
    base = base or baseline_of(school.id)
    if base is None:
        return None
    by_school, readings = data or _school_readings((school.id,), kind)
    meters = by_school.get(school.id, [])
    if not meters:
        return None
    wanted, month = [], month_start(date_from)
    while month <= date_to:  # the months asked for and their baseline months
        wanted += [month, baseline_month(base.mode, school.joined_on, month)]
        month = add_months(month, 1)
    if not wanted:
        wanted = [month_start(date_from)]
    use = monthly_use(meters, readings, (min(wanted), add_months(max(wanted), 1)))
    by_degree_days = kind == HEAT_METER and base.heat_degree_days
    temps = temperatures(school.city_id) if by_degree_days and school.city_id else {}
    months: list[MeasuredMonth] = []
    month = month_start(date_from)
    while month <= date_to:
        bm = baseline_month(base.mode, school.joined_on, month)
        cur, ref = use.get(month), use.get(bm)
        actual = cur.quantity if cur and cur.covered >= days_in(month) else None
        raw = ref.quantity if ref and ref.covered >= days_in(bm) else None
        scaled = None if raw is None else normalise(raw, school.pupils, base.baseline_pupils)
        if by_degree_days and scaled is not None:
            scaled = weather_adjusted(scaled, temps.get(month), temps.get(bm), month, bm)
        months.append(
            MeasuredMonth(
                month=month, actual=actual, baseline_raw=raw, baseline_month=bm, baseline=scaled
            )
        )
        month = add_months(month, 1)
    out = Measured(
        kind=kind, unit=CANONICAL[kind], mode=base.mode, months=months, degree_days=by_degree_days
    )
    for m in months:
        if m.complete:
            out.actual += m.actual  # type: ignore[operator]
            out.baseline += m.baseline  # type: ignore[operator]
            out.saving += m.saving  # type: ignore[operator]
    if out.baseline > 0:
        out.percent = (out.saving * 100 / out.baseline).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if price:
        _price(school, out)
    return out


def _price(school: School, out: Measured) -> None:
    """CO2e and money of the measured saving, each month at the rate valid on its 1st."""
    category, sub = IMPACT_KEY[out.kind]
    from greenapp.services import impact

    factors, tariffs = impact.factor_lookup(), impact.tariff_lookup()
    co2e, priced = Decimal(0), False
    money: defaultdict[str, Decimal] = defaultdict(Decimal)
    for m in out.months:
        if not m.complete:
            continue
        f = factors.at((school.country, category, sub), m.month)
        t = tariffs.at((school.city_id, category, sub), m.month)
        if f is not None:
            co2e += m.saving * f[0]  # type: ignore[operator]
            priced = True
        if t is not None:
            money[t[1]] += m.saving * t[0]  # type: ignore[operator]
    out.co2e = co2e if priced else None
    out.money = dict(money)
    out.priced = priced


def school_kinds(school_id: int) -> list[str]:
    """The kinds of meter a school has, in the standard order."""
    kinds = set(
        db.session.scalars(
            select(Meter.kind)
            .where(Meter.school_id == school_id, Meter.archived_at.is_(None))
            .distinct()
        )
    )
    return [k for k in METER_KINDS if k in kinds]


@dataclass
class Reported:
    """What was logged as actions for the same category and dates (never added)."""

    category: str
    quantity: Decimal
    co2e: Decimal
    money: dict[str, Decimal]


def reported_alongside(
    school: School, kind: str, date_from: date, date_to: date
) -> Reported | None:
    """The reported (logged) saving of the matching category, to show beside it."""
    category = IMPACT_CATEGORY.get(kind)
    if category is None:
        return None
    return reported_by_category(school, date_from, date_to).get(category)


def reported_by_category(school: School, date_from: date, date_to: date) -> dict[str, Reported]:
    """Reported quantity, CO2e and money per category over the dates.

    The scope is the school dashboard's own (all categories), so within one request the
    aggregates the dashboard already read are reused (stats' per-request memo).
    """
    from greenapp.services import impact

    scope = stats.Scope(date_from=date_from, date_to=date_to, school_ids=(school.id,))
    out = {
        c: Reported(category=c, quantity=Decimal(0), co2e=Decimal(0), money={})
        for c in IMPACT_CATEGORY.values()
    }
    for r in stats.aggregate(scope, ("category", "evidence")):
        if r["category"] in out:
            out[r["category"]].quantity += r["quantity"]
    for row in impact.co2e_avoided(scope, ("category",)):
        if row.key["category"] in out:
            out[row.key["category"]].co2e += row.kg_co2e
    for m in impact.money_saved(scope, ("category",)):
        if m.key["category"] in out and m.amount:
            money = out[m.key["category"]].money
            money[m.currency] = money.get(m.currency, Decimal(0)) + m.amount
    return out


@dataclass
class MeasuredRank:
    """One school in the programme ranking by measured % reduction."""

    school_id: int
    name: str
    city: str
    pupils: int
    measured: Measured


def programme_ranking(
    kind: str, date_from: date, date_to: date, schools: Sequence[School]
) -> list[MeasuredRank]:
    """Schools with a baseline and complete months, best measured % reduction first."""
    data = _school_readings([s.id for s in schools], kind)
    with_meters = [s.id for s in schools if s.id in data[0]]
    bases = (
        {
            b.school_id: b
            for b in db.session.scalars(
                select(MeterBaseline).where(MeterBaseline.school_id.in_(with_meters))
            )
        }
        if with_meters
        else {}
    )
    out = []
    for s in schools:
        if s.id not in data[0] or s.id not in bases:
            continue
        m = measured(s, kind, date_from, date_to, data, base=bases[s.id], price=False)
        if m is not None and m.percent is not None:
            out.append(MeasuredRank(s.id, s.name, s.city_name, s.pupils, m))
    out.sort(key=lambda r: (-r.measured.percent, r.name))  # type: ignore[operator]
    return out


# --- what the pages show -------------------------------------------------------------


@dataclass
class Board:
    """One kind of meter on a dashboard: measured vs baseline, and reported beside it."""

    kind: str
    measured: Measured
    reported: Reported | None
    chart: Any


def measured_chart(m: Measured) -> Any:
    """Actual use (bars) against the normalised baseline (line), per month."""
    from flask_babel import gettext as _

    from greenapp.services import charts

    labels = [charts.period_label(x.month, "month") for x in m.months]
    unit = str(UNIT_NAMES[m.unit])
    traces = [
        {
            "type": "bar",
            "name": _("Actual use"),
            "x": labels,
            "y": [None if x.actual is None else charts.num(x.actual) for x in m.months],
            "marker": {"color": KIND_COLORS[m.kind]},
        },
        # A short legend name: a long one (Kazakh above all) was clipped at 390 px;
        # what the baseline is (per pupil, scaled) is said in the note under the chart.
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("Baseline"),
            "x": labels,
            "y": [None if x.baseline is None else charts.num(x.baseline) for x in m.months],
            "line": {"color": "#555", "dash": "dash"},
        },
    ]
    title = _("%(kind)s: measured use against the baseline", kind=METER_LABELS[m.kind])
    fig = charts.figure(traces, unit, barmode="group")
    # One legend entry per row, so neither can run past a phone's width.
    fig["layout"]["legend"].update({"entrywidth": 1, "entrywidthmode": "fraction"})
    return charts.Chart(
        f"measured-{m.kind}",
        title,
        fig,
        _("Month"),
        f"{METER_LABELS[m.kind]} ({unit})",
        _("Baseline (per pupil, scaled to today's pupils)")
        + ". "
        + (
            _("The heat baseline is also scaled by heating degree-days.") + " "
            if m.degree_days
            else ""
        )
        + _(
            "Only months fully covered by readings, and whose baseline month "
            "is too, enter the saving."
        ),
    )


KIND_COLORS = {
    WATER_METER: "#2f7fc1",
    ELECTRICITY_METER: "#e8a33d",
    HEAT_METER: "#d0573b",
    GAS_METER: "#8e5ea2",
}


def school_boards(school: School, date_from: date, date_to: date) -> list[Board]:
    """Every kind of meter the school has, with a baseline, over the dates."""
    out = []
    reported: dict[str, Reported] | None = None
    for kind in school_kinds(school.id):
        m = measured(school, kind, date_from, date_to)
        if m is None:
            continue
        if reported is None:
            reported = reported_by_category(school, date_from, date_to)
        category = IMPACT_CATEGORY.get(kind)
        out.append(Board(kind, m, reported.get(category) if category else None, measured_chart(m)))
    return out


def measured_csv(school: School, date_from: date, date_to: date) -> str:
    """The measured figures per kind and month, as CSV (exact values)."""
    import csv
    import io

    from flask_babel import gettext as _

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            _("Meter"),
            _("Month"),
            _("Baseline month"),
            _("Unit"),
            _("Actual use"),
            _("Baseline"),
            _("Measured saving"),
        ]
    )
    for board in school_boards(school, date_from, date_to):
        for x in board.measured.months:
            writer.writerow(
                [
                    str(METER_LABELS[board.kind]),
                    x.month.isoformat()[:7],
                    x.baseline_month.isoformat()[:7],
                    board.measured.unit,
                    "" if x.actual is None else x.actual,
                    "" if x.baseline is None else x.baseline,
                    "" if x.saving is None else x.saving,
                ]
            )
    return buf.getvalue()


# The programme overview's category decides which kind of meter its ranking shows.
KIND_FOR_CATEGORY = {"water": WATER_METER, "energy": ELECTRICITY_METER}


def flagged_readings(limit: int = 50) -> list[MeterReading]:
    """School readings flagged as implausible and not yet reviewed, newest first."""
    stmt = (
        select(MeterReading)
        .join(Meter)
        .where(
            MeterReading.quality_flag != "",
            MeterReading.deleted_at.is_(None),
            MeterReading.review_status == REVIEW_OPEN,
            Meter.school_id.is_not(None),
        )
        .order_by(MeterReading.reading_date.desc(), MeterReading.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


REVIEW_VERDICTS = (REVIEW_VERIFIED, REVIEW_DISMISSED)


def can_review(user: User) -> bool:
    """Scientists (and admins) check flagged readings, as they check flagged entries."""
    return user.role in (SCIENTIST, ADMIN)


def review_reading(actor: User, reading: MeterReading, verdict: str) -> None:
    """Close a flagged reading: verified (it stands as read) or dismissed (a misreading,
    left out of the derived use; kept in the record and the change history)."""
    if not can_review(actor):
        raise PermissionDenied(_l("Only scientists check flagged readings."))
    if verdict not in REVIEW_VERDICTS:
        raise ValidationFailed(_l("Choose whether the reading stands or is dismissed."), "verdict")
    locking.lock(reading)  # two scientists at once: one decides
    if (
        not reading.quality_flag
        or reading.review_status != REVIEW_OPEN
        or reading.deleted_at is not None
    ):
        raise ValidationFailed(_l("This reading has already been checked."), "verdict")
    reading.review_status, reading.reviewed_by_id = verdict, actor.id
    reading.reviewed_at = utcnow()
    audit.record(
        "meter_reading", reading.id, "review", actor, {"review_status": [REVIEW_OPEN, verdict]}
    )
    _invalidate(reading.meter.school_id)


# --- the "metered" evidence kind ------------------------------------------------------


def readings_cover(
    category: str, day: date, *, school_id: int | None = None, resident_id: int | None = None
) -> bool:
    """True when a meter of the owner that measures the category has readings around
    the day: two readings (or a bill) whose period includes it.

    This is what "metered" evidence means: the entry's figure can be read off meter
    readings. Two small queries (the owner's meters, their readings); no loop over logs.
    """
    kinds = METERED_BY.get(category)
    if not kinds or (school_id is None and resident_id is None):
        return False
    owner = (
        (Meter.school_id == school_id)
        if school_id is not None
        else (Meter.resident_id == resident_id)
    )
    meters = list(
        db.session.scalars(
            select(Meter).where(owner, Meter.kind.in_(kinds), Meter.archived_at.is_(None))
        )
    )
    if not meters:
        return False
    rstmt = (
        select(MeterReading)
        .where(
            MeterReading.meter_id.in_([m.id for m in meters]),
            MeterReading.deleted_at.is_(None),
            MeterReading.review_status != REVIEW_DISMISSED,
        )
        .order_by(MeterReading.reading_date, MeterReading.id)
    )
    by_meter: dict[int, list[MeterReading]] = defaultdict(list)
    for r in db.session.scalars(rstmt):
        by_meter[r.meter_id].append(r)
    for meter in meters:
        for iv in _intervals(meter, by_meter.get(meter.id, [])):
            last = (
                iv.end - timedelta(days=1) if _is_bill_interval(iv, by_meter[meter.id]) else iv.end
            )
            if iv.start <= day <= last:
                return True
    return False


def _is_bill_interval(iv: Interval, readings: Sequence[MeterReading]) -> bool:
    return any(
        r.kind == READING_BILL
        and r.period_start == iv.start
        and r.reading_date + timedelta(days=1) == iv.end
        for r in readings
    )


def household_meters(resident: User) -> list[Meter]:
    """A resident's own household meters."""
    return list(
        db.session.scalars(
            select(Meter).where(Meter.resident_id == resident.id).order_by(Meter.kind, Meter.id)
        )
    )


# --- heating degree-days ------------------------------------------------------------

HDD_BASE_C = Decimal(18)  # indoor base temperature of heating degree-days (°C)


def degree_days(mean_c: Decimal, month: date) -> Decimal:
    """Heating degree-days of a month from its mean outdoor temperature:
    days × max(0, 18 °C − mean), exact."""
    return days_in(month) * max(Decimal(0), HDD_BASE_C - mean_c)


def weather_adjusted(
    baseline: Decimal, now_c: Decimal | None, then_c: Decimal | None, month: date, then: date
) -> Decimal | None:
    """The heat baseline scaled by degree-days now ÷ degree-days in the baseline month.

    None (the month is not compared) when a temperature is missing, or when the baseline
    month needed no heating but this one did (no ratio to scale by).
    """
    if now_c is None or then_c is None:
        return None
    dd_now, dd_then = degree_days(now_c, month), degree_days(then_c, then)
    if dd_then == 0:
        return baseline if dd_now == 0 else None
    return (baseline * dd_now / dd_then).quantize(STEP, ROUND_HALF_UP)


def temperatures(city_id: int) -> dict[date, Decimal]:
    """A city's monthly mean outdoor temperatures (°C), by first day of month."""
    return {
        t.month: t.mean_c
        for t in db.session.scalars(
            select(CityTemperature).where(CityTemperature.city_id == city_id)
        )
    }


def can_enter_weather(user: User) -> bool:
    """Scientists and admins keep the cities' temperature series."""
    return user.role in (SCIENTIST, ADMIN)


def _temperature(text: str, field_name: str) -> Decimal:
    value = parse_number(text, field_name)
    if not Decimal(-70) <= value <= Decimal(50):
        raise ValidationFailed(
            _l("A monthly mean outdoor temperature lies between -70 and 50 °C."), field_name
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed(_l("At most 2 decimal places."), field_name)
    return value


def set_temperatures(
    actor: User, city_id: int, rows: Sequence[tuple[date, Decimal]], source: str
) -> int:
    """Store (or replace) a city's monthly means; audited; returns how many changed."""
    if not can_enter_weather(actor):
        raise PermissionDenied(_l("Only scientists enter outdoor temperatures."))
    existing = {
        t.month: t
        for t in db.session.scalars(
            select(CityTemperature).where(CityTemperature.city_id == city_id)
        )
    }
    changed = 0
    for month, mean in rows:
        row = existing.get(month)
        if row is not None and row.mean_c == mean:
            continue
        before = None if row is None else str(row.mean_c)
        if row is None:
            row = CityTemperature(city_id=city_id, month=month, updated_by_id=actor.id, mean_c=mean)
            db.session.add(row)
            existing[month] = row
        row.mean_c, row.source, row.updated_by_id = mean, source.strip()[:200], actor.id
        db.session.flush()
        audit.record(
            "city_temperature",
            row.id,
            "update" if before else "create",
            actor,
            {"mean_c": [before, str(mean)], "month": [None, month.isoformat()]},
        )
        changed += 1
    if changed:
        cache.invalidate(
            [
                cache.PROGRAMME,
                *(
                    cache.school_scope(i)
                    for i in db.session.scalars(select(School.id).where(School.city_id == city_id))
                ),
            ]
        )
    return changed


MONTH_LINE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*[;,\t ]\s*(\S+)\s*$")


def parse_temperature_lines(text: str) -> list[tuple[date, Decimal]]:
    """Pasted or imported lines "YYYY-MM; mean °C"; any bad line refuses all of them,
    with its number."""
    out: dict[date, Decimal] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = MONTH_LINE.match(line)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValidationFailed(
                _l(
                    "Line %(n)s: write the month and the mean temperature, e.g. 2025-01; -9.4",
                    n=number,
                ),
                "lines",
            )
        month = date(int(found.group(1)), int(found.group(2)), 1)
        try:
            out[month] = _temperature(found.group(3), "lines")
        except ValidationFailed as exc:
            raise ValidationFailed(
                _l("Line %(n)s: %(why)s", n=number, why=exc.message), "lines"
            ) from None
    if not out:
        raise ValidationFailed(_l("Enter at least one month."), "lines")
    return sorted(out.items())
