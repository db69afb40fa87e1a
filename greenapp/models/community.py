"""Green Community: challenges, their participants, badges and in-app notifications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, ScaledDecimal, TimestampMixin, utcnow
from greenapp.models.user import User

AUDIENCE_RESIDENTS = "residents"
AUDIENCE_SCHOOLS = "schools"
AUDIENCE_BOTH = "both"
AUDIENCES = (AUDIENCE_RESIDENTS, AUDIENCE_SCHOOLS, AUDIENCE_BOTH)
# Length limits shared by the column, the form validator and the service check.
CHALLENGE_TITLE_MAX = 160
CHALLENGE_DESCRIPTION_MAX = 4000


class Challenge(TimestampMixin, db.Model):
    """A time-boxed goal in one category that residents and/or schools join."""

    __tablename__ = "challenges"
    __table_args__ = (Index("ix_challenges_dates", "start_date", "end_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(CHALLENGE_TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[str] = mapped_column(String(20), default="")
    # Per resident; for schools per pupil (so big and small schools compete fairly).
    target: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    start_date: Mapped[date]
    end_date: Mapped[date]
    audience: Mapped[str] = mapped_column(String(10), default=AUDIENCE_BOTH)
    evidence_required: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User] = relationship()

    def open_to(self, owner_type: str) -> bool:
        """True if residents ('resident') or schools ('school') may join."""
        if self.audience == AUDIENCE_BOTH:
            return True
        return (owner_type == "resident") == (self.audience == AUDIENCE_RESIDENTS)


class ChallengeParticipant(db.Model):
    """A resident or a school taking part in a challenge (one row per participant)."""

    __tablename__ = "challenge_participants"
    __table_args__ = (
        UniqueConstraint(
            "challenge_id", "owner_type", "owner_id", name="uq_challenge_participants_owner"
        ),
        Index("ix_challenge_participants_owner", "owner_type", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    owner_type: Mapped[str] = mapped_column(String(10))  # 'resident' or 'school'
    owner_id: Mapped[int]
    joined_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    challenge: Mapped[Challenge] = relationship()


class Badge(db.Model):
    """Awarded once to a resident or school that reached a challenge's target."""

    __tablename__ = "badges"
    __table_args__ = (
        UniqueConstraint("challenge_id", "owner_type", "owner_id", name="uq_badges_owner"),
        Index("ix_badges_owner", "owner_type", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    owner_type: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int]
    awarded_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    challenge: Mapped[Challenge] = relationship()


class Notification(db.Model):
    """One in-app message to one user; the text is rendered in the reader's language."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
