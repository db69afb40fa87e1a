"""Local dates: 'today' depends on where the school or resident is."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today_in(tz_name: str | None = None) -> date:
    """Return today's date in the given IANA time zone (the app default if None)."""
    name = tz_name or current_app.config["DEFAULT_TIMEZONE"]
    return datetime.now(ZoneInfo(name)).date()
