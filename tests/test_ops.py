"""Operations: /healthz, the request log (and what it must never contain), SQLite settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa

from greenapp import create_app
from greenapp.extensions import db as _db
from greenapp.models.log import EcoLog
from greenapp.permissions import PUBLIC, access_rule


def test_healthz_is_public_and_ok_when_the_database_answers(client, app):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "ok"
    assert access_rule(app.view_functions["ops.healthz"]) == PUBLIC


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    missing = tmp_path / "no-such-dir" / "greenapp.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    with app.app_context():
        resp = app.test_client().get("/healthz")
        _db.engine.dispose()
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "unavailable"


def test_request_log_has_method_path_status_user_and_duration(client, factory, login, caplog):
    coordinator = factory.user("coordinator")
    login(coordinator)
    with caplog.at_level(logging.INFO, logger="greenapp.request"):
        caplog.clear()
        client.get("/logs/?category=water")
    lines = [r.getMessage() for r in caplog.records if r.name == "greenapp.request"]
    assert len(lines) == 1
    method, path, status, user, duration = lines[0].split()
    assert (method, path, status) == ("GET", "/logs/", "200")
    assert user == f"user={coordinator.id}"
    assert duration.endswith("ms") and float(duration[:-2]) >= 0


def test_request_log_never_holds_passwords_cookies_tokens_or_query_strings(client, factory, caplog):
    user = factory.user("resident", email="secretive@example.org")
    secrets = ["correct-horse-battery", "wrong-password-123", "s3cr3t-reset-token"]
    with caplog.at_level(logging.DEBUG):
        client.post("/auth/login", data={"email": user.email, "password": secrets[1]})
        client.post("/auth/login", data={"email": user.email, "password": secrets[0]})
        client.get(f"/logs/?token={secrets[2]}&api_key=abc123")
        client.get("/auth/login?next=/logs/%3Fpassword%3Dhunter22")
    cookie = client.get_cookie("session")
    assert cookie is not None
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /auth/login" in text and "GET /logs/" in text
    for secret in [*secrets, cookie.value, "abc123", "hunter22", "token=", user.session_token]:
        assert secret not in text
    assert "?" not in text.replace("user=?", "")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    if _db.engine.dialect.name != "sqlite":
        return
    with _db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


@contextmanager
def _recorded_statements() -> Iterator[list[tuple[str, bool]]]:
    """Every SQL statement run meanwhile, as (its first word, whether the connection
    held a transaction - on SQLite: the write lock - when it ran); the test's session
    is closed first, so the requests start without a connection of the test's."""
    statements: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, *args):
        locked = conn.connection.dbapi_connection.in_transaction
        statements.append((statement.lstrip()[:6].upper(), locked))

    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        _db.session.remove()
        yield statements
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)


def test_sqlite_write_requests_take_the_write_lock_up_front(app, client, factory, login):
    """A POST (but the eco-action form's) begins with BEGIN IMMEDIATE, so its reads and
    checks are serialised with every other writer; a GET opens no transaction."""
    if _db.engine.dialect.name != "sqlite":
        return
    login(factory.user("coordinator"))
    with _recorded_statements() as statements:
        client.get("/community/notifications")
        on_get = list(statements)
        statements.clear()
        resp = client.post("/community/notifications/read", data={})
        on_post = list(statements)
    assert resp.status_code == 302
    assert on_get and not any(locked for _s, locked in on_get)
    assert on_post[0] == ("BEGIN ", False)  # BEGIN IMMEDIATE, before the first read
    assert all(locked for _s, locked in on_post[1:])


def test_sqlite_log_form_takes_the_write_lock_only_to_write(app, client, factory, login):
    """The eco-action form's reads (sign-in, the form's checks, the quality rule) run
    outside a transaction, so they never wait for the other worker's write; the write
    lock is taken right before its first write; a refused form takes no lock at all."""
    if _db.engine.dialect.name != "sqlite":
        return
    coordinator = factory.user("coordinator")
    school_id = coordinator.school_id
    login(coordinator)
    entry = {
        "category": "water",
        "quantity": "1",
        "unit": "L",
        "action_date": date.today().isoformat(),
        "evidence": "self",
    }
    with _recorded_statements() as statements:
        client.get("/logs/")
        on_get = list(statements)
        statements.clear()
        refused = client.post("/logs/new", data={**entry, "quantity": "-5"})
        on_refused = list(statements)
        statements.clear()
        saved = client.post("/logs/new", data=entry)
        on_save = list(statements)
    assert refused.status_code == 200 and saved.status_code == 302
    assert on_get and not any(locked for _s, locked in on_get)
    assert on_refused and not any(locked for _s, locked in on_refused)
    first_write = next(i for i, (s, _l) in enumerate(on_save) if s in ("INSERT", "UPDATE"))
    assert not any(locked for _s, locked in on_save[:first_write])  # checks: no lock
    assert all(locked for s, locked in on_save if s in ("INSERT", "UPDATE", "DELETE"))
    stored = _db.session.scalars(sa.select(EcoLog.quantity).where(EcoLog.school_id == school_id))
    assert list(stored) == [1]


