"""Eco-action logging, edits, deletes and the audit trail."""
