"""The school form used by admins."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from greenapp.forms import BaseForm as FlaskForm
from greenapp.services.units import CANONICAL_UNIT, CATEGORY_LABELS, UNIT_SHORT


class SchoolForm(FlaskForm):
    """Name, place, size, joining date and yearly targets."""

    name = StringField(
        lazy_pgettext("school", "Name"), validators=[DataRequired(), Length(max=160)]
    )
    city = StringField(
        _l("City"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"list": "city-names", "autocomplete": "off"},
        description=_l(
            "A city from the Cities list, in any of its "
            "languages; it decides the country, time zone "
            "and currency."
        ),
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=240)])
    pupils = IntegerField(
        _l("Number of pupils"), validators=[DataRequired(), NumberRange(min=1, max=20000)]
    )
    joined_on = DateField(_l("Joined the programme on"), validators=[DataRequired()])


def _target_field(category: str) -> StringField:
    label = _l(
        "Yearly target: %(category)s (%(unit)s)",
        category=CATEGORY_LABELS[category],
        unit=UNIT_SHORT[CANONICAL_UNIT[category]],
    )
    return StringField(
        label, validators=[Optional(), Length(max=20)], render_kw={"inputmode": "decimal"}
    )


for _category in CANONICAL_UNIT:
    setattr(SchoolForm, f"target_{_category}", _target_field(_category))
