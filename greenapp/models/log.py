"""Eco-action logs and the exact daily summary kept in step with them."""

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

# Review states: a log counts in totals unless it is deleted or rejected.
REVIEW_OK = "ok"
REVIEW_FLAGGED = "flagged"
REVIEW_VERIFIED = "verified"
REVIEW_REJECTED = "rejected"
REVIEW_STATES = (REVIEW_OK, REVIEW_FLAGGED, REVIEW_VERIFIED, REVIEW_REJECTED)

OWNER_SCHOOL = "school"
OWNER_RESIDENT = "resident"


class EcoLog(TimestampMixin, db.Model):
    """One eco-action: what was saved, sorted, planted or reached, and by whom."""

    __tablename__ = "eco_logs"
    __table_args__ = (
        CheckConstraint("(school_id IS NULL) <> (resident_id IS NULL)", name="one_owner"),
        Index("ix_eco_logs_school_date", "school_id", "action_date"),
        Index("ix_eco_logs_resident_date", "resident_id", "action_date"),
        # Offline entry: the client's UUID is an idempotency key per author (a repeat
        # send of a queued entry finds the row it already made). NULLs never collide.
        UniqueConstraint("created_by_id", "client_uuid", name="uq_eco_logs_author_client_uuid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), default=None)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    quantity_entered: Mapped[Decimal] = mapped_column(ScaledDecimal(6))
    unit_entered: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))  # canonical unit
    action_date: Mapped[date]
    evidence: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_status: Mapped[str] = mapped_column(String(10), default=REVIEW_OK)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    # Spreadsheet import (greenapp/imports): the batch that created the entry, and the
    # optional reference the spreadsheet gave the row (a bill or slip number).
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id"), default=None, index=True
    )
    external_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    client_uuid: Mapped[str | None] = mapped_column(String(36), default=None)

    school: Mapped[School | None] = relationship(foreign_keys=[school_id])
    resident: Mapped[User | None] = relationship(foreign_keys=[resident_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def owner_type(self) -> str:
        """'school' or 'resident'."""
        return OWNER_SCHOOL if self.school_id is not None else OWNER_RESIDENT

    @property
    def owner_id(self) -> int:
        """The id of the owning school or resident."""
        return self.school_id if self.school_id is not None else self.resident_id  # type: ignore[return-value]

    @property
    def counts(self) -> bool:
        """True if this log is part of totals (not deleted, not rejected)."""
        return self.deleted_at is None and self.review_status != REVIEW_REJECTED


class DailySummary(db.Model):
    """Per owner, day, category, fraction and evidence kind: the exact sum and count.

    Maintained in the same transaction as every log insert, edit, review and delete
    (services/logs.py), so dashboards read this small table instead of all logs.
    """

    __tablename__ = "daily_summaries"
    __table_args__ = (
        UniqueConstraint(
            "owner_type",
            "owner_id",
            "day",
            "category",
            "fraction",
            "evidence",
            name="uq_daily_summaries_key",
        ),
        Index("ix_daily_summaries_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int]
    day: Mapped[date]
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    evidence: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3), default=Decimal(0))
    log_count: Mapped[int] = mapped_column(default=0)
