"""Row locks for read-check-write sequences: the one helper every service uses.

A check made on a page's copy of a row (a proposal's status, a concept's approvals, a
meter's chain of readings, an import batch's state) may be older than another
person's step. `lock(obj)` writes this session's own pending changes (a refresh would
drop them), then re-reads the row with SELECT ... FOR UPDATE: on PostgreSQL a second
writer of the same row waits there until the first commits, then reads what it left;
on SQLite the statement takes the database's one write lock before the read
(greenapp/ops/sqlite.py). Check after the lock, never before.
"""

from __future__ import annotations

from greenapp.extensions import db


def lock(obj: object) -> None:
    """Lock `obj`'s row until the transaction ends and re-read it (its loaded
    collections too, so a check over them sees other writers' committed rows)."""
    db.session.flush()
    db.session.refresh(obj, with_for_update=True)
