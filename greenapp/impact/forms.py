"""Forms for CO2e factors and tariffs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.forms import id_choice
from greenapp.services.units import CATEGORY_LABELS, FRACTION_LABELS, FRACTIONS

COUNTRY_CHOICES = [("KZ", _l("Kazakhstan")), ("BY", _l("Belarus"))]
FRACTION_CHOICES = [("", _l("— not waste —"))] + [(f, FRACTION_LABELS[f]) for f in FRACTIONS]
VAT_CHOICES = [
    ("", _l("— choose —")),
    ("incl", _l("Including VAT")),
    ("excl", _l("Without VAT")),
    ("none", _l("Not subject to VAT")),
    ("unknown", _l("Not stated by the source")),
]
CONSUMER_CHOICES = [
    ("", _l("— choose —")),
    ("budget", _l("Budget organisations")),
    ("legal", _l("Legal entities")),
    ("household", _l("Households")),
]


def _source_fields() -> dict:
    """Where a figure comes from, in enough detail that a reader can check it."""
    opt = Optional()
    return {
        "src_publisher": StringField(
            _l("Publisher"),
            validators=[opt, Length(max=160)],
            description=_l("e.g. Ember, US EPA, UK DESNZ, the utility."),
        ),
        "src_title": StringField(_l("Dataset or document"), validators=[opt, Length(max=240)]),
        "src_edition": StringField(_l("Edition or year"), validators=[opt, Length(max=80)]),
        "src_table": StringField(_l("Table or sheet"), validators=[opt, Length(max=160)]),
        "src_value": StringField(_l("Value as published"), validators=[opt, Length(max=40)]),
        "src_unit": StringField(
            _l("Unit as published"),
            validators=[opt, Length(max=60)],
            description=_l("e.g. kg CO2e/m³, gCO2e/kWh, KZT/m³."),
        ),
        "src_conversion": StringField(
            _l("Conversion applied"),
            validators=[opt, Length(max=240)],
            description=_l("e.g. per m³ / 1000 = per litre."),
        ),
        "estimate_note": TextAreaField(
            _l("Estimate note"),
            validators=[opt, Length(max=1000)],
            description=_l("Say so here if the value is an estimate."),
        ),
        # Set when the page listed the months a back-dated row changes.
        "confirm": HiddenField(),
    }


class FactorForm(FlaskForm):
    """A CO2e factor per canonical unit, valid from a date."""

    country = SelectField(_l("Country"), choices=COUNTRY_CHOICES)
    category = SelectField(
        _l("Category"),
        choices=[(c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste", "trees")],
    )
    fraction = SelectField(_l("Waste fraction"), choices=FRACTION_CHOICES, default="")
    value = StringField(
        _l("kg CO2e per unit"),
        validators=[InputRequired()],
        description=_l("Per litre, kWh, kg or tree (the standard unit)."),
    )
    source = TextAreaField(
        _l("Source"),
        validators=[Length(max=1000)],
        description=_l("Where the figure comes from, with its year."),
    )
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    gas_basis = StringField(
        _l("Gas basis"),
        validators=[Optional(), Length(max=120)],
        description=_l("CO2 or CO2e; lifecycle or combustion."),
    )
    method = StringField(
        _l("Method"),
        validators=[Optional(), Length(max=240)],
        description=_l("e.g. average emissions of generation."),
    )


class TariffForm(FlaskForm):
    """Money per canonical unit in a city, valid from a date."""

    city_id = SelectField(
        _l("City"),
        coerce=id_choice,
        choices=[],
        validate_choice=False,
        description=_l("The city decides the currency."),
    )
    category = SelectField(
        _l("Category"), choices=[(c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste")]
    )
    fraction = SelectField(
        _l("Waste fraction"),
        choices=FRACTION_CHOICES,
        default="",
        description=_l("For waste: recycling revenue per kg of this fraction."),
    )
    value = StringField(
        _l("Price per unit"),
        validators=[InputRequired()],
        description=_l("Per litre of water, kWh or kg."),
    )
    vat = SelectField(
        _l("VAT"),
        choices=VAT_CHOICES,
        default="",
        description=_l("As the source publishes the price."),
    )
    consumer_class = SelectField(_l("Who pays this price"), choices=CONSUMER_CHOICES, default="")
    source = TextAreaField(_l("Source"), validators=[Length(max=1000)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])


for _form in (FactorForm, TariffForm):
    for _name, _field in _source_fields().items():
        setattr(_form, _name, _field)
