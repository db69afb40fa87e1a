"""The eco glossary: a concept-based term base shaped like TBX-Basic (ISO 30042).

One concept (subject field, status, related concepts) has per language a definition
with its source and one or more terms, each with script, part of speech, usage status,
a context sentence with its source and a note. Reviews (one scientist from each side)
and comments hang off the concept; every change is an audit record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin, utcnow
from greenapp.models.user import User

SUBJECTS: tuple[str, ...] = (
    "water",
    "energy",
    "waste",
    "biodiversity",
    "air",
    "climate",
    "law",
    "economics",
    "education",
)
LANGS: tuple[str, ...] = ("kk", "ru", "be", "en")
SCRIPTS: tuple[str, ...] = ("kk-Cyrl", "kk-Latn", "be-Cyrl", "be-Latn", "ru", "en")
DEFAULT_SCRIPT = {"kk": "kk-Cyrl", "be": "be-Cyrl", "ru": "ru", "en": "en"}
SCRIPTS_OF = {
    "kk": ("kk-Cyrl", "kk-Latn"),
    "be": ("be-Cyrl", "be-Latn"),
    "ru": ("ru",),
    "en": ("en",),
}
USAGE: tuple[str, ...] = ("preferred", "admitted", "deprecated", "proposed")
POS: tuple[str, ...] = ("noun", "verb", "adjective", "adverb", "phrase", "other")
DRAFT, PROPOSED, APPROVED = "draft", "proposed", "approved"
CONCEPT_STATUSES: tuple[str, ...] = (DRAFT, PROPOSED, APPROVED)
# Approval needs one reviewer from each side of the partnership.
REVIEW_COUNTRIES: tuple[str, ...] = ("KZ", "BY")

glossary_relations = Table(
    "glossary_relations",
    db.metadata,
    Column("concept_id", ForeignKey("glossary_concepts.id", ondelete="CASCADE"), primary_key=True),
    Column("related_id", ForeignKey("glossary_concepts.id", ondelete="CASCADE"), primary_key=True),
)


class GlossaryConcept(TimestampMixin, db.Model):
    """One concept; `key` is its stable identifier in the data file and in TBX."""

    __tablename__ = "glossary_concepts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    subject: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    terms: Mapped[list[GlossaryTerm]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="GlossaryTerm.id"
    )
    definitions: Mapped[list[GlossaryDefinition]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="GlossaryDefinition.lang"
    )
    approvals: Mapped[list[GlossaryApproval]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="GlossaryApproval.at"
    )
    comments: Mapped[list[GlossaryComment]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="GlossaryComment.id"
    )
    related: Mapped[list[GlossaryConcept]] = relationship(
        secondary=glossary_relations,
        primaryjoin=lambda: GlossaryConcept.id == glossary_relations.c.concept_id,
        secondaryjoin=lambda: GlossaryConcept.id == glossary_relations.c.related_id,
    )

    def terms_in(self, lang: str) -> list[GlossaryTerm]:
        """The terms of one language, preferred first, deprecated last."""
        rank = {"preferred": 0, "admitted": 1, "proposed": 2, "deprecated": 3}
        return sorted(
            (t for t in self.terms if t.lang == lang),
            key=lambda t: (rank.get(t.status, 9), t.id or 0),
        )

    def head(self, lang: str) -> str:
        """The term shown for this concept in a language ('' if none)."""
        terms = self.terms_in(lang)
        return terms[0].text if terms else ""

    def definition_in(self, lang: str) -> GlossaryDefinition | None:
        """The definition in one language, if any."""
        return next((d for d in self.definitions if d.lang == lang), None)


class GlossaryDefinition(db.Model):
    """A concept's definition in one language, with where it comes from."""

    __tablename__ = "glossary_definitions"
    __table_args__ = (UniqueConstraint("concept_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("glossary_concepts.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    source_title: Mapped[str] = mapped_column(String(240), default="")
    source_ref: Mapped[str] = mapped_column(String(120), default="")  # article / page
    source_url: Mapped[str] = mapped_column(String(400), default="")

    concept: Mapped[GlossaryConcept] = relationship(back_populates="definitions")


class GlossaryTerm(db.Model):
    """One designation of a concept in one language and script."""

    __tablename__ = "glossary_terms"
    __table_args__ = (Index("ix_glossary_terms_lang_sort", "lang", "sort_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("glossary_concepts.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(2))
    script: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(200))
    pos: Mapped[str] = mapped_column(String(10), default="noun")
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    context: Mapped[str] = mapped_column(Text, default="")
    context_source: Mapped[str] = mapped_column(String(240), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Digits only, so ORDER BY gives the language's alphabet on any database collation.
    sort_key: Mapped[str] = mapped_column(String(600), default="")
    # The term folded to plain Latin letters, for script-tolerant search.
    search_key: Mapped[str] = mapped_column(String(400), default="")

    concept: Mapped[GlossaryConcept] = relationship(back_populates="terms")


class GlossaryApproval(db.Model):
    """A scientist's approval of a concept, with the side they review for."""

    __tablename__ = "glossary_approvals"
    __table_args__ = (UniqueConstraint("concept_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("glossary_concepts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    country: Mapped[str] = mapped_column(String(2))
    at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    concept: Mapped[GlossaryConcept] = relationship(back_populates="approvals")
    user: Mapped[User] = relationship()


class GlossaryComment(db.Model):
    """A remark on a concept (disagreements are discussed here)."""

    __tablename__ = "glossary_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("glossary_concepts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    concept: Mapped[GlossaryConcept] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()
