"""Request and response shapes of /api/v1 (marshmallow; flask-smorest documents them).

Exact numbers travel as strings ("12.5", "1500.000"): quantities and readings are exact
decimals in greenapp, and a JSON number would become a binary float in many clients
(0.1 + 0.2 != 0.3). Input quantities are strings too, read by services/numbers.py like
the form reads them (a decimal point or comma; ambiguous input gets a message).
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from greenapp.models.glossary import LANGS
from greenapp.models.log import REVIEW_STATES
from greenapp.models.meters import READING_KINDS
from greenapp.services.stats import GRAINS
from greenapp.services.units import CATEGORIES, EVIDENCE_KINDS, FRACTIONS, UNIT_FACTORS

UNITS = sorted({u for units in UNIT_FACTORS.values() for u in units})
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
# What a script sends: digits, optionally a point and decimals; no grouping, no comma,
# no exponent - read the same whatever the Accept-Language.
DECIMAL_IN = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"
DATE_MIN, DATE_MAX = "2000-01-01", "2100-12-31"


class Strict(Schema):
    """Unknown fields are refused (a typo is not silently ignored)."""

    class Meta:
        ordered = True


class DecimalString(fields.String):
    """An exact decimal as a string at its stored scale, e.g. "1500.000" (3 places)."""

    def __init__(self, places: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.quantum = Decimal(1).scaleb(-places)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(Decimal(value).quantize(self.quantum), "f")


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Reasons per field, in the reader's language."},
    )


class OwnerSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["school", "resident"]))
    id = fields.Integer(required=True)


class EntrySchema(Schema):
    """An eco-action entry as stored."""

    id = fields.Integer(required=True)
    owner = fields.Method(
        "_owner",
        required=True,
        metadata={
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["school", "resident"]},
                "id": {"type": "integer"},
            },
            "required": ["type", "id"],
        },
    )
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    fraction = fields.String(
        required=True, metadata={"description": "Waste fraction; empty for other categories."}
    )
    quantity = DecimalString(
        required=True,
        metadata={
            "description": "Canonical quantity (L, kWh, kg, trees, people) as an exact decimal "
            "string.",
            "pattern": DECIMAL,
        },
    )
    canonical_unit = fields.Method("_unit", required=True, metadata={"type": "string"})
    quantity_entered = DecimalString(places=6, required=True, metadata={"pattern": DECIMAL})
    unit_entered = fields.String(required=True)
    action_date = fields.Date(required=True)
    evidence = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    note = fields.String(required=True)
    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATES))
    version = fields.Integer(
        required=True,
        metadata={"description": "Send it back with an edit or delete: a stale one gets 409."},
    )
    deleted = fields.Method("_deleted", required=True, metadata={"type": "boolean"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)

    def _owner(self, log) -> dict:
        return {"type": log.owner_type, "id": log.owner_id}

    def _unit(self, log) -> str:
        from greenapp.services.units import CANONICAL_UNIT

        return CANONICAL_UNIT.get(log.category, "")

    def _deleted(self, log) -> bool:
        return log.deleted_at is not None


class EntryPageSchema(Schema):
    items = fields.List(fields.Nested(EntrySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class EntryListArgs(Strict):
    date_from = fields.Date(metadata={"description": "First action date (YYYY-MM-DD)."})
    date_to = fields.Date(metadata={"description": "Last action date (YYYY-MM-DD)."})
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    include_deleted = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class EntryCreateSchema(Strict):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    quantity = fields.String(
        required=True,
        validate=validate.Regexp(DECIMAL_IN),
        metadata={
            "description": "An exact decimal as text with a point, "
            'e.g. "12.5" (no grouping, no exponent).',
            "example": "12.5",
        },
    )
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    action_date = fields.Date(required=True)
    evidence = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    fraction = fields.String(load_default="", validate=validate.OneOf(["", *FRACTIONS]))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class EntryUpdateSchema(Strict):
    version = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The version you read; a stale one gets 409."},
    )
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    quantity = fields.String(
        validate=validate.Regexp(DECIMAL_IN),
        metadata={"description": 'An exact decimal as text with a point, e.g. "12.5".'},
    )
    unit = fields.String(validate=validate.OneOf(UNITS))
    action_date = fields.Date()
    evidence = fields.String(validate=validate.OneOf(EVIDENCE_KINDS))
    fraction = fields.String(validate=validate.OneOf(["", *FRACTIONS]))
    note = fields.String(validate=validate.Length(max=1000))


class DeleteArgs(Strict):
    version = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The version you read; a stale one gets 409."},
    )


class SchoolSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    country = fields.String(required=True)
    pupils = fields.Integer(required=True)
    joined_on = fields.Date(required=True)
    timezone = fields.String(required=True)


class ReadingSchema(Schema):
    id = fields.Integer(required=True)
    meter_id = fields.Integer(required=True)
    meter_kind = fields.String(required=True)
    unit = fields.String(required=True)
    kind = fields.String(required=True)
    reading_date = fields.Date(required=True)
    period_start = fields.Date(required=True, allow_none=True)
    value = DecimalString(places=6, required=True, metadata={"pattern": DECIMAL})
    quality_flag = fields.String(required=True)


class ReadingCreateSchema(Strict):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(READING_KINDS),
        metadata={"description": "index (the dial), bill (a billed period's use) or replacement."},
    )
    reading_date = fields.Date(required=True)
    value = fields.String(
        required=True,
        validate=validate.Regexp(DECIMAL_IN),
        metadata={
            "description": "In the meter's unit, an exact decimal with a point.",
            "example": "10432.5",
        },
    )
    period_start = fields.Date(metadata={"description": "Bills: the first billed day."})
    old_final = fields.String(
        validate=validate.Regexp(DECIMAL_IN),
        metadata={"description": "Replacements: the old meter's last index."},
    )
    new_serial = fields.String(validate=validate.Length(max=60))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class ReadingListArgs(Strict):
    date_from = fields.Date()
    date_to = fields.Date()


class AggregateArgs(Strict):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    school_id = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "One school (coordinators: their own, the default). Staff without "
            "it get the whole programme's schools."
        },
    )
    grain = fields.String(load_default="month", validate=validate.OneOf(GRAINS))


class AggregateRowSchema(Schema):
    period = fields.Date(required=True)
    category = fields.String(required=True)
    quantity = DecimalString(required=True, metadata={"pattern": DECIMAL})
    entries = fields.Integer(required=True)


class AggregateSchema(Schema):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    grain = fields.String(required=True)
    school_id = fields.Integer(required=True, allow_none=True)
    rows = fields.List(fields.Nested(AggregateRowSchema), required=True)


class ChallengeSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    fraction = fields.String(required=True)
    target = DecimalString(required=True, metadata={"pattern": DECIMAL})
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    audience = fields.String(required=True)


class TermSchema(Schema):
    concept = fields.String(required=True)
    subject = fields.String(required=True)
    lang = fields.String(required=True)
    text = fields.String(required=True)
    status = fields.String(required=True)


class TermArgs(Strict):
    lang = fields.String(validate=validate.OneOf(LANGS))
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Part of a term (case-insensitive)."},
    )


# --- spreadsheet imports (scope import) ------------------------------------------------

IMPORT_STATUSES = ["preview", "committed", "undone"]
ROW_STATUSES = ["invalid", "duplicate", "new"]


class ImportRowSchema(Schema):
    row = fields.Integer(
        required=True, metadata={"description": "The row number as the spreadsheet shows it."}
    )
    status = fields.String(required=True, validate=validate.OneOf(ROW_STATUSES))
    reason = fields.String(
        required=True,
        metadata={
            "description": "Why the row is invalid or a duplicate, in the reader's language."
        },
    )
    cells = fields.List(fields.String(), required=True)


class ImportRowPageSchema(Schema):
    items = fields.List(
        fields.Nested(ImportRowSchema),
        required=True,
        metadata={"description": "The dry run's rows: invalid first, then duplicates, then new."},
    )
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    next = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The address of the next page of rows (null on the last)."},
    )


class ImportCountsSchema(Schema):
    total = fields.Integer(required=True)
    new = fields.Integer(required=True)
    duplicate = fields.Integer(required=True)
    invalid = fields.Integer(required=True)
    added = fields.Integer(
        required=True, metadata={"description": "Entries stored by the commit (0 before it)."}
    )


class ImportBatchSchema(Schema):
    """An uploaded file: its dry run, then its commit or undo."""

    id = fields.Integer(required=True)
    school_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    file_kind = fields.String(required=True)
    sha256 = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(IMPORT_STATUSES))
    needs_columns = fields.Boolean(
        required=True,
        metadata={
            "description": "True when the required columns were not recognised: map them on "
            "the import page (/imports/<id>/columns), then commit."
        },
    )
    created_at = fields.DateTime(required=True)
    committed_at = fields.DateTime(required=True, allow_none=True)
    undone_at = fields.DateTime(required=True, allow_none=True)
    counts = fields.Nested(ImportCountsSchema, required=True)
    rows = fields.Nested(
        ImportRowPageSchema,
        required=True,
        metadata={
            "description": "The dry run's rows while the batch awaits its commit (empty after)."
        },
    )


class ImportRowArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ImportDoneSchema(Schema):
    batch = fields.Nested(ImportBatchSchema, required=True)
    count = fields.Integer(
        required=True, metadata={"description": "Entries added (commit) or deleted (undo)."}
    )


IMPORT_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "The spreadsheet: CSV (UTF-8), XLSX or ODS, at most 16 MB and "
                        "100,000 rows; the import page's template shows the columns.",
                    },
                    "school_id": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 2**31 - 1,
                        "description": "Admins: the school. Coordinators: ignored "
                        "(always their own school).",
                    },
                },
                "required": ["file"],
            },
            "encoding": {"file": {"contentType": "application/octet-stream"}},
        }
    },
}
