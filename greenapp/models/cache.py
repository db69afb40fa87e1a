"""What the one cache and the cold dashboards rely on: scope versions and the
programme-level monthly rollup."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, ScaledDecimal, utcnow
from greenapp.models.log import EcoLog


class CacheVersion(db.Model):
    """One counter per cache scope ('programme', 'school:3'), moved by every write
    that changes a figure of that scope (greenapp/services/cache.py)."""

    __tablename__ = "cache_versions"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class ProgrammeRollup(db.Model):
    """Every school's counted logs summed per month, city, country, category, fraction
    and evidence kind: a few thousand rows for the whole programme, kept in step by the
    write pipeline (services/summary.py) in the same transaction as the daily summary.

    The programme overview's charts and city tables read it instead of one row per
    school and month (services/stats.py)."""

    __tablename__ = "programme_rollup"
    __table_args__ = (
        UniqueConstraint(
            "month",
            "city",
            "country",
            "category",
            "fraction",
            "evidence",
            name="uq_programme_rollup_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date]
    city: Mapped[int] = mapped_column(Integer)  # the school's city row (cities.id)
    country: Mapped[str] = mapped_column(String(2))
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    evidence: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3), default=Decimal(0))
    log_count: Mapped[int] = mapped_column(default=0)


# The quality check's 90-day window per owner and category (services/quality.py) reads
# only this index, so a write costs the same at 10M logs as at 1M: the key, then every
# column the check reads besides it (quantity) or filters on (review_status,
# deleted_at), so both databases answer from the index alone without visiting the
# table's rows (SQLite has no INCLUDE; its rowid, the log id, is in every index; on
# PostgreSQL the id is included). Migration 0010_h2_quality_index_covers.
QUALITY_COVERS = (EcoLog.quantity, EcoLog.review_status, EcoLog.deleted_at)
QUALITY_INCLUDE = ["id"]
QUALITY_INDEXES = (
    Index(
        "ix_eco_logs_quality_school",
        EcoLog.school_id,
        EcoLog.category,
        EcoLog.action_date,
        *QUALITY_COVERS,
        postgresql_include=QUALITY_INCLUDE,
    ),
    Index(
        "ix_eco_logs_quality_resident",
        EcoLog.resident_id,
        EcoLog.category,
        EcoLog.action_date,
        *QUALITY_COVERS,
        postgresql_include=QUALITY_INCLUDE,
    ),
)
