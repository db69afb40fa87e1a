"""Forms for CO2e factors and tariffs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.units import CATEGORY_LABELS, FRACTION_LABELS, FRACTIONS

COUNTRY_CHOICES = [("KZ", _l("Kazakhstan")), ("BY", _l("Belarus"))]
FRACTION_CHOICES = [("", _l("— not waste —"))] + [(f, FRACTION_LABELS[f]) for f in FRACTIONS]


class FactorForm(FlaskForm):
    """A CO2e factor per canonical unit, valid from a date."""

    country = SelectField(_l("Country"), choices=COUNTRY_CHOICES)
    category = SelectField(_l("Category"), choices=[
        (c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste", "trees")])
    fraction = SelectField(_l("Waste fraction"), choices=FRACTION_CHOICES, default="")
    value = StringField(_l("kg CO2e per unit"), validators=[InputRequired()],
                        description=_l("Per litre, kWh, kg or tree (the standard unit)."))
    source = TextAreaField(_l("Source"), validators=[Length(max=1000)],
                           description=_l("Where the figure comes from, with its year."))
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])


class TariffForm(FlaskForm):
    """Money per canonical unit in a city, valid from a date."""

    city = StringField(_l("City"), validators=[InputRequired(), Length(max=80)])
    country = SelectField(_l("Country"), choices=COUNTRY_CHOICES,
                          description=_l("Kazakhstan: KZT; Belarus: BYN."))
    category = SelectField(_l("Category"), choices=[
        (c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste")])
    fraction = SelectField(_l("Waste fraction"), choices=FRACTION_CHOICES, default="",
                           description=_l("For waste: recycling revenue per kg of this "
                                          "fraction."))
    value = StringField(_l("Price per unit"), validators=[InputRequired()],
                        description=_l("Per litre of water, kWh or kg."))
    source = TextAreaField(_l("Source"), validators=[Length(max=1000)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
