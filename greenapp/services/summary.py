"""The daily summary: exact per-day sums kept in step with every log change."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from greenapp.extensions import db
from greenapp.models.log import REVIEW_REJECTED, DailySummary, EcoLog

KEY = ("owner_type", "owner_id", "day", "category", "fraction", "evidence")


def _key(log: EcoLog) -> dict:
    return {
        "owner_type": log.owner_type,
        "owner_id": log.owner_id,
        "day": log.action_date,
        "category": log.category,
        "fraction": log.fraction or "",
        "evidence": log.evidence,
    }


def apply(key: dict, quantity: Decimal, count: int) -> None:
    """Add quantity and count to the summary row for key (atomic upsert)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(DailySummary).values(**key, quantity=quantity, log_count=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(KEY),
        set_={
            "quantity": DailySummary.quantity + stmt.excluded.quantity,
            "log_count": DailySummary.log_count + stmt.excluded.log_count,
        },
    )
    db.session.execute(stmt)
    if count < 0:
        db.session.execute(
            delete(DailySummary).where(
                *(getattr(DailySummary, k) == v for k, v in key.items()),
                DailySummary.log_count <= 0,
            )
        )


def add_log(log: EcoLog) -> None:
    """Count a log in the summary (call when it starts to count)."""
    apply(_key(log), log.quantity, 1)


def remove_state(key: dict, quantity: Decimal) -> None:
    """Take a previously counted state of a log out of the summary."""
    apply(key, -quantity, -1)


def key_of(log: EcoLog) -> dict:
    """Return the summary key a log currently falls under."""
    return _key(log)


def recompute_rows() -> list[tuple]:
    """Recompute the whole summary from the logs (for checks and repair)."""
    rows: list[tuple] = []
    for column, kind in ((EcoLog.school_id, "school"), (EcoLog.resident_id, "resident")):
        stmt = (
            select(
                column,
                EcoLog.action_date,
                EcoLog.category,
                EcoLog.fraction,
                EcoLog.evidence,
                func.sum(EcoLog.quantity),
                func.count(),
            )
            .where(
                column.is_not(None),
                EcoLog.deleted_at.is_(None),
                EcoLog.review_status != REVIEW_REJECTED,
            )
            .group_by(
                column, EcoLog.action_date, EcoLog.category, EcoLog.fraction,
                EcoLog.evidence,
            )
        )
        for owner_id, day, cat, frac, ev, qty, n in db.session.execute(stmt):
            rows.append((kind, owner_id, day, cat, frac or "", ev, Decimal(qty), n))
    return sorted(rows)


def stored_rows() -> list[tuple]:
    """Return the stored summary rows in the same shape as recompute_rows()."""
    stmt = select(DailySummary)
    return sorted(
        (
            s.owner_type, s.owner_id, s.day, s.category, s.fraction, s.evidence,
            s.quantity, s.log_count,
        )
        for s in db.session.scalars(stmt)
        if s.log_count
    )


def rebuild() -> int:
    """Replace the summary with a recomputation; return the number of rows."""
    from greenapp.services.stats import bump_version

    db.session.execute(delete(DailySummary))
    rows = recompute_rows()
    for kind, owner_id, day, cat, frac, ev, qty, n in rows:
        db.session.add(
            DailySummary(
                owner_type=kind, owner_id=owner_id, day=day, category=cat,
                fraction=frac, evidence=ev, quantity=qty, log_count=n,
            )
        )
    bump_version()
    return len(rows)
