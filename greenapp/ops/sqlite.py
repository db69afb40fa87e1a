"""SQLite settings for serving several workers at once without losing writes.

- WAL journal: readers never block the writer and the writer never blocks readers.
- busy_timeout: a writer waits for the lock instead of failing at once.
- BEGIN IMMEDIATE for requests that change data (POST, PUT, PATCH, DELETE): the write
  lock is taken at the start of the transaction, so two workers never both read and
  then race to upgrade to a write lock (which SQLite answers with "database is locked"
  without waiting).
- After such a request has committed, its further reads run outside a transaction
  (no second write lock just to read the user back for the next page).
- Elsewhere (GET requests, CLI, tests) reads run outside a transaction, as pysqlite
  does by default, so each read sees the latest committed data; a transaction starts
  (BEGIN IMMEDIATE) right before the first INSERT/UPDATE/DELETE.

pysqlite's own transaction handling is switched off so these BEGINs are ours (see
"Serializable isolation / Savepoints / Transactional DDL" in SQLAlchemy's SQLite docs).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


COMMITTED = "_greenapp_sqlite_committed"


def wants_immediate() -> bool:
    """True inside a request that may change data, until it has committed once: reads
    after that (the page's user, a redirect's message) need no write lock, and a later
    write still takes it (begin_before_first_write)."""
    return (
        has_request_context() and request.method not in SAFE_METHODS and not g.get(COMMITTED, False)
    )


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

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if wants_immediate():
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def on_commit(_conn: Any) -> None:
        if has_request_context():
            setattr(g, COMMITTED, True)

    @event.listens_for(engine, "before_cursor_execute")
    def begin_before_first_write(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if (
            statement.lstrip()[:7].upper().startswith(WRITES)
            and not conn.connection.dbapi_connection.in_transaction
        ):
            cursor.execute("BEGIN IMMEDIATE")


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
