"""Unit conversion is exact, and bad quantities are refused with a reason."""

import functools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenapp.services.errors import ValidationFailed
from greenapp.services.units import UNIT_FACTORS, to_canonical


@pytest.mark.parametrize(
    ("category", "text", "unit", "expected"),
    [
        ("water", "1.5", "m3", "1500"),
        ("water", "1,000", "L", "1000"),  # English: "," groups thousands (test_numbers)
        ("water", "0.001", "m3", "1"),
        ("water", "250.5", "L", "250.5"),
        ("energy", "1234", "Wh", "1.234"),
        ("energy", "2.5", "MWh", "2500"),
        ("energy", "0.1", "kWh", "0.1"),
        ("waste", "250", "g", "0.25"),
        ("waste", "1.2345", "t", "1234.5"),
        ("waste", "0.1", "kg", "0.1"),
        ("trees", "12", "trees", "12"),
        ("outreach", "1 200", "people", "1200"),
    ],
)
def test_conversion_is_exact(app, category, text, unit, expected):
    q = to_canonical(category, text, unit)
    assert q.canonical == Decimal(expected)
    assert str(q.canonical.normalize()) == str(Decimal(expected).normalize())


def test_point_one_plus_point_two_stays_exact(app):
    a = to_canonical("energy", "0.1", "kWh").canonical
    b = to_canonical("energy", "0.2", "kWh").canonical
    assert a + b == Decimal("0.3")  # binary floats would give 0.30000000000000004


@pytest.mark.parametrize(
    ("category", "text", "unit", "field"),
    [
        ("water", "NaN", "L", "quantity"),
        ("water", "nan", "L", "quantity"),
        ("water", "Infinity", "L", "quantity"),
        ("water", "-inf", "L", "quantity"),
        ("water", "1e309", "L", "quantity"),
        ("water", "-5", "L", "quantity"),
        ("water", "0", "L", "quantity"),
        ("water", "five", "L", "quantity"),
        ("water", "", "L", "quantity"),
        ("water", "99999999999999999999", "L", "quantity"),
        ("water", "2000", "m3", "quantity"),  # above the plausibility ceiling
        ("water", "1", "kg", "unit"),  # unit of another category
        ("trees", "1.5", "trees", "quantity"),  # half a tree
        ("waste", "0.5", "g", "quantity"),  # finer than 1 g
        ("water", "1e-999999999", "L", "quantity"),  # would underflow to zero
        ("energy", "0.0000001", "MWh", "quantity"),  # 0.1 Wh
        ("noise", "1", "L", "category"),
    ],
)
def test_bad_quantities_are_refused(app, category, text, unit, field):
    with pytest.raises(ValidationFailed) as err:
        to_canonical(category, text, unit)
    assert err.value.field == field
    assert str(err.value.message)


@functools.cache
def _conversion_app():
    """One app for every example below (building one per example was most of its time)."""
    from greenapp import create_app

    return create_app("testing")


@given(
    st.sampled_from([(c, u) for c, units in UNIT_FACTORS.items() for u in units]),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("900"), places=3),
)
def test_conversion_multiplies_exactly(category_unit, value):
    category, unit = category_unit
    with _conversion_app().app_context():
        try:
            q = to_canonical(category, str(value), unit)
        except ValidationFailed:
            return  # too precise, fractional trees, or over a ceiling: refused, not rounded
    assert q.canonical == value * UNIT_FACTORS[category][unit]
    assert q.entered == value
