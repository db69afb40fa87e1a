"""Dashboards format a thousand numbers per page: the fast path of fmt_quantity gives
exactly what Babel's pattern gives, in every interface language."""

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask_babel import force_locale

from greenapp.services.i18n import fmt_quantity

VALUES = [
    "0",
    "0.001",
    "0.25",
    "1",
    "12.5",
    "999",
    "1000",
    "1500.5",
    "1234567.891",
    "1E+3",
    "1.5E+3",
    "100000000",
    "0.000001",
    "987654321.123456",
    "-1500.25",
    "0.0000001",
]


@pytest.mark.parametrize("locale", ["en", "ru", "kk", "be"])
def test_fast_formatting_equals_babel(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for text in VALUES:
            value = Decimal(text)
            places = max(0, -value.normalize().as_tuple().exponent) if value else 0
            pattern = "#,##0" + ("." + "#" * min(places, 6) if places else "")
            assert fmt_quantity(value) == format_decimal(value, format=pattern, locale=locale), (
                locale,
                text,
            )
    assert fmt_quantity(None) == ""
