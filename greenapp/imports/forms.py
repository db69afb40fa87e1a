"""The upload form of the spreadsheet import."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.imports import FIELD_LABELS, FIELDS, MAX_BYTES, MAX_ROWS, REQUIRED


class UploadForm(FlaskForm):
    """A spreadsheet file and, for admins, the school it belongs to."""

    file = FileField(
        _l("Spreadsheet (CSV, XLSX or ODS)"),
        description=_l(
            "At most %(mb)s MB and %(rows)s rows. Nothing is stored until you confirm.",
            mb=MAX_BYTES // (1024 * 1024),
            rows=f"{MAX_ROWS:,}".replace(",", "\u00a0"),
        ),
    )
    school_id = SelectField(_l("School"), coerce=int, validate_choice=False, choices=[])


class ColumnsForm(FlaskForm):
    """Which column of the file holds each field (choices: the file's header cells)."""


for _name in FIELDS:
    setattr(
        ColumnsForm,
        _name,
        SelectField(
            FIELD_LABELS[_name],
            coerce=int,
            choices=[],
            validate_choice=False,
            description=_l("Required.") if _name in REQUIRED else "",
        ),
    )


class MeterUploadForm(FlaskForm):
    """A spreadsheet of meter readings (the coordinator's own school)."""

    file = FileField(
        _l("Spreadsheet (CSV, XLSX or ODS)"),
        description=_l(
            "At most %(mb)s MB and %(rows)s rows. Nothing is stored until you confirm.",
            mb=MAX_BYTES // (1024 * 1024),
            rows=f"{MAX_ROWS:,}".replace(",", "\u00a0"),
        ),
    )
