"""Numbers as people write them, in every interface language: read as meant, or refused."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from greenapp.models.log import EcoLog
from greenapp.services.errors import ValidationFailed
from greenapp.services.numbers import LOCALES, format_number, parse_number

NBSP = "\u00a0"

# (locale, typed, stored value) — read the way that language means it.
READ = [
    ("en", "1,200", "1200"),
    ("en", "1.200", "1.2"),
    ("en", "1 200", "1200"),
    ("en", "12,345,678.5", "12345678.5"),
    ("en", "0.25", "0.25"),
    ("en", ".5", "0.5"),
    ("en", "1.5", "1.5"),
]
for _loc in ("kk", "ru", "be"):
    READ += [
        (_loc, "1,200", "1.2"),
        (_loc, "1,5", "1.5"),
        (_loc, "1.5", "1.5"),  # a decimal point typed on a phone keypad: only one reading
        (_loc, "1 200", "1200"),
        (_loc, f"1{NBSP}200,5", "1200.5"),
        (_loc, "1\u202f234\u202f567", "1234567"),
        (_loc, "12,3456", "12.3456"),
        (_loc, "0.345", "0.345"),  # a leading zero is never a thousands group
    ]

# (locale, typed, words the message must contain) — refused, never misread.
REFUSED = [
    ("en", "1,5", "1.5"),
    ("en", "1,20", "1.5"),
    ("en", "12,34,567", None),
    ("en", "1.200,5", None),
    ("en", "1_5", None),
    ("en", "1e3", None),
    ("en", "1E3", None),
    ("en", "١٢٣", None),  # Arabic-Indic digits
    ("en", "１２", None),  # full-width digits
    ("en", "1О0", None),  # a Cyrillic O between digits
    ("en", "NaN", None),
    ("en", "Infinity", None),
    ("en", "0x10", None),
]
for _loc in ("kk", "ru", "be"):
    REFUSED += [
        (_loc, "1.200", ("1,2", f"1{NBSP}200")),  # both readings shown
        (_loc, "12.500", ("12,5", f"12{NBSP}500")),
        (_loc, "1.200,5", None),
        (_loc, "1,200.5", None),
        (_loc, "12,000,000", None),
        (_loc, "1 20", None),
        (_loc, "1_000", None),
        (_loc, "2e5", None),
        (_loc, "٥", None),
    ]


@pytest.mark.parametrize(("locale", "typed", "expected"), READ)
def test_numbers_are_read_as_the_language_means(app, locale, typed, expected):
    assert parse_number(typed, locale) == Decimal(expected)


@pytest.mark.parametrize(("locale", "typed", "shown"), REFUSED)
def test_unsafe_numbers_are_refused_with_a_reason(app, locale, typed, shown):
    with pytest.raises(ValidationFailed) as err:
        parse_number(typed, locale)
    message = str(err.value.message)
    assert message and err.value.field == "quantity"
    for part in (shown,) if isinstance(shown, str) else (shown or ()):
        assert part in message


@pytest.mark.parametrize(
    ("locale", "value", "text"),
    [
        ("en", "1.500000", "1.5"),
        ("ru", "1.500000", "1,5"),
        ("kk", "1200.000", f"1{NBSP}200"),
        ("be", "0.125000", "0,125"),
        ("en", "1234567.5", "1,234,567.5"),
        ("en", "1000", "1,000"),
    ],
)
def test_formatting_has_no_trailing_zeros_and_uses_the_language(locale, value, text):
    assert format_number(Decimal(value), locale) == text


@given(
    st.sampled_from(LOCALES),
    st.decimals(
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    ),
)
def test_formatted_numbers_read_back_exactly(locale, value):
    assert parse_number(format_number(value, locale), locale) == value


def _form(quantity: str, unit: str = "L") -> dict:
    return {
        "category": "water",
        "fraction": "",
        "quantity": quantity,
        "unit": unit,
        "action_date": (date.today() - timedelta(days=1)).isoformat(),
        "evidence": "self",
        "note": "",
    }


ECHOED = [
    ("en", "1,200", "L", Decimal(1200), "Saved: 1,200 L"),
    ("ru", "1,200", "L", Decimal("1.2"), None),
    ("kk", "1 200", "L", Decimal(1200), None),
    ("be", "1,5", "m3", Decimal(1500), None),
]


@pytest.mark.parametrize(("locale", "typed", "unit", "stored", "flash"), ECHOED)
def test_the_saved_value_is_echoed_in_the_confirmation(
    client, factory, login, db, locale, typed, unit, stored, flash
):
    user = factory.user("coordinator", locale=locale)
    login(user)
    resp = client.post("/logs/new", data=_form(typed, unit), follow_redirects=True)
    page = resp.get_data(as_text=True)
    log = db.session.scalar(select(EcoLog))
    assert log is not None and log.quantity == stored
    with client.application.test_request_context():
        shown = format_number(stored, locale)
    assert shown.replace(NBSP, "&nbsp;") in page or shown in page
    if flash:
        assert flash in page


@pytest.mark.parametrize("locale", ["kk", "ru", "be"])
def test_an_ambiguous_number_is_refused_on_the_form_with_both_readings(
    client, factory, login, db, locale
):
    login(factory.user("coordinator", locale=locale))
    resp = client.post("/logs/new", data=_form("1.200"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "1,2" in page and "1200" in page
    assert 'value="1.200"' in page  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 0


@pytest.mark.parametrize(
    ("locale", "shown"), [("en", "1.5"), ("ru", "1,5"), ("kk", "1,5"), ("be", "1,5")]
)
def test_the_edit_form_prefills_the_value_as_the_language_writes_it(
    client, factory, login, locale, shown
):
    user = factory.user("coordinator", locale=locale)
    log = factory.log(user, quantity="1.5", unit="m3")
    login(user)
    page = client.get(f"/logs/{log.id}/edit").get_data(as_text=True)
    assert f'value="{shown}"' in page
    assert "1.500000" not in page


def test_a_factor_value_follows_the_same_rules(client, factory, login, db):
    from greenapp.models.impact import ImpactFactor

    login(factory.user("scientist", locale="ru"))
    resp = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "water",
            "fraction": "",
            "value": "1.200",
            "source": "test",
            "valid_from": date.today().isoformat(),
        },
    )
    assert resp.status_code == 200
    assert "1,2" in resp.get_data(as_text=True)  # both readings named, nothing saved
    assert db.session.scalar(select(func.count()).select_from(ImpactFactor)) == 0
