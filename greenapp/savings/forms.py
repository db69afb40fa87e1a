"""Forms of the economists' savings report and what-if calculator (GET, no CSRF)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from greenapp.forms import BaseForm as FlaskForm


class WhatIfForm(FlaskForm):
    """If every school of a city cut a category by N%, what is saved in a year?"""

    class Meta:
        csrf = False

    city = SelectField(_l("City"), choices=[], validate_choice=False)
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    percent = StringField(
        _l("Cut by (%)"),
        validators=[DataRequired(message=_l("Enter a percentage between 0 and 100."))],
        render_kw={"inputmode": "decimal"},
    )
    use_per_pupil = StringField(
        _l("Today's yearly use per pupil"),
        validators=[DataRequired(message=_l("Enter the yearly use per pupil, for example 12000."))],
        description=_l("In litres, kWh or kg per pupil per year (from the schools' bills)."),
        render_kw={"inputmode": "decimal"},
    )


class SavingsForm(FlaskForm):
    """Which report: the community, all schools or one school, over which dates."""

    class Meta:
        csrf = False

    subject = SelectField(_l("Report for"), choices=[], validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
