"""Spreadsheet import batches: one uploaded file, its dry run, its commit and its undo."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from greenapp.extensions import db
from greenapp.models.base import AwareDateTime, TimestampMixin

if TYPE_CHECKING:
    from greenapp.models.school import School
    from greenapp.models.user import User

BATCH_PREVIEW = "preview"  # uploaded and checked (dry run), nothing stored yet
BATCH_COMMITTED = "committed"  # its new rows are eco-action entries
BATCH_UNDONE = "undone"  # its entries were soft-deleted together
BATCH_STATES = (BATCH_PREVIEW, BATCH_COMMITTED, BATCH_UNDONE)
TARGET_ENTRIES = "entries"  # eco-action entries (services/imports.py)
TARGET_METER_READINGS = "meter_readings"  # meter readings (services/imports_meters.py)
TARGET_SCHOOLS = "schools"  # an admin's schools (services/imports_admin.py)
TARGET_ACCOUNTS = "accounts"  # an admin's accounts (services/imports_admin.py)


class ImportBatch(TimestampMixin, db.Model):
    """One uploaded spreadsheet of eco-actions for one school."""

    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_school", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an admin's import of schools or accounts (services/imports_admin.py).
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    file_kind: Mapped[str] = mapped_column(String(10))  # csv, xlsx, ods
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(10), default=BATCH_PREVIEW)
    target: Mapped[str] = mapped_column(
        String(20), default=TARGET_ENTRIES, server_default=TARGET_ENTRIES
    )
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_new: Mapped[int] = mapped_column(default=0)
    rows_duplicate: Mapped[int] = mapped_column(default=0)
    rows_invalid: Mapped[int] = mapped_column(default=0)
    rows_added: Mapped[int] = mapped_column(default=0)
    committed_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    undone_at: Mapped[datetime | None] = mapped_column(AwareDateTime, default=None)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # {field: header text} the user mapped for this file (None: recognised by name).
    columns: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The dry run's accepted rows (JSON text, services/imports.checked_rows): a commit
    # re-checks what can change since (dates against today and the school, duplicates)
    # instead of reading and parsing the file again.
    checked: Mapped[str | None] = mapped_column(Text, default=None)

    school: Mapped[School] = relationship(foreign_keys=[school_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])


class ImportMapping(TimestampMixin, db.Model):
    """A school's remembered column mapping: {field: header text of its spreadsheets}."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), unique=True)
    columns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
