"""Moved to tests/helpers.py; this name stays for branches written before the move."""

from tests.helpers import (
    LIVE_MARKUP,
    PAYLOADS,
    crawl,
    embedded_forms,
    live_markup,
    main_form,
    seed_embedded,
    seed_payloads,
    url_for_rule,
)
from tests.helpers import fill_form as fill

__all__ = ["LIVE_MARKUP", "PAYLOADS", "crawl", "embedded_forms", "fill", "live_markup",
           "main_form", "seed_embedded", "seed_payloads", "url_for_rule"]
