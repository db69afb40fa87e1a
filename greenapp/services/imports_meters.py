"""Spreadsheet import of meter readings: dry run, commit all-or-nothing, undo.

Reuses the entries import's machinery (services/imports.py): the same reading of CSV,
XLSX and ODS (python-calamine; spreadsheet numbers through Decimal(repr(x))), header
names recognised in any interface language, the ImportBatch with the file's SHA-256,
the error file and the audit. Every row goes through services/meters.add_reading, the
form's own validation, unchanged: in the dry run inside a savepoint that is rolled back
(so each row is checked against the readings before it, in the file too), and again on
commit, in the request's transaction, so one invalid row stores nothing.

A row is a reading of one of the school's meters (by serial or name) on a date, either
an index, a bill's consumption for a period (from .. to), or a replacement (the flag, the
old meter's last index in the index column and the new meter's starting index). A row is
a duplicate when the meter already has a (not deleted) reading of that kind on that date,
or an earlier row of the file has that key (meter + date + kind).

Undo removes the batch's readings, the latest first, through meters.delete_reading (soft
delete, audited, caches moved); a reading entered after them by hand blocks the undo with
a clear message, as on the meter page.
"""

from __future__ import annotations

import io
import json
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.imports import (
    BATCH_COMMITTED,
    BATCH_PREVIEW,
    BATCH_UNDONE,
    TARGET_METER_READINGS,
    ImportBatch,
)
from greenapp.models.meters import (
    READING_BILL,
    READING_INDEX,
    READING_REPLACEMENT,
    Meter,
    MeterReading,
)
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, User
from greenapp.services import audit, locking
from greenapp.services import imports as base
from greenapp.services import meters as meter_service
from greenapp.services.errors import PermissionDenied, ValidationFailed

FIELDS = (
    "meter",
    "reading_date",
    "index",
    "consumption",
    "period_start",
    "replaced",
    "new_index",
    "note",
)
REQUIRED = ("meter", "reading_date")
FIELD_LABELS = {
    "meter": _l("Meter (serial number or name)"),
    "reading_date": _l("Date (or last day of the bill)"),
    "index": _l("Meter index"),
    "consumption": _l("Consumption from the bill"),
    "period_start": _l("Bill from"),
    "replaced": _l("Meter replaced"),
    "new_index": _l("New meter's starting index"),
    "note": _l("Note"),
}
EXTRA_HEADERS = {
    "meter": "meter",
    "serial": "meter",
    "date": "reading_date",
    "to": "reading_date",
    "reading_date": "reading_date",
    "index": "index",
    "reading": "index",
    "consumption": "consumption",
    "from": "period_start",
    "period_start": "period_start",
    "replaced": "replaced",
    "replacement": "replaced",
    "new_index": "new_index",
    "new index": "new_index",
    "reading date": "reading_date",
    "period start": "period_start",
    "note": "note",
}
YES = {"1", "yes", "y", "true", "x", "+", "да", "иә", "ия", "так", "д"}


def _yes() -> set[str]:
    """ "yes" in every interface language, and the common short forms."""
    return YES | set(base._translated({"yes": _l("yes")}))


def recognised(header: list[str]) -> dict[str, int]:
    """{field: column index} of the header names recognised in any interface language."""
    names = base._translated(FIELD_LABELS)
    names.update({base._norm(k): v for k, v in EXTRA_HEADERS.items()})
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = names.get(base._norm(cell))
        if name and name not in found:
            found[name] = index
    return found


def header_map(header: list[str]) -> dict[str, int]:
    found = recognised(header)
    missing = [f for f in REQUIRED if f not in found]
    if "index" not in found and "consumption" not in found and "new_index" not in found:
        missing.append("index")
    if missing:
        raise base.ImportRefused(
            gettext(
                "These columns are missing: %(names)s. Use the template, or name the columns "
                "as it does.",
                names=", ".join(f"«{FIELD_LABELS[f]}»" for f in missing),
            )
        )
    return found


def _meters(school: School) -> dict[str, Meter]:
    """The school's meters by normalised serial and name (serial first)."""
    meters = db.session.scalars(
        select(Meter)
        .where(Meter.school_id == school.id, Meter.archived_at.is_(None))
        .order_by(Meter.id)
    ).all()
    found: dict[str, Meter] = {}
    for meter in meters:
        if meter.serial:
            found.setdefault(base._norm(meter.serial), meter)
    for meter in meters:
        found.setdefault(base._norm(meter.name), meter)
    return found


