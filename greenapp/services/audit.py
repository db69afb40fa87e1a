"""Writing and reading audit records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Insert, insert, select

from greenapp.extensions import db
from greenapp.models.audit import AuditRecord
from greenapp.models.user import User


def _plain(value: Any) -> Any:
    """Make a value JSON-safe while keeping it exact (Decimals become strings)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """Return the JSON-safe values of the given attributes of obj."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields that changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record(
    entity_type: str,
    entity_id: int,
    action: str,
    actor: User | None,
    changes: dict[str, Any],
) -> None:
    """Write an audit record in the caller's transaction (committed with the change
    itself): one Core INSERT, at once, without the unit of work's flush."""
    db.session.connection().execute(  # plain SQL: no ORM execution layer, no autoflush
        _insert(),
        {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "action": action,
            "actor_id": actor.id if actor is not None else None,
            "changes": changes,
        },
    )


@cache
def _insert() -> Insert:
    """The audit INSERT (`at` comes from the column's default), built once."""
    return insert(AuditRecord.__table__)


def history(entity_type: str, entity_id: int) -> list[AuditRecord]:
    """Return the audit records of one entity, oldest first."""
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.entity_type == entity_type, AuditRecord.entity_id == entity_id)
        .order_by(AuditRecord.at, AuditRecord.id)
    )
    return list(db.session.scalars(stmt))
