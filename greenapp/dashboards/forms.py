"""Filter forms for the dashboards (GET forms: the URL is the shareable state)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.units import CATEGORIES, CATEGORY_LABELS


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class CheckboxList(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SchoolFilterForm(_GetForm):
    """Date range, categories and monthly/weekly series for one school."""

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    grain = SelectField(
        lazy_pgettext("time step", "Series"),
        choices=[("month", _l("Monthly")), ("week", _l("Weekly"))],
        default="month",
    )
    category = CheckboxList(
        _l("Categories"),
        choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES],
        validators=[Optional()],
    )


class ProgrammeFilterForm(_GetForm):
    """Date range, place and ranking category for the programme overview."""

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    place = SelectField(_l("Schools in"), choices=[], default="")
    category = SelectField(
        _l("Rank by"), choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES], default="water"
    )
