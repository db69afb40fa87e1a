"""School meters, their readings and each school's chosen baseline."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, ScaledDecimal, TimestampMixin

if TYPE_CHECKING:
    from greenapp.models.school import School
    from greenapp.models.user import User

WATER_METER = "water"
ELECTRICITY_METER = "electricity"
HEAT_METER = "heat"
GAS_METER = "gas"
METER_KINDS: tuple[str, ...] = (WATER_METER, ELECTRICITY_METER, HEAT_METER, GAS_METER)

# How a reading was taken: the meter's cumulative index on a date, a bill's consumption
# over a period, or a replacement/rollover (the old meter's last index and the new
# meter's starting index on the same date).
READING_INDEX = "index"
READING_BILL = "bill"
READING_REPLACEMENT = "replacement"
READING_KINDS: tuple[str, ...] = (READING_INDEX, READING_BILL, READING_REPLACEMENT)

BASELINE_YEAR_BEFORE = "year_before_joining"
BASELINE_PREVIOUS_YEAR = "previous_year"
BASELINE_MODES: tuple[str, ...] = (BASELINE_YEAR_BEFORE, BASELINE_PREVIOUS_YEAR)

# A flagged reading's review by a scientist: "" (open), verified (it stands as read) or
# dismissed (a misreading: it is left out of the derived use, kept in the record).
REVIEW_OPEN = ""
REVIEW_VERIFIED = "verified"
REVIEW_DISMISSED = "dismissed"


class Meter(TimestampMixin, db.Model):
    """One meter of a school, or of a resident's household: what it measures and the
    unit its dial shows."""

    __tablename__ = "meters"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (resident_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id"), index=True, default=None
    )
    # A household meter: visible to its resident only (no baseline or ranking).
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    serial: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    archived_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)

    school: Mapped[School | None] = relationship()


class MeterReading(TimestampMixin, db.Model):
    """A reading as the meter (or the bill) shows it, in the meter's unit."""

    __tablename__ = "meter_readings"
    __table_args__ = (Index("ix_meter_readings_meter_date", "meter_id", "reading_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"))
    kind: Mapped[str] = mapped_column(String(20), default=READING_INDEX)
    reading_date: Mapped[date]
    # index: the cumulative index; bill: the period's consumption; replacement: the
    # new meter's starting index.
    value: Mapped[Decimal] = mapped_column(ScaledDecimal(6))
    # bill: first day of the billed period (reading_date is its last day).
    period_start: Mapped[date | None] = mapped_column(default=None)
    # replacement: the old meter's last index (None: the last reading stands).
    old_final: Mapped[Decimal | None] = mapped_column(ScaledDecimal(6), default=None)
    new_serial: Mapped[str] = mapped_column(String(60), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    quality_flag: Mapped[str] = mapped_column(String(200), default="")
    review_status: Mapped[str] = mapped_column(String(10), default=REVIEW_OPEN, server_default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)

    meter: Mapped[Meter] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class MeterBaseline(TimestampMixin, db.Model):
    """A school's chosen baseline and its pupil count then (for per-pupil figures)."""

    __tablename__ = "meter_baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), unique=True)
    mode: Mapped[str] = mapped_column(String(30), default=BASELINE_YEAR_BEFORE)
    baseline_pupils: Mapped[int] = mapped_column(default=0)
    # District heat: also scale the baseline by heating degree-days (city temperatures).
    heat_degree_days: Mapped[bool] = mapped_column(default=False, server_default="0")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CityTemperature(TimestampMixin, db.Model):
    """A city's mean outdoor temperature of a month (°C), entered or imported; heating
    degree-days are derived from it (services/meters.py: degree_days)."""

    __tablename__ = "city_temperatures"
    __table_args__ = (UniqueConstraint("city_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    month: Mapped[date]  # the first day of the month
    mean_c: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
