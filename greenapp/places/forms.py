"""The city form used by admins."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from greenapp.forms import BaseForm as FlaskForm


class CityForm(FlaskForm):
    """A city's names in the four interface languages and its country."""

    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=80)])
    name_kk = StringField(_l("Name in Kazakh"), validators=[Length(max=80)])
    name_ru = StringField(_l("Name in Russian"), validators=[Length(max=80)])
    name_be = StringField(_l("Name in Belarusian"), validators=[Length(max=80)])
    country = SelectField(
        _l("Country"),
        choices=[("KZ", _l("Kazakhstan")), ("BY", _l("Belarus"))],
        description=_l("Decides the time zone and the currency."),
    )
    aliases = TextAreaField(
        _l("Other spellings"),
        validators=[Length(max=3000)],
        description=_l(
            "One per line, e.g. Qyzylorda or Кзыл-Орда: typed in a school form they mean this city."
        ),
    )