def _reading_input(
    cells: list[object], cols: dict[str, int], meters: dict[str, Meter], yes: set[str]
) -> tuple[Meter, meter_service.ReadingInput]:
    width = len(cells)

    def cell(name: str) -> str:
        index = cols.get(name)
        return base._text(cells[index]) if index is not None and index < width else ""

    def day(name: str) -> date | None:
        text = cell(name)
        if not text:
            return None
        try:
            return base._date(text)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, name) from None

    name = cell("meter")
    if not name:
        raise ValidationFailed(_l("Name the meter (its serial number or name)."), "meter")
    meter = meters.get(base._norm(name))
    if meter is None:
        raise ValidationFailed(
            _l("This school has no meter with this serial number or name."), "meter"
        )
    replaced = base._norm(cell("replaced")) in yes
    index, consumption = cell("index"), cell("consumption")
    note = cell("note")
    if replaced:
        if not cell("new_index"):
            raise ValidationFailed(_l("Enter the new meter's starting index."), "new_index")
        data = meter_service.ReadingInput(
            kind=READING_REPLACEMENT,
            reading_date=day("reading_date"),
            value=cell("new_index"),
            old_final=index,
            note=note,
        )
    elif consumption:
        if index:
            raise ValidationFailed(
                _l("Enter either an index or a bill's consumption, not both."), "index"
            )
        data = meter_service.ReadingInput(
            kind=READING_BILL,
            reading_date=day("reading_date"),
            value=consumption,
            period_start=day("period_start"),
            note=note,
        )
    elif index:
        data = meter_service.ReadingInput(
            kind=READING_INDEX, reading_date=day("reading_date"), value=index, note=note
        )
    else:
        raise ValidationFailed(_l("Enter the meter index or the bill's consumption."), "index")
    return meter, data


def _existing_keys(school: School) -> set[tuple[int, date, str]]:
    rows = db.session.execute(
        select(MeterReading.meter_id, MeterReading.reading_date, MeterReading.kind)
        .join(Meter, Meter.id == MeterReading.meter_id)
        .where(Meter.school_id == school.id, MeterReading.deleted_at.is_(None))
    ).all()
    return {(r[0], r[1], r[2]) for r in rows}


def _label(field_name: str | None) -> str:
    labels = {
        **FIELD_LABELS,
        "value": FIELD_LABELS["index"],
        "old_final": FIELD_LABELS["index"],
        "kind": FIELD_LABELS["meter"],
    }
    return str(labels.get(field_name or "", ""))


def _run(actor: User, school: School, content: bytes) -> tuple[base.Analysis, list[int]]:
    """Every row through meters.add_reading, in order, in the current transaction;
    return the analysis and the ids of the readings stored (new rows)."""
    kind, header, data = base.read_table(content)
    cols = header_map(header)
    meters = _meters(school)
    yes = _yes()
    keys = _existing_keys(school)
    seen: dict[tuple[int, date, str], int] = {}
    analysis = base.Analysis(kind=kind, header=header)
    stored: list[int] = []
    for number, cells in data:
        row = base.RowResult(number=number, cells=[base._text(c) for c in cells])
        analysis.rows.append(row)
        try:
            meter, reading_input = _reading_input(cells, cols, meters, yes)
            key = (meter.id, reading_input.reading_date, reading_input.kind)
            if reading_input.reading_date is not None and key in keys:
                row.status = base.DUPLICATE
                row.reason = gettext(
                    "Already stored: this meter has a reading of this kind on this date."
                )
                continue
            if key in seen:
                row.status = base.DUPLICATE
                row.reason = gettext("The same as row %(row)s of this file.", row=seen[key])
                continue
            reading = meter_service.add_reading(actor, meter, reading_input)
            seen[key] = number  # type: ignore[index]
            stored.append(reading.id)
            if reading.quality_flag:
                row.reason = meter_service.flag_message(reading.quality_flag, meter.kind)
        except ValidationFailed as exc:
            row.status = base.INVALID
            label = _label(exc.field)
            row.reason = f"{label}: {exc.message}" if label else str(exc.message)
    return analysis, stored


def analyse(actor: User, school: School, content: bytes) -> base.Analysis:
    """The dry run: every row checked as if stored, then nothing kept."""
    savepoint = db.session.begin_nested()
    try:
        analysis, _stored = _run(actor, school, content)
    finally:
        savepoint.rollback()
    return analysis


_count = base.count_rows


def school_for(actor: User) -> School:
    """Only a school's own coordinator enters its meter readings (meters.py's rule)."""
    if actor.role == COORDINATOR and actor.school is not None:
        return actor.school
    raise PermissionDenied(_l("Only this school's coordinator enters meter data."))


