"""The entries list as a file: CSV (UTF-8 with BOM) or XLSX, in the reader's language."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from greenapp.extensions import db
from greenapp.models.log import EcoLog
from greenapp.services.downloads import csv_text, neutralise
from greenapp.services.units import (
    CANONICAL_UNIT,
    CATEGORY_LABELS,
    EVIDENCE_LABELS,
    FRACTION_LABELS,
    UNIT_SHORT,
)

REVIEW_LABELS = {
    "ok": _l("counted"),
    "flagged": _l("under review"),
    "verified": _l("verified"),
    "rejected": _l("rejected (not counted)"),
}


def header() -> list[str]:
    """Column names in the reader's language."""
    return [
        str(h)
        for h in (
            _l("Date"),
            _l("Owner"),
            _l("Category"),
            _l("Waste fraction"),
            _l("Quantity"),
            _l("Unit"),
            _l("As entered"),
            _l("Unit as entered"),
            _l("Evidence"),
            _l("Status"),
            _l("Note"),
        )
    ]


def rows(stmt: Select) -> Iterator[list[object]]:
    """One row per log the select() finds (the list's own filter and permissions)."""
    stmt = stmt.options(selectinload(EcoLog.school), selectinload(EcoLog.resident))
    for log in db.session.scalars(stmt.execution_options(yield_per=500)):
        owner = (
            log.school.name if log.school else (log.resident.display_name if log.resident else "")
        )
        status = (
            str(_l("deleted"))
            if log.deleted_at is not None
            else str(REVIEW_LABELS.get(log.review_status, log.review_status))
        )
        yield [
            log.action_date.isoformat(),
            owner,
            str(CATEGORY_LABELS[log.category]),
            str(FRACTION_LABELS[log.fraction]) if log.fraction else "",
            log.quantity,
            str(UNIT_SHORT[CANONICAL_UNIT[log.category]]),
            log.quantity_entered.normalize(),
            str(UNIT_SHORT.get(log.unit_entered, "")),
            str(EVIDENCE_LABELS.get(log.evidence, log.evidence)),
            status,
            log.note or "",
        ]


def to_csv(stmt: Select) -> str:
    """The entries as CSV text (BOM first, formulas neutralised)."""
    return csv_text(header(), rows(stmt))


def to_xlsx(stmt: Select) -> bytes:
    """The entries as an XLSX workbook; numbers stay numbers, text never runs."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Eco-actions"))[:31])
    sheet.append(header())
    for row in rows(stmt):
        sheet.append([float(v) if isinstance(v, Decimal) else neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
