"""Shared fixtures: app, client, db, login helper, factories; a fresh database per test.

Set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run the
whole suite on PostgreSQL: a private database is created for the run and dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from greenapp import create_app
from greenapp.extensions import db as _db
from greenapp.models.log import EcoLog
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import User
from greenapp.services import logs as log_service
from tests.helpers import PASSWORD, REGISTERED

# No per-example deadline: on a busy shared machine a pure function can take 300 ms, and
# speed is shown by the benchmark, never by a timed assertion.
settings.register_profile("greenapp", deadline=None)
settings.load_profile("greenapp")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database for this test run: a temp SQLite file, or a private PostgreSQL db."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    base = base.replace("postgresql://", "postgresql+psycopg://", 1) if base.startswith(
        "postgresql://") else base
    name = f"greenapp_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        sa.create_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url: str) -> str:
    """Create the schema once per run through the migrations, as production does."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
                revision="heads")
        _db.engine.dispose()
    return database_url


# Rows production never deletes: the cache's scope versions (services/cache.py) that
# every cached entry keys on. They survive the wipe (so the cached paths run in tests, as
# in production) and are bumped instead, so nothing cached by an earlier test, in this
# process or in a shared Redis, can be served to the next one.
# {table: counter column}
VERSION_TABLES = {"cache_versions": "n"}


def _wipe() -> None:
    """Empty every table (but the version counters, bumped) so each test starts afresh."""
    # Tables without a migration yet are caught by test_migrations, not here.
    existing = set(sa.inspect(_db.engine).get_table_names())
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)
              if t.name in existing and t.name not in VERSION_TABLES]
    if _db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        _db.session.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(sa.text(f'DELETE FROM "{table}"'))  # noqa: S608
    for table, column in VERSION_TABLES.items():
        if table in existing:
            _db.session.execute(sa.text(
                f'UPDATE "{table}" SET "{column}" = "{column}" + 1'))  # noqa: S608
    _db.session.commit()


class FreshContextClient(FlaskClient):
    """A test client that serves each request in its own app context, as a server does.

    The test itself keeps an app context open (for db.session and the factories);
    without this, Flask would reuse that context for every request, and `g`
    (Flask-Login's user, Flask-Babel's locale, the request memos) and the database
    session would carry over from one request to the next. The test's session is
    committed before each request (the server sees what the test wrote) and after it
    (the test then reads what the server wrote, not a stale snapshot).
    """

    def run_wsgi_app(self, environ, buffered=False):  # type: ignore[override]
        _db.session.commit()
        try:
            with self.application.app_context():
                return super().run_wsgi_app(environ, buffered=buffered)
        finally:
            _db.session.commit()


@pytest.fixture
def app(_schema: str) -> Iterator[Flask]:
    """The app in testing mode on the run's database, emptied for this test."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": _schema})
    app.test_client_class = FreshContextClient
    with app.app_context():
        _wipe()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask):
    """The SQLAlchemy handle, bound to the test app."""
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF off; see test_security for CSRF on)."""
    return app.test_client()


class Factory:
    """Builds schools, users and logs with sensible defaults."""

    def __init__(self, db) -> None:
        self.db = db
        self.n = 0

    def school(self, **kw) -> School:
        self.n += 1
        defaults = dict(
            name=f"School {self.n}", city="Kyzylorda", country="KZ", address="Main St",
            pupils=500, joined_on=date.today() - timedelta(days=800), timezone="Asia/Qyzylorda",
        )
        defaults.update(kw)
        targets = defaults.pop("targets", {})
        school = School(**defaults)
        for category, qty in targets.items():
            school.targets.append(SchoolTarget(category=category, quantity=Decimal(qty)))
        self.db.session.add(school)
        self.db.session.commit()
        return school

    def user(self, role: str = "resident", school: School | None = None, **kw) -> User:
        self.n += 1
        kw.setdefault("created_at", REGISTERED)
        if role == "coordinator" and school is None:
            school = self.school()
        user = User(
            email=kw.pop("email", f"{role}{self.n}@example.org"),
            display_name=kw.pop("display_name", f"{role.title()} {self.n}"),
            role=role, school=school, **kw,
        )
        user.set_password(PASSWORD)
        self.db.session.add(user)
        self.db.session.commit()
        return user

    def log(self, actor: User, **kw) -> EcoLog:
        data = log_service.LogInput(
            category=kw.get("category", "water"),
            quantity=str(kw.get("quantity", "100")),
            unit=kw.get("unit", "L"),
            action_date=kw.get("action_date", date.today() - timedelta(days=1)),
            evidence=kw.get("evidence", "document"),
            fraction=kw.get("fraction", ""),
            note=kw.get("note", ""),
        )
        log = log_service.create_log(actor, data)
        self.db.session.commit()
        return log


@pytest.fixture
def factory(db) -> Factory:
    """Factories for schools, users and logs."""
    return Factory(db)


@pytest.fixture
def login(client: FlaskClient):
    """Sign a user in through the real login form."""

    def do(user: User, password: str = PASSWORD, remember: bool = False):
        data = {"email": user.email, "password": password}
        if remember:
            data["remember"] = "y"
        resp = client.post("/auth/login", data=data)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp

    return do
