"""SQLite settings for serving several workers at once without losing writes.

- WAL journal: readers never block the writer and the writer never blocks readers.
  `synchronous` stays SQLite's default (FULL: each commit is on disk before the answer,
  also across a power loss); the benchmark's bare insert app uses the same settings.
- busy_timeout: a writer waits for the lock instead of failing at once.
- Reads outside a transaction: GET requests, the CLI and the tests read as pysqlite
  does by default, each read seeing the latest committed data; the write lock (BEGIN
  IMMEDIATE) is taken right before the first INSERT / UPDATE / DELETE, so no read
  snapshot is ever upgraded to a write (SQLite answers that with "database is locked"
  without waiting).
- Requests that change data (POST, PUT, PATCH, DELETE) take the write lock with their
  first statement and hold it until their commit: their reads, checks and writes are
  serialised with every other writer, so a read-check-write sequence (a state
  transition, a chain of meter readings, a move of a school's sums) needs no lock of
  its own. After the commit, further reads run outside a transaction again.
- Views marked `@lock_when_writing` (the eco-action form's create, edit and delete, and
  the API's entry create, edit and delete: the busiest writes, one pipeline) opt out
  of that: their session, sign-in, CSRF check, form parsing and validation reads run
  without the lock, while the other worker writes, and the lock
  is taken right before their first write or SELECT ... FOR UPDATE (SQLite has no row
  locks: its dialect drops FOR UPDATE, and the database's one write lock stands in for
  the row lock, taken before the read). Such a view must lock what its writes depend on
  before reading it: a row lock (`with_for_update()`, `session.refresh(obj,
  with_for_update=True)`), a unique constraint or an atomic upsert - what keeps it right
  on PostgreSQL too - or `write_lock()` below (services/pipeline.py: `lock_row`).

pysqlite's own transaction handling is switched off so these BEGINs are ours (see
"Serializable isolation / Savepoints / Transactional DDL" in SQLAlchemy's SQLite docs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
COMMITTED = "_greenapp_sqlite_committed"
LATE = "_greenapp_lock_when_writing"
F = TypeVar("F", bound=Callable[..., Any])


def lock_when_writing(view: F) -> F:
    """Mark a view whose reads and checks run without the write lock (module doc): it
    takes the lock right before its first write or row lock, and locks what its writes
    depend on itself. Kept through functools.wraps by the decorators around it."""
    setattr(view, LATE, True)
    return view


def wants_immediate() -> bool:
    """True inside a request that may change data, until it has committed once, unless
    its view locks only when writing (`lock_when_writing`)."""
    if not has_request_context() or request.method in SAFE_METHODS or g.get(COMMITTED, False):
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, LATE, False)


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
