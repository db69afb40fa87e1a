"""Small forms used on every page."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    """The language switcher in the header."""

    language = SelectField(choices=[])
    next = HiddenField()
