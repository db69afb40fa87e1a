"""Helpers shared by every blueprint's forms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from greenapp.services.errors import ValidationFailed


def show_error(form: FlaskForm, exc: ValidationFailed, fallback: str) -> None:
    """Show a service's validation message next to the field it names.

    Falls back to `fallback` when the service names no field, or one the form lacks.
    """
    field = getattr(form, exc.field or fallback, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(exc.message)]
