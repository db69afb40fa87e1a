"""Accounts, sign-in and the admin's users page."""
