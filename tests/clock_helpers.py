"""'Today' as the app sees it: the programme's local date, not the test machine's.

CI may run at 19:00 UTC, when it is already tomorrow in Kyzylorda (UTC+5); a test that
compares what a page says with `date.today()` would then be off by a day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

KYZYLORDA = "Asia/Qyzylorda"
MINSK = "Europe/Minsk"


def local_today(tz_name: str = KYZYLORDA) -> date:
    """Today's date in a school's (or the programme's default) time zone."""
    return datetime.now(ZoneInfo(tz_name)).date()
