"""Evidence files (photos and PDFs) attached to log entries and meter readings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin

FILE_IMAGE = "image"
FILE_PDF = "pdf"


class EvidenceFile(TimestampMixin, db.Model):
    """One stored file: its content address, what it is and what it proves.

    The bytes live in the storage backend under `sha256` (and the thumbnail under
    `thumb_sha256`); who may see the file is decided by its log entry or reading.
    """

    __tablename__ = "evidence_files"
    __table_args__ = (
        Index("ix_evidence_files_log", "log_id"),
        Index("ix_evidence_files_reading", "reading_id"),
        Index("ix_evidence_files_school", "school_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    file_type: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    thumb_size: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    original_name: Mapped[str] = mapped_column(String(120), default="")
    log_id: Mapped[int | None] = mapped_column(ForeignKey("eco_logs.id"), default=None)
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("meter_readings.id"), default=None)
    # The owner whose quota the file counts against (school, or resident for residents).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), default=None)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purged_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
