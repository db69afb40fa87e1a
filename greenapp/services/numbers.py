"""Numbers as people write them: one strict, locale-driven parser and its formatter.

The rule (the same for every quantity field, in every interface language):

* The interface language's own symbols (Babel/CLDR) are read the way that language
  means them: in English "." is the decimal point and "," groups thousands
  ("1,200" = 1200); in Kazakh, Russian and Belarusian "," is the decimal comma and a
  (non-breaking) space groups thousands ("1 200" = 1200, "1,5" = 1.5). The saved
  value is echoed in the confirmation, so a reader sees what was stored.
* Spaces (ordinary, non-breaking, thin) group thousands in every language.
* Grouping is accepted only in valid positions: groups of exactly three digits
  after a first group of one to three, never after the decimal separator.
* A symbol that is NOT the language's own is read only when it cannot mean two things:
  in kk/ru/be "1.5" is 1.5, but "1.200" could be 1.2 or 1 200 and is refused with
  a message that shows both readings. In English "1,5" (a decimal comma) is refused,
  naming what to type instead.
* Underscores, exponents ("1e3"), NaN/Infinity, letters, non-ASCII digits (Arabic-Indic,
  full-width ...) and any other character are refused with a message.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from greenapp.services.errors import ValidationFailed

SPACES = frozenset(" \u00a0\u202f\u2009")
MINUS_SIGNS = frozenset("-\u2212")
MAX_LENGTH = 40
LOCALES: tuple[str, ...] = ("en", "kk", "ru", "be")


class NumberFormatError(ValidationFailed):
    """A typed number that cannot be read safely; the message says why."""


def current_locale() -> str:
    """The interface language of this request ('en' outside a request)."""
    if not has_request_context():
        return "en"
    loc = get_locale()
    return loc.language if loc is not None else "en"


@lru_cache(maxsize=64)  # CLDR data does not change while the app runs
def symbols(locale: str) -> tuple[str, str]:
    """(decimal symbol, group symbol) of a locale, as Babel knows them."""
    try:
        return get_decimal_symbol(locale), get_group_symbol(locale)
    except Exception:  # an unknown locale reads numbers the English way
        return ".", ","


_GROUPED = re.compile(r"^\d{1,3}(?:G\d{3})+$")


def _int_part_ok(part: str) -> bool:
    """Digits, or digits grouped by 'G' (normalised group marks) in valid positions."""
    if "G" not in part:
        return part.isdigit() or part == ""
    return bool(_GROUPED.match(part))


def parse_number(text: str, locale: str | None = None, field: str = "quantity") -> Decimal:
    """Read a number typed in `locale`; raise NumberFormatError with a reason if unsafe."""
    locale = locale or current_locale()
    raw = (text or "").strip()
    if not raw:
        raise NumberFormatError(_l("Enter a number."), field)
    if len(raw) > MAX_LENGTH:
        raise NumberFormatError(_l("This number is far too long."), field)
    if "_" in raw:
        raise NumberFormatError(
            _l("Do not use underscores in numbers; group thousands with a space."), field
        )
    for ch in raw:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            raise NumberFormatError(_l("Use the digits 0 to 9."), field)
    if any(ch in "eE" for ch in raw) and any(ch.isdigit() for ch in raw):
        raise NumberFormatError(
            _l("Write the number in full, without an exponent (1000, not 1e3)."), field
        )
    decimal_sym, group_sym = symbols(locale)
    negative = False
    if raw[0] in MINUS_SIGNS:
        negative, raw = True, raw[1:].lstrip()
    allowed = set("0123456789") | SPACES | {decimal_sym, group_sym, ".", ","}
    if not raw or any(ch not in allowed for ch in raw):
        raise NumberFormatError(
            _l(
                "Enter a number using the digits 0 to 9, for example %(example)s.",
                example=format_number(Decimal("1.5"), locale),
            ),
            field,
        )
    # Every space-like mark is a group mark; so is the locale's own group symbol.
    norm = "".join("G" if (ch in SPACES or ch == group_sym) else ch for ch in raw)
    foreign = "," if decimal_sym == "." else "."
    if decimal_sym in norm:
        int_part, _sep, frac = norm.rpartition(decimal_sym)
        if decimal_sym in int_part or foreign in norm:
            raise _unreadable(locale, field)
        return _build(int_part, frac, negative, locale, field)
    if foreign in norm:
        if norm.count(foreign) > 1:
            raise _unreadable(locale, field)
        int_part, _sep, frac = norm.partition(foreign)
        if (
            len(frac) == 3
            and frac.isdigit()
            and int_part.isdigit()
            and not int_part.startswith("0")
        ):
            # "1.200" in ru: a decimal point, or a thousands dot? Ask, showing both.
            as_decimal = Decimal(f"{int_part}.{frac}")
            as_group = Decimal(int_part + frac)
            raise NumberFormatError(
                _l(
                    "“%(typed)s” can be read as %(a)s or as %(b)s. Type %(a_typed)s or "
                    "%(b_typed)s.",
                    typed=text.strip(),
                    a=format_number(as_decimal, locale),
                    b=format_number(as_group, locale),
                    a_typed=format_number(as_decimal, locale, grouping=False),
                    b_typed=format_number(as_group, locale, grouping=False),
                ),
                field,
            )
        return _build(int_part, frac, negative, locale, field)
    if group_sym == "," and "," in raw and not _int_part_ok(norm):
        # English with a decimal comma, "1,5": never silently read ×1000 or ÷1000.
        raise NumberFormatError(
            _l(
                "In this language “,” separates thousands and “.” is the decimal point: "
                "for one and a half type 1.5."
            ),
            field,
        )
    return _build(norm, "", negative, locale, field)


def _unreadable(locale: str, field: str) -> NumberFormatError:
    return NumberFormatError(
        _l(
            "This number mixes separators; type it like %(example)s.",
            example=format_number(Decimal("1234.5"), locale),
        ),
        field,
    )


def _build(int_part: str, frac: str, negative: bool, locale: str, field: str) -> Decimal:
    if not _int_part_ok(int_part) or (frac and not frac.isdigit()):
        raise NumberFormatError(
            _l(
                "Group thousands by three digits, like %(example)s, or leave the grouping out.",
                example=format_number(Decimal(1234567), locale),
            ),
            field,
        )
    if not int_part and not frac:
        raise NumberFormatError(_l("Enter a number."), field)
    digits = int_part.replace("G", "") or "0"
    try:
        value = Decimal(f"{digits}.{frac}" if frac else digits)
    except InvalidOperation:  # pragma: no cover - the checks above leave only digits
        raise NumberFormatError(_l("Enter a number."), field) from None
    return -value if negative else value


def format_number(value: Decimal | int, locale: str | None = None, grouping: bool = True) -> str:
    """Every digit of an exact value in the locale's symbols, without trailing zeros.

    parse_number(format_number(v, loc), loc) == v for every finite v and locale.
    """
    locale = locale or current_locale()
    value = Decimal(value)
    decimal_sym, group_sym = symbols(locale)
    sign = "-" if value < 0 else ""
    text = format(abs(value).normalize(), "f")
    int_part, _sep, frac = text.partition(".")
    if grouping and len(int_part) > 3:
        head = len(int_part) % 3 or 3
        groups = [int_part[:head]] + [int_part[i : i + 3] for i in range(head, len(int_part), 3)]
        int_part = group_sym.join(groups)
    return sign + int_part + (decimal_sym + frac if frac else "")
