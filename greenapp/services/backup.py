"""Consistent backups while the app is serving.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database as one
consistent snapshot; with WAL, writers keep working meanwhile. The copy is written
next to the target and renamed into place, then checked with PRAGMA integrity_check.

PostgreSQL: pg_dump takes a consistent snapshot itself (one repeatable-read
transaction), so the app only prints the commands to use.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be made or failed its check."""


@dataclass
class BackupResult:
    """What was written, and how many rows each table holds in the copy."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL (in-memory databases cannot be backed up)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise BackupError("only a SQLite database file can be copied by the app")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    """Copy a live SQLite database to target as one consistent snapshot."""
    source, target = Path(source), Path(target)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not overwrite the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # all pages in one step: a single consistent read transaction
        dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        tables = _row_counts(dst)
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return BackupResult(path=target, tables=tables)


def restore_sqlite(backup: Path, target: Path) -> BackupResult:
    """Restore a backup file into target (the app must be stopped)."""
    return backup_sqlite(backup, target)


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # Table names come from sqlite_master, quoted as identifiers; no user input here.
    return {
        n: conn.execute(
            'SELECT count(*) FROM "' + n.replace('"', '""') + '"'  # nosec B608  # noqa: S608
        ).fetchone()[0]
        for n in names
    }


def postgres_commands(database_url: str, target: str) -> tuple[str, str]:
    """The pg_dump and pg_restore commands for this database (password not shown)."""
    url = make_url(database_url).set(drivername="postgresql")
    shown = url.render_as_string(hide_password=True)
    dump = f"pg_dump --format=custom --no-owner --file {shlex.quote(target)} {shlex.quote(shown)}"
    restore = (
        f"pg_restore --clean --if-exists --no-owner --single-transaction "
        f"--dbname {shlex.quote(shown)} {shlex.quote(target)}"
    )
    return dump, restore