def test_sqlite_row_locks_take_the_write_lock_before_the_read(app, db, factory):
    """SQLite has no row locks: a SELECT ... FOR UPDATE (an edit's version check) takes
    the database's write lock first, so no other writer commits between the check and
    the write; `write_lock` does the same where there is no row to lock."""
    if _db.engine.dialect.name != "sqlite":
        return
    from greenapp.models.school import School
    from greenapp.ops.sqlite import write_lock

    school = factory.school(name="Locked")
    db.session.commit()

    def holds_lock() -> bool:
        return db.session.connection().connection.dbapi_connection.in_transaction

    db.session.scalar(sa.select(School.name).where(School.id == school.id))
    assert not holds_lock()
    db.session.scalar(sa.select(School.name).where(School.id == school.id).with_for_update())
    assert holds_lock()
    db.session.rollback()
    db.session.refresh(school, with_for_update=True)
    assert holds_lock()
    db.session.rollback()
    write_lock(db.session)
    assert holds_lock()
    db.session.rollback()


def test_sqlite_writes_outside_requests_are_still_atomic(app, db, factory):
    """Outside a request the first write opens the transaction; rollback undoes it all."""
    from greenapp.models.school import School

    school = factory.school(name="Kept")
    db.session.add(
        School(
            name="Rolled back",
            city="Minsk",
            country="BY",
            address="",
            pupils=1,
            joined_on=school.joined_on,
            timezone="Europe/Minsk",
        )
    )
    school.name = "Renamed"
    db.session.flush()
    db.session.rollback()
    names = set(db.session.scalars(sa.select(School.name)))
    assert names == {"Kept"}


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(app):
    from flask import request

    from greenapp.permissions import public

    proxied = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "PROXY_COUNT": 1},
    )

    @proxied.route("/whoami")
    @public
    def whoami():
        return request.remote_addr or ""

    resp = proxied.test_client().get(
        "/whoami",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert resp.get_data(as_text=True) == "203.0.113.9"
    plain = app.test_client()
    assert plain.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    with proxied.app_context():
        _db.engine.dispose()


def test_sqlite_api_entry_writes_take_the_write_lock_only_to_write(app, factory):
    """The API's entry create, edit and delete share the form's pipeline, which locks
    what it checks: their token check and reads run outside a transaction too, and every
    write runs under the lock."""
    if _db.engine.dialect.name != "sqlite":
        return
    from tests.helpers import YESTERDAY, api_token, bearer

    coordinator = factory.user("coordinator")
    auth = bearer(api_token(coordinator))
    api = app.test_client()
    entry = {
        "category": "water",
        "quantity": "2",
        "unit": "L",
        "evidence": "self",
        "action_date": YESTERDAY,
    }
    _db.session.commit()
    api.post("/api/v1/entries", json=entry, headers=auth)  # the token's first use is written
    with _recorded_statements() as statements:
        runs = []
        created = api.post("/api/v1/entries", json=entry, headers=auth)
        runs.append(list(statements))
        statements.clear()
        log_id = created.get_json()["id"]
        edited = api.patch(
            f"/api/v1/entries/{log_id}", json={"version": 1, "quantity": "3"}, headers=auth
        )
        runs.append(list(statements))
        statements.clear()
        deleted = api.delete(f"/api/v1/entries/{log_id}?version=2", headers=auth)
        runs.append(list(statements))
    assert (created.status_code, edited.status_code, deleted.status_code) == (201, 200, 204)
    for run in runs:
        first_lock = next(i for i, (_s, locked) in enumerate(run) if locked)
        # the token check and the form's reads ran before the lock (no BEGIN IMMEDIATE
        # up front: the pipeline takes the lock at its first write or row lock)
        assert any(s == "SELECT" for s, _l in run[:first_lock]), run
        assert all(locked for s, locked in run if s in ("INSERT", "UPDATE", "DELETE"))
