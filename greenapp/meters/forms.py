"""Forms for meters, readings and the baseline choice."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.forms import id_choice
from greenapp.models.meters import BASELINE_MODES, METER_KINDS, READING_KINDS
from greenapp.services.meters import (
    BASELINE_LABELS,
    METER_LABELS,
    METER_UNITS,
    READING_LABELS,
    UNIT_NAMES,
)


def _all_units() -> list[tuple[str, object]]:
    seen: dict[str, object] = {}
    for units in METER_UNITS.values():
        for unit in units:
            seen.setdefault(unit, UNIT_NAMES[unit])
    return list(seen.items())


class MeterForm(FlaskForm):
    """A new meter: what it measures, the unit on its dial, a name."""

    kind = SelectField(_l("What it measures"), choices=[(k, METER_LABELS[k]) for k in METER_KINDS])
    unit = SelectField(
        _l("Unit on the meter"),
        choices=_all_units(),
        validate_choice=False,
        description=_l(
            "Water in m³ or litres, electricity in kWh, district heat in Gcal or kWh, gas in m³."
        ),
    )
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the meter a name, e.g. 'Main water meter'.")),
            Length(max=120),
        ],
    )
    serial = StringField(_l("Serial number (optional)"), validators=[Optional(), Length(max=60)])


class ReadingForm(FlaskForm):
    """A reading as the meter or the bill shows it."""

    kind = RadioField(
        _l("What you enter"),
        choices=[(k, READING_LABELS[k]) for k in READING_KINDS],
        default="index",
        validate_choice=False,
    )
    reading_date = DateField(
        _l("Date of the reading (bill: last day of the period)"),
        validators=[DataRequired(message=_l("Enter the date of the reading."))],
    )
    value = StringField(
        _l("Value as shown"),
        validators=[DataRequired(message=_l("Enter the value.")), Length(max=40)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
        description=_l(
            "The index on the meter; for a bill, the consumption it shows; "
            "after a replacement, the new meter's starting index."
        ),
    )
    period_start = DateField(_l("Bill: first day of the period"), validators=[Optional()])
    old_final = StringField(
        _l("Replacement: the old meter's last index (optional)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"inputmode": "decimal"},
    )
    new_serial = StringField(
        _l("Replacement: new serial number (optional)"), validators=[Optional(), Length(max=60)]
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=1000)])
    files = MultipleFileField(
        _l("Photo of the meter or the bill (optional)"),
        render_kw={"accept": "image/*,application/pdf", "capture": "environment"},
    )


class BaselineForm(FlaskForm):
    """Which period is the school's baseline, and its pupils then."""

    mode = RadioField(
        _l("Baseline"),
        choices=[(m, BASELINE_LABELS[m]) for m in BASELINE_MODES],
        default=BASELINE_MODES[0],
        validate_choice=False,
    )
    baseline_pupils = StringField(
        _l("Pupils during the baseline period"),
        validators=[Optional(), Length(max=10)],
        render_kw={"inputmode": "numeric"},
        description=_l(
            "Figures are compared per pupil: the baseline is scaled to today's number of pupils."
        ),
    )
    heat_degree_days = BooleanField(
        _l(
            "District heat: also scale the baseline by heating degree-days (the city's "
            "outdoor temperatures)"
        )
    )


class MeterEditForm(FlaskForm):
    """A meter's name and serial number (what it measures and its unit stay)."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the meter a name, e.g. 'Main water meter'.")),
            Length(max=120),
        ],
    )
    serial = StringField(_l("Serial number (optional)"), validators=[Optional(), Length(max=60)])


class ReviewForm(FlaskForm):
    """A scientist's verdict on a flagged reading (the buttons carry the verdict)."""

    verdict = HiddenField()
    next = HiddenField()


class TemperatureForm(FlaskForm):
    """A city's monthly mean outdoor temperatures, typed or pasted, or a CSV file."""

    city_id = SelectField(_l("City"), coerce=id_choice, validate_choice=False)
    lines = TextAreaField(
        _l("Months and mean outdoor temperature (°C)"),
        validators=[Optional(), Length(max=20_000)],
        render_kw={"rows": 6},
        description=_l(
            "One month a line: 2025-01; -9.4. Or choose a CSV file with the same two columns."
        ),
    )
    file = FileField(_l("CSV file (optional)"), render_kw={"accept": ".csv,text/csv"})
    source = StringField(
        _l("Source (e.g. the weather service)"), validators=[Optional(), Length(max=200)]
    )
