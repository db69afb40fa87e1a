"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask, url_for
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _pl

from greenapp.models.user import ROLES
from greenapp.permissions import can, nav_links
from greenapp.services import cache, units
from greenapp.services.demo_text import demo_text
from greenapp.services.i18n import LANGUAGE_NAMES, fmt_quantity


def register_template_helpers(app: Flask) -> None:
    """Expose labels and formatters to templates."""
    app.jinja_env.filters["qty"] = fmt_quantity
    # One date style per kind of place: the long form in sentences and labels ("5 мая
    # 2026 г."), the short form in table cells ("05.05.2026").
    app.jinja_env.filters["day"] = lambda d: format_date(d, "long") if d else ""
    app.jinja_env.filters["day_short"] = lambda d: format_date(d, "short") if d else ""
    app.jinja_env.filters["local"] = demo_text
    app.jinja_env.globals["url_for"] = template_url_for

    # The same for every page (the labels are lazy: each is translated where it is
    # shown), so built once, not on every render.
    shared = {
        "CATEGORY_LABELS": units.CATEGORY_LABELS,
        "FRACTION_LABELS": units.FRACTION_LABELS,
        "EVIDENCE_LABELS": units.EVIDENCE_LABELS,
        "UNIT_SHORT": units.UNIT_SHORT,
        "CANONICAL_UNIT": units.CANONICAL_UNIT,
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "ROLE_LABELS": ROLE_LABELS,
        "ALL_ROLES": ROLES,
        "AUDIT_ACTIONS": AUDIT_ACTIONS,
        "REVIEW_LABELS": REVIEW_LABELS,
        "UNIT_MAP": {c: list(f) for c, f in units.UNIT_FACTORS.items()},
        "AUDIT_FIELDS": AUDIT_FIELDS,
        "nav_links": nav_links,
        "can": can,
    }

    @app.context_processor
    def inject() -> dict:
        return {
            **shared,
            "current_locale": str(get_locale() or "en"),
            "languages": app.config["LANGUAGES"],
        }

    app.jinja_env.filters["audit_value"] = audit_value


def template_url_for(endpoint: str, **values: Any) -> str:
    """Templates' url_for: a link without values (the header's, the account corner's, a
    page's own "new" link) is the same on every request of a mount point, so it is
    built once (cache.fixed_url); links with values (ids, filters) are built each time,
    as Flask does."""
    return url_for(endpoint, **values) if values else cache.fixed_url(endpoint)


# Names of the roles, the audit actions, the audited fields and the review states: lazy
# strings, each translated into the reader's language where it is shown, so built once.
ROLE_LABELS = {
    "admin": _l("University staff (admin)"),
    "coordinator": _l("School coordinator"),
    "resident": _l("Resident"),
    "scientist": _l("Scientist"),
    "economist": _l("Economist"),
    "lawyer": _l("Lawyer"),
}

AUDIT_ACTIONS = {
    "create": _l("created"),
    "update": _l("edited"),
    "delete": _l("deleted"),
    "restore": _l("restored"),
    "review": _l("reviewed"),
    "password": _l("password changed"),
}

AUDIT_FIELDS = {
    "category": _l("Category"),
    "fraction": _l("Waste fraction"),
    "quantity_entered": _l("Quantity as entered"),
    "unit_entered": _l("Unit as entered"),
    "quantity": _l("Quantity in the standard unit"),
    "action_date": _l("Date of the action"),
    "evidence": _l("Evidence"),
    "note": _l("Note"),
    "deleted": _l("Deleted"),
    "review_status": _l("Review"),
    "review_reason": _l("Reason"),
    "seeded": _l("Demo data"),
    "name": _pl("school", "Name"),
    "city": _l("City"),
    "country": _l("Country"),
    "address": _l("Address"),
    "pupils": _l("Pupils"),
    "joined_on": _l("Joined the programme on"),
    "role": _l("Role"),
    "school_id": _l("School"),
    "active": _l("Account is active"),
    "display_name": _l("Display name"),
    "email": _l("Email"),
    "password": _l("Password"),
    "title": _l("Title"),
    "description": _l("Description"),
    "target": _l("Target"),
    "start_date": _l("Starts on"),
    "end_date": _l("Ends on"),
    "audience": _l("Who takes part"),
    "evidence_required": _l("Only entries with evidence count"),
    "kind": _l("Kind"),
    "body": _l("Text"),
    "text": _l("Text"),
    "languages": _l("Languages"),
    "district": _l("City district"),
    "challenge_id": _l("Challenge"),
    "evidence_path": _l("Supporting data"),
    "kg_co2e_per_unit": _l("kg CO2e per unit"),
    "source": _l("Source"),
    "valid_from": _l("Valid from"),
    "currency": _l("Currency"),
    "price_per_unit": _l("Price per unit"),
}

REVIEW_LABELS = {
    "ok": _l("not reviewed"),
    "flagged": _l("flagged for review"),
    "verified": _l("verified"),
    "rejected": _l("rejected"),
}


DATE_FIELDS = frozenset({"action_date", "joined_on", "start_date", "end_date", "valid_from"})


def audit_value(value: object, field: str) -> object:
    """Show a stored audit value in the reader's language where it is a code."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _l("yes")
    if value is False:
        return _l("no")
    tables = {
        "category": units.CATEGORY_LABELS,
        "fraction": units.FRACTION_LABELS,
        "evidence": units.EVIDENCE_LABELS,
        "unit_entered": units.UNIT_SHORT,
        "role": ROLE_LABELS,
        "review_status": REVIEW_LABELS,
    }
    table = tables.get(field)
    if table and value in table:
        return table[value]
    if field in DATE_FIELDS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value), "short")
        except ValueError:
            return value
    if field in ("quantity", "quantity_entered"):
        try:
            return fmt_quantity(Decimal(str(value)))
        except ArithmeticError:
            return value
    return value
