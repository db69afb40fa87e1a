"""Impact factors (CO2e) and tariffs (money), each valid from a date, and the
monthly rollup of the daily summary that dashboards read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, ScaledDecimal, utcnow
from greenapp.models.place import City

FACTOR_SCALE = 6  # kg CO2e per canonical unit, exact to 1e-6
TARIFF_SCALE = 6  # money per canonical unit, exact to 1e-6


SOURCE_FIELDS = (
    "src_publisher",
    "src_title",
    "src_edition",
    "src_table",
    "src_value",
    "src_unit",
    "src_conversion",
    "gas_basis",
    "method",
    "estimate_note",
)
VAT_CHOICES = ("incl", "excl", "none", "unknown")
CONSUMER_CLASSES = ("budget", "legal", "household")


class SourceMixin:
    """Where a figure comes from, in enough detail for a reader to check it (issue 13)."""

    src_publisher: Mapped[str] = mapped_column(String(160), default="")
    src_title: Mapped[str] = mapped_column(String(240), default="")
    src_edition: Mapped[str] = mapped_column(String(80), default="")  # edition or year
    src_table: Mapped[str] = mapped_column(String(160), default="")  # table or sheet
    src_value: Mapped[str] = mapped_column(String(40), default="")  # as published
    src_unit: Mapped[str] = mapped_column(String(60), default="")  # as published
    src_conversion: Mapped[str] = mapped_column(String(240), default="")
    gas_basis: Mapped[str] = mapped_column(String(120), default="")
    method: Mapped[str] = mapped_column(String(240), default="")
    estimate_note: Mapped[str] = mapped_column(Text, default="")


class ImpactFactor(SourceMixin, db.Model):
    """kg CO2e avoided per canonical unit of a category (and waste fraction) in a
    country, valid from a date until the next factor for the same key."""

    __tablename__ = "impact_factors"
    __table_args__ = (
        UniqueConstraint(
            "country", "category", "fraction", "valid_from", name="uq_impact_factors_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    kg_co2e_per_unit: Mapped[Decimal] = mapped_column(ScaledDecimal(FACTOR_SCALE))
    source: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class Tariff(SourceMixin, db.Model):
    """Money saved (or earned) per canonical unit in a city, in the city's currency,
    valid from a date until the next tariff for the same key."""

    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint("city", "category", "fraction", "valid_from", name="uq_tariffs_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(80))  # city_ref's English name
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True, default=None)
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    vat: Mapped[str] = mapped_column(String(10), default="")  # incl / excl / none
    consumer_class: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    price_per_unit: Mapped[Decimal] = mapped_column(ScaledDecimal(TARIFF_SCALE))
    source: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    city_ref: Mapped[City | None] = relationship(lazy="joined")


class MonthlySummary(db.Model):
    """The daily summary rolled up per month (month = its first day).

    Kept exactly in step with daily_summaries by the write pipeline (services/summary.py
    upserts both, one row per key, in the transaction of every log change; migration
    0009_hw_rollups_in_pipeline dropped the triggers that kept it before).
    """

    __tablename__ = "monthly_summaries"
    __table_args__ = (
        UniqueConstraint(
            "owner_type",
            "owner_id",
            "month",
            "category",
            "fraction",
            "evidence",
            name="uq_monthly_summaries_key",
        ),
        Index("ix_monthly_summaries_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int]
    month: Mapped[date]
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    evidence: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3), default=Decimal(0))
    log_count: Mapped[int] = mapped_column(default=0)
