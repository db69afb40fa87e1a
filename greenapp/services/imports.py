"""Spreadsheet import of eco-actions: read, dry run, commit all-or-nothing, undo.

Files: CSV (UTF-8, with or without BOM; read with the csv module), XLSX and ODS (read
with python-calamine; formula cells are read as the value the spreadsheet last
calculated and stored). Every row goes through the log form's own validation
(services/log_rules.validate, in Python, with no query per row) in the dry run and again
on commit, which stores the new rows as one set through services/bulk_write.py (the
write pipeline's set-based path: the form's audit, daily summaries and data-quality
rule, run once per batch), so 100,000 rows commit in seconds.

Columns are recognised by their header names in any interface language; when the
required ones are not, the user maps them (`ColumnsMissing` -> the mapping form), and
the mapping is remembered for the school (`ImportMapping`) and used for its next files.

A row is a duplicate when the school already has a (not deleted) entry with the same
reference, or, for rows without a reference, the same date, category, fraction,
quantity and unit; or when an earlier row of the same file has that key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import cast

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select

from greenapp.extensions import db
from greenapp.models.base import utcnow
from greenapp.models.imports import (
    BATCH_COMMITTED,
    BATCH_PREVIEW,
    BATCH_UNDONE,
    TARGET_ENTRIES,
    ImportBatch,
    ImportMapping,
)
from greenapp.models.log import EcoLog
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, User
from greenapp.services import audit, bulk_write, locking
from greenapp.services import logs as log_service
from greenapp.services.clock import today_in
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.units import (
    CATEGORIES,
    CATEGORY_LABELS,
    EVIDENCE_KINDS,
    EVIDENCE_LABELS,
    FRACTION_LABELS,
    FRACTIONS,
    UNIT_FACTORS,
    UNIT_LABELS,
    UNIT_SHORT,
    WASTE,
)

MAX_BYTES = 16 * 1024 * 1024  # an uploaded file (100,000 rows of CSV fit easily)
MAX_ROWS = 100_000  # data rows in one file
MAX_UNZIPPED = 200 * 1024 * 1024  # all members of an XLSX/ODS once unpacked
MAX_MEMBERS = 2_000  # files inside an XLSX/ODS
MAX_RATIO = 200  # unpacked size / packed size of one large member
LANGUAGES = ("en", "kk", "ru", "be")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

NEW, DUPLICATE, INVALID = "new", "duplicate", "invalid"
STATUS_LABELS = {NEW: _l("new"), DUPLICATE: _l("duplicate"), INVALID: _l("invalid")}

FIELDS = (
    "action_date",
    "category",
    "fraction",
    "quantity",
    "unit",
    "evidence",
    "note",
    "external_ref",
)
REQUIRED = ("action_date", "category", "quantity", "unit")
FIELD_LABELS = {
    "action_date": _l("Date"),
    "category": _l("Category"),
    "fraction": _l("Waste fraction"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "evidence": _l("Evidence"),
    "note": _l("Note"),
    "external_ref": _l("Reference"),
}
# Header names that are not a translation of the labels above but are common.
EXTRA_HEADERS = {
    "date": "action_date",
    "action_date": "action_date",
    "day": "action_date",
    "category": "category",
    "fraction": "fraction",
    "quantity": "quantity",
    "amount": "quantity",
    "unit": "unit",
    "evidence": "evidence",
    "note": "note",
    "external_ref": "external_ref",
    "ref": "external_ref",
    "reference": "external_ref",
    # Short forms people type in Russian, Belarusian and Kazakh sheets.
    "единица": "unit",
    "ед. изм.": "unit",
    "ед.изм.": "unit",
    "ед. изм": "unit",
    "адзінка": "unit",
    "бірлік": "unit",
    "кол-во": "quantity",
    "саны": "quantity",
    "фракция": "fraction",
    "фракцыя": "fraction",
    "номер": "external_ref",
    "№": "external_ref",
}


class ImportRefused(ValidationFailed):
    """The whole file is refused (empty, too big, wrong type, wrong encoding ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


class ColumnsMissing(ImportRefused):
    """Required columns were not recognised by name: the user maps them (mapping form)."""

    def __init__(self, message: str, header: list[str], found: dict[str, int]) -> None:
        super().__init__(message)
        self.header = header
        self.found = found


@dataclass
class RowResult:
    """One data row of the file after the dry run."""

    number: int  # row number as the spreadsheet shows it
    cells: list[str]  # the original cells, as text
    status: str = NEW
    reason: str = ""
    data: log_service.LogInput | None = None
    external_ref: str = ""
    values: dict | None = None  # what log_rules.validate accepted (new rows)


@dataclass
class Analysis:
    """A file read and checked: its header and every row's verdict."""

    kind: str
    header: list[str]
    rows: list[RowResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


# --- reading -----------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a column repeats a few values thousands of times
def _norm(text: object) -> str:
    """Compare names case- and space-insensitively ('Дата ' == 'дата')."""
    cleaned = re.sub(r"[\s*:]+", " ", str(text or "")).strip().casefold()
    return cleaned.replace("ё", "е")


def sniff_kind(content: bytes) -> str:
    """Tell 'csv', 'xlsx' or 'ods' from the bytes (not the name); refuse anything else."""
    if not content:
        raise ImportRefused(gettext("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ImportRefused(_too_big())
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            gettext(
                "This is an old Excel file (.xls). Save it as .xlsx or CSV and upload it again."
            )
        )
    head = content[:8192]
    if b"\x00" in head or content.startswith((b"MZ", b"\x7fELF", b"%PDF")):
        raise ImportRefused(
            gettext("This file is not a spreadsheet. Upload a CSV, XLSX or ODS file.")
        )
    return "csv"


def _too_big() -> str:
    return gettext(
        "The file is larger than %(mb)s MB. Split it into smaller files.",
        mb=MAX_BYTES // (1024 * 1024),
    )


def _zip_kind(content: bytes) -> str:
    """Check an XLSX/ODS container before any parser unpacks it (zip bombs)."""
    not_sheet = gettext("This file is not a spreadsheet. Upload a CSV, XLSX or ODS file.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _check_zip(archive, not_sheet)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefused(not_sheet) from None


def _check_zip(archive: zipfile.ZipFile, not_sheet: str) -> str:
    members = archive.infolist()
    bomb = gettext(
        "This file unpacks to far more data than a spreadsheet holds, so it "
        "was not opened. Save the spreadsheet again and upload the new file."
    )
    if len(members) > MAX_MEMBERS:
        raise ImportRefused(bomb)
    total = 0
    for info in members:
        total += info.file_size
        large = info.file_size > 1024 * 1024
        if total > MAX_UNZIPPED or (
            large and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            raise ImportRefused(bomb)
    names = {info.filename for info in members}
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "mimetype" in names:
        with archive.open("mimetype") as fh:
            if fh.read(100).strip() == b"application/vnd.oasis.opendocument.spreadsheet":
                return "ods"
    raise ImportRefused(not_sheet)


def _decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    if text and re.search("[А-Яа-яЁёІіЎўӘәҒғҚқҢңӨөҰұҮүҺһ]", text):
        raise ImportRefused(
            gettext(
                "This CSV file is in the Windows-1251 (Cyrillic) encoding, not UTF-8, so its "
                'letters would be misread. Save it again as "CSV UTF-8" (in Excel: Save As, '
                "CSV UTF-8; in LibreOffice: Character set Unicode (UTF-8)) and upload it again."
            )
        )
    raise ImportRefused(
        gettext(
            'This CSV file is not in the UTF-8 encoding. Save it again as "CSV UTF-8" '
            "and upload it again."
        )
    )


def _csv_rows(content: bytes) -> list[list[object]]:
    text = _decode_csv(content)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    # newline="": the csv module reads line ends itself (a lone CR inside a line was a 500)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [list(r) for r in reader]
    except csv.Error:  # e.g. a field beyond the csv module's size limit
        raise ImportRefused(
            gettext("This file is not a spreadsheet. Upload a CSV, XLSX or ODS file.")
        ) from None


def _sheet_rows(content: bytes) -> list[list[object]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = book.get_sheet_by_index(0)
        merged = sheet.merged_cell_ranges or []
        if merged:
            (r0, _c0), _end = merged[0]
            raise ImportRefused(
                gettext(
                    "The sheet has merged cells (first at row %(row)s). Unmerge them so that "
                    "every row has its own values, and upload it again.",
                    row=r0 + 1,
                )
            )
        rows: list[list[object]] = []
        for row in sheet.iter_rows():
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except ImportRefused:
        raise
    except (CalamineError, ValueError, OSError, zipfile.BadZipFile) as exc:
        current_app.logger.info("spreadsheet unreadable: %s", type(exc).__name__)
        raise ImportRefused(
            gettext(
                "This spreadsheet could not be read. Save it again as XLSX or ODS and upload it "
                "again."
            )
        ) from None


def read_table(content: bytes) -> tuple[str, list[str], list[tuple[int, list[object]]]]:
    """Return (kind, header cells, [(row number, cells)]) of the first sheet."""
    kind = sniff_kind(content)
    raw = _csv_rows(content) if kind == "csv" else _sheet_rows(content)
    numbered = [(i + 1, row) for i, row in enumerate(raw) if any(_text(c) for c in row)]
    if not numbered:
        raise ImportRefused(gettext("The file is empty."))
    (_n, header), data = numbered[0], numbered[1:]
    if not data:
        raise ImportRefused(gettext("The file has a header row but no entries."))
    if len(data) > MAX_ROWS:
        raise ImportRefused(
            gettext(
                "The file has more than %(limit)s rows. Split it into files of at most "
                "%(limit)s rows.",
                limit=f"{MAX_ROWS:,}".replace(",", "\u00a0"),
            )
        )
    return kind, [_text(c) for c in header], data


# --- names in every language -------------------------------------------------------


def _translated(labels: dict[str, object]) -> dict[str, str]:
    """{normalised name in any interface language: code} for a label table."""
    names: dict[str, str] = {}
    for code, label in labels.items():
        names[_norm(code)] = code
        for lang in LANGUAGES:
            with force_locale(lang):
                names.setdefault(_norm(str(label)), code)
    return names


def recognised(header: list[str]) -> dict[str, int]:
    """{field: column index} of the header names recognised in any interface language."""
    names = _translated(FIELD_LABELS)
    names.update({_norm(k): v for k, v in EXTRA_HEADERS.items()})
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = names.get(_norm(cell))
        if name and name not in found:
            found[name] = index
    return found


def mapped(header: list[str], columns: dict[str, str] | None) -> dict[str, int]:
    """{field: column index}: the names recognised, then a user's mapping
    ({field: header text}) for every field whose header is in this file."""
    found = recognised(header)
    if columns:
        where = {_norm(cell): index for index, cell in reversed(list(enumerate(header)))}
        taken = {
            where[_norm(text)]: field
            for field, text in columns.items()
            if field in FIELDS and _norm(text) in where
        }
        found = {f: i for f, i in found.items() if i not in taken}
        found.update({f: i for i, f in taken.items()})
    return found


def header_map(header: list[str], columns: dict[str, str] | None = None) -> dict[str, int]:
    """{field: column index} from header names in any interface language (and a mapping
    the user chose); ColumnsMissing names the required fields not found."""
    found = mapped(header, columns)
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise ColumnsMissing(
            ngettext(
                "The column %(names)s is missing. Use the template, or name the columns as it "
                "does.",
                "The columns %(names)s are missing. Use the template, or name the columns as it "
                "does.",
                len(missing),
                names=", ".join(f"«{FIELD_LABELS[f]}»" for f in missing),
            ),
            header,
            found,
        )
    return found


def _value_maps() -> dict[str, dict[str, str]]:
    units: dict[str, object] = dict(UNIT_LABELS)
    maps = {
        "category": _translated(dict(CATEGORY_LABELS)),
        "fraction": _translated(dict(FRACTION_LABELS)),
        "unit": _translated(units),
        "evidence": _translated(dict(EVIDENCE_LABELS)),
    }
    maps["unit"].update(
        {k: v for k, v in _translated(dict(UNIT_SHORT)).items() if k not in maps["unit"]}
    )
    return maps


# --- cells ---------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as the text a person sees; spreadsheet floats through Decimal(repr(x))."""
    if type(value) is str:  # every CSV cell: the common case first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        number = Decimal(repr(value))
        return (
            str(number.quantize(Decimal(1)))
            if number == number.to_integral_value()
            else str(number)
        )
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        if len(value) == 10 and value[4] == "-":  # the common ISO case, fast
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise ValidationFailed(_l("Enter the date as YYYY-MM-DD or DD.MM.YYYY."), "action_date")


def _choice(
    maps: dict[str, dict[str, str]], name: str, value: object, valid: Iterable[str], message: object
) -> str:
    text = _text(value)
    if not text:
        return ""
    code = maps[name].get(_norm(text), "")
    if code not in valid:
        raise ValidationFailed(message, name)  # type: ignore[arg-type]
    return code


ALL_UNITS = frozenset(u for f in UNIT_FACTORS.values() for u in f)
UNKNOWN = {
    "category": _l("Unknown category; choose one from the template's list."),
    "fraction": _l("Unknown waste fraction; choose one from the template's list."),
    "unit": _l("Unknown unit; choose one from the template's list."),
    "evidence": _l("Unknown kind of evidence; choose one from the template's list."),
}


def _row_input(
    cells: list[object], cols: dict[str, int], maps: dict[str, dict[str, str]]
) -> tuple[log_service.LogInput, str]:
    width = len(cells)

    def cell(name: str) -> object:
        index = cols.get(name)
        return cells[index] if index is not None and index < width else None

    category = _choice(maps, "category", cell("category"), CATEGORIES, UNKNOWN["category"])
    if not category:
        raise ValidationFailed(_l("Choose a category."), "category")
    fraction = _choice(maps, "fraction", cell("fraction"), FRACTIONS, UNKNOWN["fraction"])
    unit = _choice(maps, "unit", cell("unit"), ALL_UNITS, UNKNOWN["unit"])
    if not unit:
        raise ValidationFailed(_l("Choose a unit."), "unit")
    evidence = _choice(maps, "evidence", cell("evidence"), EVIDENCE_KINDS, UNKNOWN["evidence"])
    ref = _text(cell("external_ref"))
    if len(ref) > 100:
        raise ValidationFailed(
            _l("The reference is too long (100 characters at most)."), "external_ref"
        )
    data = log_service.LogInput(
        category=category,
        quantity=_text(cell("quantity")),
        unit=unit,
        action_date=_date(cell("action_date")),
        evidence=evidence or "self",
        fraction=fraction if category == WASTE else "",
        note=_text(cell("note")),
    )
    return data, ref


def _key(school_id: int, values: dict) -> tuple:
    return (
        school_id,
        values["action_date"],
        values["category"],
        values["fraction"],
        values["quantity_entered"],
        values["unit_entered"],
    )


# --- dry run -------------------------------------------------------------------------


def analyse(content: bytes, school: School, columns: dict[str, str] | None = None) -> Analysis:
    """Read a file and mark every row new, duplicate or invalid (with the reason).

    `columns` is a user's mapping {field: header text} (ImportBatch.columns). No query
    per row: the duplicate keys are read once for the file's date range.
    """
    kind, header, data = read_table(content)
    cols = header_map(header, columns)
    maps = _value_maps()
    analysis = Analysis(kind=kind, header=header)
    checked: list[tuple[RowResult, tuple | None]] = []
    for number, cells in data:
        result = RowResult(number=number, cells=[_text(c) for c in cells])
        key = None
        try:
            result.data, result.external_ref = _row_input(cells, cols, maps)
            values = log_service.validate(result.data, school)
            key = _key(school.id, values)
            result.values = values
        except ValidationFailed as exc:
            result.status = INVALID
            label = FIELD_LABELS.get(exc.field or "", "")
            result.reason = f"{label}: {exc.message}" if label else str(exc.message)
        checked.append((result, key))
        analysis.rows.append(result)
    _mark_duplicates(school, checked)
    return analysis


def _mark_duplicates(school: School, checked: list[tuple[RowResult, tuple | None]]) -> None:
    days = [k[1] for _r, k in checked if k]
    if not days:
        return
    existing = db.session.execute(
        select(
            EcoLog.action_date,
            EcoLog.category,
            EcoLog.fraction,
            EcoLog.quantity_entered,
            EcoLog.unit_entered,
            EcoLog.external_ref,
        ).where(
            EcoLog.school_id == school.id,
            EcoLog.deleted_at.is_(None),
            EcoLog.action_date >= min(days),
            EcoLog.action_date <= max(days),
        )
    ).all()
    keys = {(school.id, *row[:5]) for row in existing if not row[5]}
    refs = {row[5] for row in existing if row[5]}
    wanted = sorted({r.external_ref for r, k in checked if k and r.external_ref})
    for start in range(0, len(wanted), bulk_write.CHUNK):  # bounded IN lists
        refs |= set(
            db.session.scalars(
                select(EcoLog.external_ref).where(
                    EcoLog.school_id == school.id,
                    EcoLog.deleted_at.is_(None),
                    EcoLog.external_ref.in_(wanted[start : start + bulk_write.CHUNK]),
                )
            )
        )
    seen: dict[object, int] = {}
    for result, key in checked:
        if key is None:
            continue
        mark: object = ("ref", result.external_ref) if result.external_ref else key
        if result.external_ref and result.external_ref in refs:
            result.status = DUPLICATE
            result.reason = gettext("Already stored (reference %(ref)s).", ref=result.external_ref)
        elif not result.external_ref and key in keys:
            result.status = DUPLICATE
            result.reason = gettext(
                "Already stored: an entry with the same date, category, "
                "fraction, quantity and unit exists."
            )
        elif mark in seen:
            result.status = DUPLICATE
            result.reason = gettext("The same as row %(row)s of this file.", row=seen[mark])
        else:
            seen[mark] = result.number


def count_rows(batch: ImportBatch, analysis: Analysis) -> None:
    """Write the dry run's counts (total, new, duplicate, invalid) onto the batch."""
    batch.rows_total = len(analysis.rows)
    batch.rows_new = analysis.count(NEW)
    batch.rows_duplicate = analysis.count(DUPLICATE)
    batch.rows_invalid = analysis.count(INVALID)


def _count(batch: ImportBatch, analysis: Analysis) -> None:
    count_rows(batch, analysis)
    batch.checked = checked_rows(analysis)


def new_batch(
    actor: User,
    school_id: int | None,
    target: str,
    filename: str,
    content: bytes,
    file_kind: str,
    **fields,
) -> ImportBatch:
    """A checked file kept as a batch awaiting commit (flushed, so it has its id)."""
    batch = ImportBatch(
        school_id=school_id,
        author_id=actor.id,
        filename=(filename or "upload")[:200],
        file_kind=file_kind,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        status=BATCH_PREVIEW,
        target=target,
        **fields,
    )
    db.session.add(batch)
    return batch


CHECKED_FIELDS = (
    "action_date",
    "category",
    "fraction",
    "quantity_entered",
    "unit_entered",
    "quantity",
    "evidence",
    "note",
)


def checked_rows(analysis: Analysis) -> str | None:
    """The rows the dry run accepted (new or duplicate), as compact JSON; None if any
    row is invalid (such a file is never committed)."""
    if analysis.count(INVALID):
        return None
    rows = [
        [r.number, r.external_ref, *(str(r.values[f]) for f in CHECKED_FIELDS)]
        for r in analysis.rows
        if r.values is not None
    ]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _recheck(batch: ImportBatch, school: School) -> Analysis | None:
    """The dry run's rows with what can have changed since checked again: each date
    against today and the school's joined date (log_rules.validate's date rules) and
    every row against the stored entries (duplicates). None when a date no longer
    passes: the caller then runs the full analysis, which says why."""
    if not batch.checked:
        return None
    today = today_in(school.timezone)
    analysis = Analysis(kind=batch.file_kind, header=[])
    checked: list[tuple[RowResult, tuple | None]] = []
    for number, ref, day, cat, frac, q_entered, unit, qty, evidence, note in json.loads(
        batch.checked
    ):
        values = {
            "action_date": date.fromisoformat(day),
            "category": cat,
            "fraction": frac,
            "quantity_entered": Decimal(q_entered),
            "unit_entered": unit,
            "quantity": Decimal(qty),
            "evidence": evidence,
            "note": note,
        }
        if not school.joined_on <= values["action_date"] <= today:
            return None
        row = RowResult(number=number, cells=[], external_ref=ref, values=values)
        analysis.rows.append(row)
        checked.append((row, _key(school.id, values)))
    _mark_duplicates(school, checked)
    return analysis


# --- permissions ---------------------------------------------------------------------


def school_for(actor: User, school_id: int | None) -> School:
    """The school an import goes to: a coordinator's own; an admin's choice."""
    if actor.role == COORDINATOR and actor.school is not None:
        return actor.school
    if actor.role == ADMIN:
        school = db.session.get(School, school_id) if school_id is not None else None
        if school is not None:
            return school
        raise ValidationFailed(_l("Choose a school."), "school_id")
    raise PermissionDenied(_l("Only school coordinators and admins import spreadsheets."))


def can_manage(user: User, batch: ImportBatch) -> bool:
    """Admins, and the coordinators of the batch's school (rule in permissions.py)."""
    from greenapp.permissions import can_edit

    return can_edit(batch, user)


def visible_batches(user: User, target: str = TARGET_ENTRIES) -> Select[tuple[ImportBatch]]:
    """select() of the batches (of one target) this user may see, newest first."""
    stmt = (
        select(ImportBatch)
        .where(ImportBatch.target == target)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
    )
    if user.role == COORDINATOR:
        return stmt.where(ImportBatch.school_id == user.school_id)
    if user.role == ADMIN:
        return stmt
    return stmt.where(false())


# --- preview, commit, undo -----------------------------------------------------------


def preview(actor: User, school: School, filename: str, content: bytes) -> ImportBatch:
    """Check a file (dry run) and keep it as a batch awaiting commit; stores no entry."""
    with bulk_write.paused_gc():
        return _preview(actor, school, filename, content)


def _preview(actor: User, school: School, filename: str, content: bytes) -> ImportBatch:
    columns = saved_columns(school)
    try:
        analysis: Analysis | None = analyse(content, school, columns)
    except ColumnsMissing:
        analysis = None  # kept: the user maps the columns next (needs_columns)
    batch = new_batch(
        actor, school.id, TARGET_ENTRIES, filename, content, sniff_kind(content), columns=columns
    )
    if analysis is not None:
        _count(batch, analysis)
    db.session.flush()
    batch.analysis = analysis  # not stored: the API answers with it
    return batch


def commit(actor: User, batch: ImportBatch) -> int:
    """Store every new row of a checked batch, all or nothing; return how many were added.

    The caller commits the transaction, or rolls it back on any exception.
    """
    with bulk_write.paused_gc():
        return _commit(actor, batch)


def _commit(actor: User, batch: ImportBatch) -> int:
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("You cannot import into this school."))
    if batch.status != BATCH_PREVIEW or batch.content is None:
        raise ValidationFailed(_l("This file was already imported or undone."), "file")
    # One import per school at a time: a second commit waits and then sees the first's rows.
    db.session.execute(select(School.id).where(School.id == batch.school_id).with_for_update())
    # An entries batch always belongs to a school (only admin imports have none).
    school = cast(School, db.session.get(School, batch.school_id))
    analysis = _recheck(batch, school) or analyse(
        batch.content,
        school,
        batch.columns,
    )
    _count(batch, analysis)
    if batch.rows_invalid:
        raise ValidationFailed(
            ngettext(
                "%(num)d row is invalid. Fix it in the file and upload it again; nothing was "
                "imported.",
                "%(num)d rows are invalid. Fix them in the file and upload it again; nothing was "
                "imported.",
                batch.rows_invalid,
            ),
            "file",
        )
    rows = [
        (row.values, row.external_ref)
        for row in analysis.rows
        if row.status == NEW and row.values is not None
    ]
    added = len(
        bulk_write.create_logs(
            actor,
            school,
            rows,
            batch_id=batch.id,
        )
    )
    batch.rows_added = added
    batch.status = BATCH_COMMITTED
    batch.committed_at = utcnow()
    audit.record(
        "import_batch",
        batch.id,
        "commit",
        actor,
        {"status": [BATCH_PREVIEW, BATCH_COMMITTED], "rows_added": [0, added]},
    )
    return added


def undo(actor: User, batch: ImportBatch) -> int:
    """Soft-delete every entry of a committed batch together; return how many."""
    locking.lock(batch)
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("You cannot undo this import."))
    if batch.status != BATCH_COMMITTED:
        raise ValidationFailed(_l("Only an imported file can be undone."), "file")
    removed = bulk_write.delete_batch(actor, batch.school, batch.id)
    batch.status = BATCH_UNDONE
    batch.undone_at = utcnow()
    batch.undone_by_id = actor.id
    audit.record(
        "import_batch",
        batch.id,
        "undo",
        actor,
        {"status": [BATCH_COMMITTED, BATCH_UNDONE], "rows_deleted": [0, removed]},
    )
    return removed


# --- column mapping ------------------------------------------------------------------


def saved_columns(school: School) -> dict[str, str] | None:
    """The column mapping the school's users chose last time, if any."""
    mapping = db.session.scalar(select(ImportMapping).where(ImportMapping.school_id == school.id))
    return dict(mapping.columns) if mapping is not None and mapping.columns else None


def file_header(batch: ImportBatch) -> list[str]:
    """The header cells of a batch's file (for the mapping form)."""
    _kind, header, _data = read_table(batch.content or b"")
    return header


def needs_columns(batch: ImportBatch) -> bool:
    """True while a checked file's required columns are neither recognised nor mapped."""
    if batch.status != BATCH_PREVIEW or batch.content is None or batch.rows_total:
        return False  # a file whose rows were counted had its columns found
    try:
        header_map(file_header(batch), batch.columns)
    except ColumnsMissing:
        return True
    except ImportRefused:
        return False
    return False


def set_columns(actor: User, batch: ImportBatch, chosen: dict[str, int]) -> None:
    """Map columns ({field: column index}) for a checked batch, re-run its dry run, and
    remember the mapping for the school's next files."""
    if not can_manage(actor, batch):
        raise PermissionDenied(_l("You cannot import into this school."))
    if batch.status != BATCH_PREVIEW or batch.content is None:
        raise ValidationFailed(_l("This file was already imported or undone."), "file")
    header = file_header(batch)
    picked = {f: i for f, i in chosen.items() if f in FIELDS and 0 <= i < len(header)}
    for field_name in REQUIRED:
        if field_name not in picked:
            raise ValidationFailed(_l("Choose the column that holds this."), field_name)
    if len(set(picked.values())) < len(picked):
        raise ValidationFailed(_l("Each column can be used for one field only."), "columns")
    if any(not header[i] for i in picked.values()):
        raise ValidationFailed(
            _l("This column has no name in the header row; name it in the file first."), "columns"
        )
    columns = {f: header[i] for f, i in picked.items()}
    batch.columns = columns
    _count(batch, analyse(batch.content, batch.school, columns))
    mapping = db.session.scalar(
        select(ImportMapping).where(ImportMapping.school_id == batch.school_id).with_for_update()
    )
    if mapping is None:
        mapping = ImportMapping(school_id=batch.school_id)
        db.session.add(mapping)
    before = dict(mapping.columns or {})
    mapping.columns = columns
    mapping.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        "import_mapping",
        mapping.id,
        "update",
        actor,
        audit.diff({"columns": before}, {"columns": columns}),
    )


# --- files for the user --------------------------------------------------------------


def neutralise(cell: str) -> str:
    """Stop a spreadsheet from running a CSV cell as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def error_csv(analysis: Analysis) -> str:
    """The original rows plus status and reason columns (UTF-8 with BOM for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    width = max([len(analysis.header), *(len(r.cells) for r in analysis.rows)])
    header = analysis.header + [""] * (width - len(analysis.header))
    writer.writerow([neutralise(c) for c in header] + [gettext("Status"), gettext("Reason")])
    for row in analysis.rows:
        cells = row.cells + [""] * (width - len(row.cells))
        writer.writerow(
            [neutralise(c) for c in cells]
            + [str(STATUS_LABELS[row.status]), neutralise(row.reason)]
        )
    return out.getvalue()


def template_xlsx() -> bytes:
    """An empty entries sheet in the reader's language, with dropdown lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Entries")[:31]
    lists = book.create_sheet("lists")
    lists.sheet_state = "hidden"
    columns = [str(FIELD_LABELS[f]) for f in FIELDS]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    units = [u for f in UNIT_FACTORS.values() for u in f]
    choices = {
        "category": [str(CATEGORY_LABELS[c]) for c in CATEGORIES],
        "fraction": [str(FRACTION_LABELS[f]) for f in FRACTIONS],
        "unit": list(dict.fromkeys(str(UNIT_SHORT[u]) for u in units)),
        "evidence": [str(EVIDENCE_LABELS[e]) for e in EVIDENCE_KINDS],
    }
    for col, (name, values) in enumerate(choices.items(), start=1):
        letter = chr(ord("A") + col - 1)
        for row, value in enumerate(values, start=1):
            lists.cell(row=row, column=col, value=value)
        target = chr(ord("A") + FIELDS.index(name))
        check = DataValidation(
            type="list",
            formula1=f"lists!${letter}$1:${letter}${len(values)}",
            allow_blank=True,
            showErrorMessage=True,
        )
        check.error = gettext("Choose a value from the list.")
        sheet.add_data_validation(check)
        check.add(f"{target}2:{target}{MAX_ROWS + 1}")
    date_col = chr(ord("A") + FIELDS.index("action_date"))
    for row in range(2, 502):
        sheet[f"{date_col}{row}"].number_format = "yyyy-mm-dd"
    for index, name in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(14, len(name) + 4)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
