"""Small forms used on every page."""

from wtforms import HiddenField, SelectField

from greenapp.forms import BaseForm as FlaskForm


class LanguageForm(FlaskForm):
    """The language switcher in the header."""

    language = SelectField(choices=[])
    next = HiddenField()
