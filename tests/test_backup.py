"""`flask backup PATH`: a consistent copy while serving, restored and compared row by row."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from greenapp import create_app
from greenapp.extensions import db as _db
from greenapp.services import backup
from greenapp.services import logs as log_service
from tests.helpers import dispose


def _dialect(app) -> str:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def _sample(factory, n: int = 12):
    school = factory.school(name="Backup School", address="Abai 1")
    coordinator = factory.user("coordinator", school=school, display_name="Dana «Б»")
    resident = factory.user("resident")
    for i in range(n):
        factory.log(coordinator, quantity=f"{i + 1}.125", note=f"note {i} ✓")
        factory.log(resident, category="energy", quantity=str(i + 2), unit="kWh")
    return coordinator


def _sqlite_tables(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            n: sorted(repr(r) for r in conn.execute(f'SELECT * FROM "{n}"'))  # noqa: S608
            for n in sorted(names)
        }
    finally:
        conn.close()


def _sa_tables(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return {
                t.name: sorted(repr(tuple(r)) for r in conn.execute(sa.select(t)))
                for t in meta.sorted_tables
            }
    finally:
        engine.dispose()


def test_backup_restores_to_an_identical_database_sqlite(app, factory, tmp_path):
    if _dialect(app) != "sqlite":
        pytest.skip("the SQLite backup API is for SQLite; see the PostgreSQL test")
    _sample(factory)
    target = tmp_path / "copies" / "greenapp-backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    restored = tmp_path / "restored.db"
    backup.restore_sqlite(target, restored)
    source = backup.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    original, copy = _sqlite_tables(source), _sqlite_tables(restored)
    assert set(copy) == set(original)
    assert copy == original  # every table, row by row
    assert sum(len(rows) for rows in copy.values()) > 40
    # the restored database serves the app
    served = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored}"})
    assert served.test_client().get("/healthz").status_code == 200
    dispose(served)


def test_backup_while_the_app_is_writing_is_a_consistent_snapshot(app, factory, tmp_path):
    if _dialect(app) != "sqlite":
        pytest.skip("SQLite only")
    coordinator = _sample(factory, n=3)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        worker = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        with worker.app_context():
            from greenapp.models.user import User

            actor = _db.session.get(User, coordinator.id)
            try:
                while not stop.is_set():
                    log_service.create_log(
                        actor,
                        log_service.LogInput(
                            category="water",
                            quantity="1.5",
                            unit="L",
                            evidence="document",
                            action_date=date.today() - timedelta(days=1),
                            note="during backup",
                        ),
                    )
                    _db.session.commit()
                    written.append(1)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
            finally:
                _db.session.remove()
                _db.engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        while len(written) < 5 and thread.is_alive():
            stop.wait(0.01)
        for i in range(3):
            target = tmp_path / f"live-{i}.db"
            result = app.test_cli_runner().invoke(args=["backup", str(target)])
            assert result.exit_code == 0, result.output
            copies.append(target)
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert len(written) >= 5
    source_rows = _sqlite_tables(backup.sqlite_path(url))
    for copy in copies:
        tables = _sqlite_tables(copy)
        for name in ("eco_logs", "audit_records"):  # append-only here: a snapshot of them
            assert set(tables[name]) <= set(source_rows[name]), name
            assert len(tables[name]) <= len(source_rows[name]), name
        # consistent: the daily summary in the copy equals a recomputation of its logs
        served = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}"})
        with served.app_context():
            from greenapp.services import summary

            assert summary.recompute_rows() == summary.stored_rows()
        dispose(served)


def test_backup_refuses_to_overwrite_the_database(app):
    if _dialect(app) != "sqlite":
        pytest.skip("SQLite only")
    source = backup.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    result = app.test_cli_runner().invoke(args=["backup", str(source)])
    assert result.exit_code != 0
    assert "must not overwrite" in result.output


def test_postgresql_backup_prints_pg_dump_and_pg_restore_and_they_round_trip(
    app, factory, tmp_path
):
    if _dialect(app) != "postgresql":
        pytest.skip("run with TEST_DATABASE_URL=postgresql+psycopg://...")
    _sample(factory)
    target = tmp_path / "greenapp.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore are not installed here")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    plain = sa.engine.make_url(url).set(drivername="postgresql")
    subprocess.run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--file",
            str(target),
            plain.render_as_string(hide_password=False),
        ],
        check=True,
        timeout=120,
    )
    name = f"greenapp_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    restored = sa.engine.make_url(url).set(database=name)
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                restored.set(drivername="postgresql").render_as_string(hide_password=False),
                str(target),
            ],
            check=True,
            timeout=120,
        )
        _db.session.commit()
        original = _sa_tables(url)
        copy = _sa_tables(restored.render_as_string(hide_password=False))
        assert copy == original
        assert sum(len(rows) for rows in copy.values()) > 40
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
