"""Steps the three import pages share (entries, meter readings, schools and accounts)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.models.imports import ImportBatch
from greenapp.services import imports as import_service

_ORDER = {import_service.INVALID: 0, import_service.DUPLICATE: 1, import_service.NEW: 2}


def get_batch(
    batch_id: int, can_manage: Callable[[object, ImportBatch], bool], target: str | None = None
) -> ImportBatch:
    """The batch if the signed-in user may manage it (and it is of `target`), else 404:
    another school's import is not even confirmed to exist."""
    batch = db.session.get(ImportBatch, batch_id)
    if (
        batch is None
        or (target is not None and batch.target != target)
        or not can_manage(current_user, batch)
    ):
        abort(404)
    return batch


def shown_rows(analysis, limit: int) -> list:
    """The dry run's rows for the page: invalid first, then duplicates, then new."""
    if analysis is None:
        return []
    return sorted(analysis.rows, key=lambda r: (_ORDER[r.status], r.number))[:limit]


def batch_action(action: Callable[[object, ImportBatch], int], batch: ImportBatch) -> int | None:
    """Run commit or undo on a batch in one transaction: its count, or None after a
    refusal (flashed; nothing changed). A PermissionDenied goes to the handlers (403)."""
    with attempt() as done:
        count = action(current_user, batch)
    return count if done else None
