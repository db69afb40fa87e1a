"""Spreadsheet import of eco-actions."""
