"""Experts' workspaces: scientists' guides and tips, residents' proposals for lawyers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin, utcnow
from greenapp.models.community import Challenge
from greenapp.models.user import User

KIND_GUIDE = "guide"
KIND_TIP = "tip"
GUIDE_KINDS = (KIND_GUIDE, KIND_TIP)

SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
ACCEPTED = "accepted"
REJECTED = "rejected"
FORWARDED = "forwarded"
PROPOSAL_STATES = (SUBMITTED, UNDER_REVIEW, ACCEPTED, REJECTED, FORWARDED)
DECIDED_STATES = (ACCEPTED, REJECTED, FORWARDED)
KIND_PROPOSAL = "proposal"
KIND_DEMAND = "demand"
PROPOSAL_KINDS = (KIND_PROPOSAL, KIND_DEMAND)

# Length limits, defined once: the column, the form validator and the service check
# all use these (a change here moves all three; a column change needs a migration).
GUIDE_TITLE_MAX = 160
GUIDE_BODY_MAX = 20000
PROPOSAL_TITLE_MAX = 160
PROPOSAL_TEXT_MIN = 20
PROPOSAL_TEXT_MAX = 10000
DISTRICT_MAX = 80
EVIDENCE_PATH_MAX = 200
LEGAL_BASIS_MAX = 2000
DECISION_TEXT_MAX = 10000


class Guide(TimestampMixin, db.Model):
    """A guide or short tip for one category, written in Markdown by a scientist."""

    __tablename__ = "guides"
    __table_args__ = (Index("ix_guides_category", "category", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default=KIND_GUIDE)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(GUIDE_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)  # Markdown; rendered sanitised
    # Interface languages it is published in, comma separated ("kk,ru"); empty = draft.
    languages: Mapped[str] = mapped_column(String(20), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship()

    @property
    def language_list(self) -> list[str]:
        """The languages as a list."""
        return [code for code in self.languages.split(",") if code]


class Proposal(TimestampMixin, db.Model):
    """A resident's or coordinator's proposal or demand, reviewed by lawyers."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default=KIND_PROPOSAL)
    title: Mapped[str] = mapped_column(String(PROPOSAL_TITLE_MAX))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(DISTRICT_MAX))
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenges.id", ondelete="SET NULL"), default=None
    )
    evidence_path: Mapped[str] = mapped_column(
        String(EVIDENCE_PATH_MAX), default=""
    )  # on-site path
    status: Mapped[str] = mapped_column(String(20), default=SUBMITTED)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    decision_text: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    support_count: Mapped[int] = mapped_column(default=0)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    challenge: Mapped[Challenge | None] = relationship()
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan"
    )


class ProposalEvent(db.Model):
    """One status change of a proposal: who, when, from what to what, on what basis."""

    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()


class ProposalSupport(db.Model):
    """One signed-in user supporting one proposal (at most once)."""

    __tablename__ = "proposal_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_proposal_supports"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
