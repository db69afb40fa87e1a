"""Moved to tests/helpers.py; this name stays for branches written before the move."""

from tests.helpers import make_challenge

__all__ = ["make_challenge"]
