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

from sqlalchemy import inspect as sa_inspect

from greenapp.extensions import db


def lock(obj: object) -> None:
    """Lock `obj`'s row until the transaction ends and re-read it (its loaded
    collections too, so a check over them sees other writers' committed rows)."""
    db.session.flush()
    # FOR UPDATE OF its own table: rows its eager joins bring along (a school's city)
    # are not locked, and PostgreSQL refuses FOR UPDATE on an outer join's nullable side.
    table = sa_inspect(obj).mapper.local_table  # type: ignore[union-attr]
    db.session.refresh(obj, with_for_update={"of": table})
