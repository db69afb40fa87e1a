"""Categories, waste fractions, units and exact conversion to canonical units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from greenapp.services.errors import ValidationFailed
from greenapp.services.i18n import fmt_quantity
from greenapp.services.numbers import current_locale, parse_number

WATER = "water"
ENERGY = "energy"
WASTE = "waste"
TREES = "trees"
OUTREACH = "outreach"
CATEGORIES: tuple[str, ...] = (WATER, ENERGY, WASTE, TREES, OUTREACH)

CATEGORY_LABELS = {
    WATER: _l("Water saved"),
    ENERGY: _l("Energy saved"),
    WASTE: _l("Waste sorted"),
    TREES: _l("Trees planted"),
    OUTREACH: _l("Environmental information work"),
}

FRACTIONS: tuple[str, ...] = ("paper", "plastic", "glass", "metal", "organic", "ewaste")
FRACTION_LABELS = {
    "paper": _l("Paper and cardboard"),
    "plastic": _l("Plastic"),
    "glass": _l("Glass"),
    "metal": _l("Metal"),
    "organic": _l("Organic"),
    "ewaste": _l("Batteries and e-waste"),
}

EVIDENCE_KINDS: tuple[str, ...] = ("metered", "document", "self")
EVIDENCE_LABELS = {
    "metered": _l("Metered reading"),
    "document": _l("Document or photo"),
    "self": _l("Self-reported"),
}

# Canonical unit per category, and accepted input units with their exact factor.
CANONICAL_UNIT = {WATER: "L", ENERGY: "kWh", WASTE: "kg", TREES: "trees", OUTREACH: "people"}
UNIT_FACTORS: dict[str, dict[str, Decimal]] = {
    WATER: {"L": Decimal(1), "m3": Decimal(1000)},
    ENERGY: {"kWh": Decimal(1), "Wh": Decimal("0.001"), "MWh": Decimal(1000)},
    WASTE: {"kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000)},
    TREES: {"trees": Decimal(1)},
    OUTREACH: {"people": Decimal(1)},
}
UNIT_LABELS = {
    "L": _l("litres (L)"),
    "m3": _l("cubic metres (m³)"),
    "kWh": _l("kilowatt-hours (kWh)"),
    "Wh": _l("watt-hours (Wh)"),
    "MWh": _l("megawatt-hours (MWh)"),
    "kg": _l("kilograms (kg)"),
    "g": _l("grams (g)"),
    "t": _l("tonnes (t)"),
    "trees": _l("trees"),
    "people": _l("people"),
}
UNIT_SHORT = {
    "L": _l("L"),
    "m3": _l("m³"),
    "kWh": _l("kWh"),
    "Wh": _l("Wh"),
    "MWh": _l("MWh"),
    "kg": _l("kg"),
    "g": _l("g"),
    "t": _l("t"),
    "trees": _l("trees"),
    "people": _l("people"),
}
# Largest plausible single entry, in canonical units (a school's month, generously).
CEILINGS = {
    WATER: Decimal(1_000_000),
    ENERGY: Decimal(100_000),
    WASTE: Decimal(100_000),
    TREES: Decimal(10_000),
    OUTREACH: Decimal(100_000),
}
COUNT_CATEGORIES = frozenset({TREES, OUTREACH})
CANONICAL_SCALE = 3  # canonical quantities are exact to 1/1000 of the unit


@dataclass(frozen=True)
class Quantity:
    """A validated quantity: as entered and in the canonical unit."""

    entered: Decimal
    unit: str
    canonical: Decimal


def parse_decimal(text: str, field: str = "quantity") -> Decimal:
    """Parse a user-typed number exactly, the way the interface language writes it.

    The rules live in greenapp.services.numbers (grouping only in valid positions,
    ambiguous separators refused with both readings, no exponents or underscores).
    """
    return parse_number(text, current_locale(), field)


def to_canonical(category: str, text: str, unit: str) -> Quantity:
    """Validate a typed quantity and unit for a category and convert it exactly."""
    if category not in UNIT_FACTORS:
        raise ValidationFailed(_l("Choose a category."), "category")
    factors = UNIT_FACTORS[category]
    if unit not in factors:
        raise ValidationFailed(_l("This unit does not fit the category."), "unit")
    value = parse_decimal(text)
    if value <= 0:
        raise ValidationFailed(_l("The quantity must be greater than zero."), "quantity")
    if value.adjusted() > 12:
        raise ValidationFailed(_l("This number is far too large."), "quantity")
    canonical = value * factors[unit]
    if canonical > CEILINGS[category]:
        raise ValidationFailed(
            _l(
                "That is more than %(limit)s %(unit)s in one entry; split it or check the unit.",
                limit=fmt_quantity(CEILINGS[category]),
                unit=UNIT_SHORT[CANONICAL_UNIT[category]],
            ),
            "quantity",
        )
    if category in COUNT_CATEGORIES and canonical != canonical.to_integral_value():
        raise ValidationFailed(_l("Enter a whole number."), "quantity")
    step = Decimal(1).scaleb(-CANONICAL_SCALE)
    # canonical <= 0 catches values so tiny that the multiplication underflowed to zero.
    if canonical <= 0 or value.adjusted() < -12 or canonical.quantize(step) != canonical:
        raise ValidationFailed(
            _l(
                "Too precise: the smallest step is 0.001 %(unit)s.",
                unit=UNIT_SHORT[CANONICAL_UNIT[category]],
            ),
            "quantity",
        )
    return Quantity(
        entered=value,
        unit=unit,
        canonical=canonical.quantize(step),
    )
