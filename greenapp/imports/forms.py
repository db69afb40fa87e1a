"""The upload form of the spreadsheet import."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SelectField

from greenapp.forms import BaseForm as FlaskForm


class UploadForm(FlaskForm):
    """A spreadsheet file and, for admins, the school it belongs to."""

    file = FileField(
        _l("Spreadsheet (CSV, XLSX or ODS)"),
        description=_l("At most 5 MB and 20,000 rows. Nothing is stored until you confirm."),
    )
    school_id = SelectField(_l("School"), coerce=int, validate_choice=False, choices=[])
