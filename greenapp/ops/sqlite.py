"""SQLite settings for serving several workers at once without losing writes.

- WAL journal: readers never block the writer and the writer never blocks readers.
  `synchronous` stays SQLite's default (FULL: each commit is on disk before the answer,
  also across a power loss); the benchmark's bare insert app uses the same settings.
- busy_timeout: a writer waits for the lock instead of failing at once.
- Reads run outside a transaction, as pysqlite does by default, in every request
  (GET or POST), the CLI and the tests: each read sees the latest committed data, and no
  snapshot is held open that a later write would have to upgrade (which SQLite answers
  with "database is locked" without waiting).
- The one write lock is taken (BEGIN IMMEDIATE) right before the first INSERT / UPDATE /
  DELETE, or before a SELECT ... FOR UPDATE, and held until the commit. So a POST's
  session, sign-in, CSRF check, form parsing and validation reads run while the other
  worker writes; only the writing part of two requests is serialised.
- A read-check-write sequence (read a row, check it, write depending on it) locks
  before its read: a row lock (`with_for_update()`, `session.refresh(obj,
  with_for_update=True)`), which on PostgreSQL locks that row and here takes the write
  lock first, or `write_lock()` below when there is no row to lock. Code that is safe
  against concurrent writers on PostgreSQL (row locks, unique constraints, atomic
  upserts) is therefore safe here too: after its first write or row lock a request is
  serialised with every other writer until it commits.

pysqlite's own transaction handling is switched off so these BEGINs are ours (see
"Serializable isolation / Savepoints / Transactional DDL" in SQLAlchemy's SQLite docs).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def install(engine: Engine, busy_timeout_ms: int = 15000, wal: bool = True) -> None:
    """Attach the pragmas and the BEGIN policy to one SQLite engine (idempotent)."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_greenapp_sqlite", False):
        return
    engine._greenapp_sqlite = True  # type: ignore[attr-defined]
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if wal and not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "before_execute")
    def lock_before_row_lock(conn: Any, clauseelement: Any, *_args: Any) -> None:
        # SQLite has no row locks (its dialect drops FOR UPDATE): the database's one
        # write lock stands in for them, taken before the read.
        if getattr(clauseelement, "_for_update_arg", None) is not None:
            _begin_immediate(conn.connection.dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def begin_before_first_write(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(WRITES):
            _begin_immediate(conn.connection.dbapi_connection, cursor)


def _begin_immediate(dbapi_connection: Any, cursor: Any = None) -> None:
    """Take the write lock (BEGIN IMMEDIATE) unless this connection holds it already."""
    if dbapi_connection.in_transaction:
        return
    if cursor is not None:
        cursor.execute("BEGIN IMMEDIATE")
        return
    cur = dbapi_connection.cursor()
    try:
        cur.execute("BEGIN IMMEDIATE")
    finally:
        cur.close()


def write_lock(session: Any) -> None:
    """Take the database's write lock now, for the rest of the session's transaction.

    For a read-check-write sequence with no single row to lock (`with_for_update()`):
    call it before the reads the write depends on. On SQLite it begins the transaction
    with BEGIN IMMEDIATE (the other writer waits until this one commits); elsewhere it
    does nothing (PostgreSQL writers lock rows, see the module doc).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _begin_immediate(connection.connection.dbapi_connection)


def configure_sqlite(app: Flask) -> None:
    """Install the SQLite settings on the app's engine(s) when the database is SQLite."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite"):
        return
    from greenapp.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            install(
                engine,
                busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000),
                wal=app.config.get("SQLITE_WAL", True),
            )
