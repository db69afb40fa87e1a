"""Domain exceptions raised by services and turned into responses by routes."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for errors a user can be told about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    """The current user may not do this (HTTP 403)."""


class ValidationFailed(DomainError):
    """The input breaks a rule; `field` names the form field to show it next to."""


class Conflict(DomainError):
    """The record changed since the user loaded it (HTTP 409)."""


class NotFound(DomainError):
    """No such record, or not visible to this user (HTTP 404)."""
