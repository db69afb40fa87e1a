"""Operations: /healthz, the request log (and what it must never contain), SQLite settings."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from greenapp import create_app
from greenapp.extensions import db as _db
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


def test_sqlite_write_requests_take_the_write_lock_up_front(app, client, factory, login):
    """A POST begins with BEGIN IMMEDIATE; a GET that only reads opens no transaction."""
    if _db.engine.dialect.name != "sqlite":
        return
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):  # noqa: B023
            statements.append(statement)

    login(factory.user("coordinator"))
    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        _db.session.remove()
        client.get("/logs/")
        get_begins = list(statements)
        statements.clear()
        client.post(
            "/logs/new",
            data={
                "category": "water",
                "quantity": "1",
                "unit": "L",
                "action_date": "2020-01-01",
                "evidence": "self",
            },
        )
        post_begins = list(statements)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)
    assert get_begins == []  # reads see the latest data, no snapshot held open
    assert post_begins and post_begins[0] == "BEGIN IMMEDIATE"


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
