"""Helpers shared by every blueprint's forms: the base form and error placement."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.i18n import messages_path

from greenapp.csrf_tokens import csrf_token
from greenapp.services.errors import ValidationFailed

# Every date a person may type or put in a URL lies in this window; anything outside
# answers a message next to the field instead of overflowing date arithmetic.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)
ALLOWED_CONTROLS = frozenset("\t\n\r")


def id_choice(value: str | int) -> int:
    """`coerce=` of a select of row ids: a whole number an id column can hold (0 .. 2**31-1);
    anything else is refused on the field like any unreadable choice (never a 500)."""
    number = int(value)  # ValueError for text, as with coerce=int
    if not 0 <= number <= 2**31 - 1:
        raise ValueError("not an id")
    return number


def has_control_characters(text: str) -> bool:
    """True if text holds NUL or another control character (tab and newlines allowed)."""
    if text.isprintable():  # the usual case, in C: no control character at all
        return False
    return any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS for ch in text)


class ReusedTokenCSRF(FlaskForm.Meta.csrf_class):  # type: ignore[name-defined, misc]
    """Flask-WTF's form CSRF, its token from greenapp.csrf_tokens (signed once a minute)."""

    def generate_csrf_token(self, csrf_token_field):  # noqa: ANN001, ANN201 - wtforms' signature
        return csrf_token(self.meta.csrf_secret, self.meta.csrf_field_name)


class BaseForm(FlaskForm):
    """FlaskForm that refuses control characters and out-of-range dates in every field.

    Runs before any field validator, so no validator (some query the database) ever
    sees a NUL byte: PostgreSQL refuses NUL in text, which used to surface as a 500.
    """

    class Meta(FlaskForm.Meta):
        csrf_class = ReusedTokenCSRF

        def get_translations(self, form):  # noqa: ANN001, ANN201 - wtforms' signature
            """WTForms' own messages in the page's language, read once per process
            (Flask-WTF reads the catalogue from disk on every request)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_translations(str(get_locale() or "en"))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        """Refuse control characters first; then the fields' own validators and dates."""
        bad = False
        for field in self:
            values = field.raw_data or []
            if any(isinstance(v, str) and has_control_characters(v) for v in values):
                field.errors = [
                    str(_l("Remove the control characters (such as NUL) from this field."))
                ]
                bad = True
        ok = False if bad else super().validate(extra_validators)
        for field in self:
            if (
                isinstance(field, DateField)
                and isinstance(field.data, date)
                and not (MIN_DATE <= field.data <= MAX_DATE)
            ):
                field.errors = [
                    *field.errors,
                    str(
                        _l(
                            "Enter a date between %(start)s and %(end)s.",
                            start=MIN_DATE.year,
                            end=MAX_DATE.year,
                        )
                    ),
                ]
                ok = False
        return ok


@lru_cache(maxsize=16)
def _wtforms_translations(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def show_error(form: FlaskForm, exc: ValidationFailed, fallback: str) -> None:
    """Show a service's validation message next to the field it names.

    Falls back to `fallback` when the service names no field, or one the form lacks.
    """
    field = getattr(form, exc.field or fallback, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(exc.message)]


def category_choices() -> list[tuple[str, object]]:
    """(code, translated label) of every eco-action category, for select fields."""
    from greenapp.services.units import CATEGORIES, CATEGORY_LABELS

    return [(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
