"""Moved to tests/helpers.py; this name stays for branches written before the move."""

from tests.helpers import db_digest, dispose, routes, signed_in_client
from tests.helpers import fill_url as fill

__all__ = ["db_digest", "dispose", "fill", "routes", "signed_in_client"]