def can_manage(user: User, batch: ImportBatch) -> bool:
    return batch.target == TARGET_METER_READINGS and meter_service.can_edit_school(
        user, batch.school_id
    )


def visible_batches(user: User):
    """The meter-reading batches of the user's school, newest first."""
    return base.visible_batches(user, TARGET_METER_READINGS)


def preview(actor: User, filename: str, content: bytes) -> ImportBatch:
    """Check a file (dry run) and keep it as a batch awaiting commit."""
    school = school_for(actor)
    analysis = analyse(actor, school, content)
    batch = base.new_batch(
        actor, school.id, TARGET_METER_READINGS, filename, content, analysis.kind
    )
    _count(batch, analysis)
    db.session.flush()
    return batch


def commit(actor: User, batch: ImportBatch) -> int:
    """Store every new row, all or nothing (the caller rolls back on an exception)."""
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("Only this school's coordinator enters meter data."))
    if batch.status != BATCH_PREVIEW or batch.content is None:
        raise ValidationFailed(_l("This file was already imported or undone."), "file")
    db.session.execute(select(School.id).where(School.id == batch.school_id).with_for_update())
    analysis, stored = _run(actor, batch.school, batch.content)
    _count(batch, analysis)
    if batch.rows_invalid:
        raise ValidationFailed(
            _l("Some rows are invalid now. Check the file again; nothing was imported."), "file"
        )
    batch.rows_added = len(stored)
    batch.checked = json.dumps({"reading_ids": stored})
    batch.status = BATCH_COMMITTED
    batch.committed_at = utcnow()
    audit.record(
        "import_batch",
        batch.id,
        "commit",
        actor,
        {"status": [BATCH_PREVIEW, BATCH_COMMITTED], "rows_added": [0, len(stored)]},
    )
    return len(stored)


def undo(actor: User, batch: ImportBatch) -> int:
    """Remove the batch's readings (soft delete, latest first); return how many."""
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("Only this school's coordinator enters meter data."))
    if batch.status != BATCH_COMMITTED:
        raise ValidationFailed(_l("Only an imported file can be undone."), "file")
    ids = json.loads(batch.checked or "{}").get("reading_ids", [])
    readings = db.session.scalars(
        select(MeterReading)
        .where(MeterReading.id.in_(ids), MeterReading.deleted_at.is_(None))
        .order_by(MeterReading.reading_date.desc(), MeterReading.id.desc())
    ).all()
    for reading in readings:
        try:
            meter_service.delete_reading(actor, reading)
        except ValidationFailed:
            raise ValidationFailed(
                _l(
                    "A later reading of meter «%(meter)s» was entered after this import; "
                    "remove it first, then undo the import.",
                    meter=reading.meter.name,
                ),
                "file",
            ) from None
    batch.status = BATCH_UNDONE
    batch.undone_at = utcnow()
    batch.undone_by_id = actor.id
    audit.record(
        "import_batch",
        batch.id,
        "undo",
        actor,
        {"status": [BATCH_COMMITTED, BATCH_UNDONE], "rows_deleted": [0, len(readings)]},
    )
    return len(readings)


def stored_analysis(actor: User, batch: ImportBatch) -> base.Analysis | None:
    """The dry run of a batch awaiting commit, for its page and error file."""
    if batch.status != BATCH_PREVIEW or batch.content is None:
        return None
    try:
        return analyse(actor, batch.school, batch.content)
    except ValidationFailed:
        return None


def template_xlsx(school: School | None = None) -> bytes:
    """An empty readings sheet in the reader's language, with the school's meters to
    choose from (serial, else name) and a yes-list for the replacement flag."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Meter readings")[:31]
    columns = [str(FIELD_LABELS[f]) for f in FIELDS]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    names = sorted({m.serial or m.name for m in _meters(school).values()}) if school else []
    lists = book.create_sheet("lists")
    lists.sheet_state = "hidden"
    lists.cell(row=1, column=2, value=gettext("yes"))
    for row, name in enumerate(names, start=1):
        lists.cell(row=row, column=1, value=name)
    for letter, source, count in (("A", "A", len(names)), ("F", "B", 1)):
        if not count:
            continue
        check = DataValidation(
            type="list",
            formula1=f"lists!${source}$1:${source}${count}",
            allow_blank=True,
            showErrorMessage=letter == "A",
        )
        check.error = gettext("Choose a value from the list.")
        sheet.add_data_validation(check)
        check.add(f"{letter}2:{letter}{base.MAX_ROWS + 1}")
    for col in ("B", "E"):
        for row in range(2, 502):
            sheet[f"{col}{row}"].number_format = "yyyy-mm-dd"
    for index, name in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(14, len(name) + 4)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
