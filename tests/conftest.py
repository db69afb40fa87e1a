"""Shared fixtures: app, client, db, login helper, factories; a fresh database per test.

Set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test to run the
whole suite on PostgreSQL: a private database is created for the run and dropped after.

Fixtures: ``database_url`` (session: this process's database), ``app`` (an app as newly
built, on that database, emptied first; change its config freely), ``db``, ``client``
(``FreshContextClient``), ``factory`` (``Factory``) and ``login``. Browser fixtures are
in tests/e2e/conftest.py; shared helpers in tests/helpers.py.

Speed without a different code path (``make test``: about 2 minutes on 2 quiet cores):
- ``make test`` runs pytest-xdist, one worker per core. Each worker is its own process
  with its own database (SQLite file or PostgreSQL database), SimpleCache, live servers
  and free ports; Redis tests use a fresh key prefix each. Run one file without it:
  ``.venv/bin/python -m pytest tests/test_x.py``.
- Tests that take seconds (browser journeys, ``slow``, ``load`` and ``long`` marks) start
  first (``pytest_collection_modifyitems``), so the workers end on short tests, together.
- The ``app`` fixture reuses one app per process, put back before each test to what a
  new one would be (config, rate limiter, empty cache; what it kept on first use is
  forgotten after the test: ``_release``) and dropped after a test that changed its
  shape (``_reused_app``); a test's own ``create_app()`` builds a new app. So nothing
  may key per-test state on ``id(app)``: make it a fixture of the test (the route
  walk's world is ``walk_world``). What any app only derives from the code
  is built once per process and shared: compiled templates (``SharedTemplateCode``), one engine
  per SQLite file and its statement cache (``SharedEngines``), the URL rules' parsed
  parts and builders (``_share_rule_parsing``, ``_share_url_builders``). Requests,
  sessions, ``g``, config and caches stay per test. (The API's OpenAPI document is built
  on first use, not with the app: greenapp/api.)
- The SQLite database lives in /dev/shm (commits cost no fsync). The wipe deletes only
  the tables a test filled (``_wipe_sqlite``, ``_wipe_postgresql``), and gives a SQLite
  file left large back (``_shrink_sqlite``).
- Passwords are hashed with one PBKDF2 round (``TestingConfig.PASSWORD_HASH_METHOD``).
- The garbage collector runs less often (``pytest_collection_finish``).
- Fixture data that takes long to build is built once per process on SQLite and copied
  back from a snapshot afterwards (tests/helpers.py ``copy_database``): the every-role
  World of the route tests (tests/test_access_matrix.py) and the XSS payloads stored
  through every form (tests/test_security_xss.py ``seeded_world``).
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from jinja2 import BytecodeCache
from werkzeug.test import run_wsgi_app
from werkzeug.urls import urlsplit
from werkzeug.wsgi import get_current_url

from greenapp import create_app
from greenapp.extensions import db as _db
from greenapp.models.log import EcoLog
from greenapp.models.school import School, SchoolTarget
from greenapp.models.user import User
from greenapp.services import logs as log_service
from tests.helpers import PASSWORD, REGISTERED


class SharedTemplateCode(BytecodeCache):
    """Compiled templates shared by every app this test process builds.

    Each test gets a fresh app (and so a fresh Jinja environment), which would parse and
    compile every template it renders again: most of a page test's time. This cache
    hands the next app the code compiled by an earlier one. It is keyed by the template's
    name, its source's checksum (an edited template is compiled afresh) and the
    environment's compile-time options (an app with other Jinja options never shares
    code). Rendering itself, filters, globals and translations stay per app.
    """

    def __init__(self) -> None:
        self._code: dict[tuple, object] = {}

    @staticmethod
    def _options(env) -> tuple:
        autoescape = getattr(env.autoescape, "__func__", env.autoescape)
        return (
            type(env),
            tuple(sorted(env.extensions)),
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            env.is_async,
            env.finalize is not None,
            getattr(env, "newstyle_gettext", None),
            getattr(autoescape, "__qualname__", autoescape),
        )

    def _key(self, bucket) -> tuple:
        return (self._options(bucket.environment), bucket.key, bucket.checksum)

    def load_bytecode(self, bucket) -> None:
        bucket.code = self._code.get(self._key(bucket))

    def dump_bytecode(self, bucket) -> None:
        self._code[self._key(bucket)] = bucket.code


# Every Flask app of the run (the fixtures', the live server's, a test's own) uses it.
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplateCode()}


class SharedEngines:
    """One SQLAlchemy engine per database (and engine options) for the whole test process.

    Each test builds a fresh app, and Flask-SQLAlchemy would build a fresh engine for it,
    whose empty statement cache then compiles every query again (a fifth of a test's
    time). Apps on the same SQLite file with the same options get the same engine
    instead; its pool is still emptied after each test (the app fixture disposes it).
    In-memory SQLite databases (each app's own) and PostgreSQL are never shared.
    """

    def __init__(self, make) -> None:
        self._make = make
        self._engines: dict[tuple, sa.engine.Engine] = {}

    @staticmethod
    def _key(options: dict, app: Flask) -> tuple | None:
        url = sa.engine.make_url(options["url"])
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            # PostgreSQL keeps an engine per app: one app's dispose() (a test's second app,
            # the live server) would orphan another's open connection, which psycopg
            # reports as a ResourceWarning (an error here).
            return None
        rest = tuple(sorted((k, repr(v)) for k, v in options.items() if k != "url"))
        # the SQLite pragmas the app installs on its engine (greenapp/ops/sqlite.py)
        pragmas = (app.config.get("SQLITE_BUSY_TIMEOUT_MS"), app.config.get("SQLITE_WAL"))
        return (url.render_as_string(hide_password=False), rest, pragmas)

    def __call__(self, bind_key, options: dict, app: Flask) -> sa.engine.Engine:
        key = self._key(options, app)
        if key is None:
            return self._make(bind_key, options, app)
        if key not in self._engines:
            self._engines[key] = self._make(bind_key, options, app)
        return self._engines[key]


_db._make_engine = SharedEngines(_db._make_engine)  # type: ignore[method-assign]


def _share_url_builders() -> None:
    """Werkzeug compiles two URL-builder functions per route, for each new app (a sixth
    of a test's time). The function depends only on the rule's text, its parsed parts
    and whether unknown arguments are appended; it reaches the rule's converters through
    the rule it is bound to. Apps of this process reuse one compiled function per rule;
    rules with defaults (resolved into the code) are compiled as before."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict[tuple, object] = {}

    def shared(self, append_unknown: bool = True):
        if self.defaults:
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


def _share_rule_parsing() -> None:
    """Werkzeug parses each rule's text into its regex parts for each new app (most of
    what building an app's URL map costs). The parts depend only on the text and the
    converter classes of the map; apps of this process reuse them. Each rule still gets
    its own converter objects (bound to its own map), arguments and trace."""
    from werkzeug.routing.rules import Rule

    parse = Rule._parse_rule
    if getattr(parse, "shared", False):
        return  # installed already (this module is imported again as tests.conftest)
    parsed: dict[tuple, tuple] = {}

    def shared(self, rule: str):
        key = (rule, tuple(self.map.converters.items()))
        if key not in parsed:
            made: list[tuple] = []  # (variable, converter name, args, kwargs)
            get_converter = self.get_converter

            def recording(*spec):
                made.append(spec)
                return get_converter(*spec)

            self.get_converter = recording  # this rule only, while it is parsed
            trace_before = len(self._trace)
            try:
                parts = list(parse(self, rule))
            finally:
                del self.get_converter
            parsed[key] = (parts, self._trace[trace_before:], made)
            return iter(parts)
        parts, trace, made = parsed[key]
        self._trace.extend(trace)
        for spec in made:
            self._converters[spec[0]] = self.get_converter(*spec)
            self.arguments.add(spec[0])
        return iter(parts)

    shared.shared = True  # type: ignore[attr-defined]
    Rule._parse_rule = shared  # type: ignore[method-assign]


_share_rule_parsing()


# Tests that take seconds, by marker, in the order they start: the browser journeys and
# the tests sharing their seeded data (test_security_xss), then the other long ones.
LONG_FIRST = (("e2e", "long"), ("slow", "load"))


def _start_rank(item: pytest.Item) -> int:
    for rank, markers in enumerate(LONG_FIRST):
        if any(item.get_closest_marker(m) for m in markers):
            return rank
    return len(LONG_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that take seconds are started first. xdist (`--dist worksteal`) hands each
    worker a part of this order and lets an idle worker take over the end of another's
    queue: with the long tests at the front, the last tests to run are short ones, and
    the workers end together instead of one finishing a long test alone. Otherwise the
    order is unchanged (a stable sort)."""
    items.sort(key=_start_rank)


def pytest_collection_finish(session) -> None:
    """Less garbage-collector work: what collection built (modules, the URL maps of the
    module-level apps, hypothesis strategies) lives for the whole run, so it is moved out
    of the collector's sight, and the youngest generation is collected after 50,000 new
    objects instead of 700 (each test builds an app: many objects, few of them garbage
    cycles). About 15 % less CPU time for the route tests; nothing a test checks changes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


# No per-example deadline: on a busy shared machine a pure function can take 300 ms, and
# speed is shown by the benchmark, never by a timed assertion.
settings.register_profile("greenapp", deadline=None)
settings.load_profile("greenapp")


SHM = "/dev/shm"  # noqa: S108 - a private mkdtemp folder inside it


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database for this test run: a temp SQLite file, or a private PostgreSQL db."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base:
        # In memory-backed /dev/shm where there is one: the app's pragmas stay those of
        # production (WAL, synchronous FULL), but a commit's fsync costs nothing there,
        # and tests commit often. On a shared disk the fsyncs were most of the run's time.
        if os.path.isdir(SHM) and os.access(SHM, os.W_OK):
            folder = tempfile.mkdtemp(prefix="greenapp-test-", dir=SHM)
            try:
                yield f"sqlite:///{folder}/test.db"
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        else:
            yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    base = (
        base.replace("postgresql://", "postgresql+psycopg://", 1)
        if base.startswith("postgresql://")
        else base
    )
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

        upgrade(
            directory=os.path.join(os.path.dirname(__file__), "..", "migrations"), revision="heads"
        )
        _db.engine.dispose()
    return database_url


# Rows production never deletes: the cache's scope versions (services/cache.py) that
# every cached entry keys on. They survive the wipe (so the cached paths run in tests, as
# in production) and are bumped instead, so nothing cached by an earlier test, in this
# process or in a shared Redis, can be served to the next one.
# {table: counter column}
VERSION_TABLES = {"cache_versions": "n"}


def _wipe_postgresql(tables: list[str]) -> None:
    """Empty the tables that have rows and restart every wiped table's id sequence.

    TRUNCATE of every table cost about a second per test (new files for each table);
    DELETE of the few tables a test filled costs milliseconds. As a superuser (the
    suite's own database), triggers and foreign-key checks are off for these DELETEs,
    as they are for TRUNCATE (no rollup trigger runs on a row that is being wiped);
    otherwise it falls back to TRUNCATE.
    """
    if not tables:
        return
    session = _db.session
    if not session.execute(sa.text("SELECT current_setting('is_superuser') = 'on'")).scalar():
        quoted = ", ".join(f'"{t}"' for t in tables)
        session.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        return
    probe = " UNION ALL ".join(f"(SELECT '{t}' FROM \"{t}\" LIMIT 1)" for t in tables)  # noqa: S608
    filled = set(session.execute(sa.text(probe)).scalars())
    if filled:
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            if table in filled:
                session.execute(sa.text(f'DELETE FROM "{table}"'))  # noqa: S608
        session.execute(sa.text("SET LOCAL session_replication_role = origin"))
    # RESTART IDENTITY: every sequence owned by a wiped table starts again at 1.
    session.execute(
        sa.text(
            "SELECT setval(s.oid, 1, false) FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_class'::regclass "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND t.relname = ANY(:tables) "
            "AND t.relnamespace = to_regnamespace(current_schema())::oid"
        ),
        {"tables": tables},
    )


def _wipe_sqlite(tables: list[str]) -> None:
    """Empty the tables that have rows (one probe query, then a DELETE for each)."""
    if not tables:
        return
    session = _db.session
    probe = " UNION ALL ".join(
        f"SELECT '{t}' FROM (SELECT 1 FROM \"{t}\" LIMIT 1)"  # noqa: S608
        for t in tables
    )
    filled = set(session.execute(sa.text(probe)).scalars())
    for table in tables:  # children before parents, as before
        if table in filled:
            session.execute(sa.text(f'DELETE FROM "{table}"'))  # noqa: S608


# Free pages above which the wipe gives the file back (a page is 4 KiB).
SQLITE_FREE_PAGES = 2_000


def _shrink_sqlite() -> None:
    """After a test that filled the database (the 100,000-row import leaves a 90 MB file,
    nearly all free pages, and an 80 MB write-ahead log), VACUUM and truncate the log.
    Left as they were, they made every later test's writes and snapshot copies several
    times slower (the at-length walk of test_no_500 took 6 times as long)."""
    raw = _db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        if conn.execute("PRAGMA freelist_count").fetchone()[0] > SQLITE_FREE_PAGES:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


_TABLES: dict[str, frozenset[str]] = {}


def _tables_in(url: str) -> frozenset[str]:
    """The tables of the run's database, read once (the schema is built once per run;
    an Inspector per test cost more than the wipe's deletes)."""
    if url not in _TABLES:
        _TABLES[url] = frozenset(sa.inspect(_db.engine).get_table_names())
    return _TABLES[url]


def _wipe() -> None:
    """Empty every table (but the version counters, bumped) so each test starts afresh."""
    # Tables without a migration yet are caught by test_migrations, not here.
    existing = _tables_in(str(_db.engine.url))
    tables = [
        t.name
        for t in reversed(_db.metadata.sorted_tables)
        if t.name in existing and t.name not in VERSION_TABLES
    ]
    if _db.engine.dialect.name == "postgresql":
        _wipe_postgresql(tables)
    else:
        _wipe_sqlite(tables)
    for table, column in VERSION_TABLES.items():
        if table in existing:
            _db.session.execute(sa.text(f'UPDATE "{table}" SET "{column}" = "{column}" + 1'))  # noqa: S608
    _db.session.commit()
    if _db.engine.dialect.name == "sqlite":
        _shrink_sqlite()


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
                # werkzeug's Client.run_wsgi_app, but the cookie jar is matched against
                # the URL without its query string (cookies match host and path only):
                # werkzeug rebuilt and unquoted the whole URL twice a request, and the
                # route walk's query strings run to kilobytes (6 % of its time).
                query = environ.get("QUERY_STRING", "")
                environ["QUERY_STRING"] = ""
                try:
                    self._add_cookies_to_wsgi(environ)
                    url = urlsplit(get_current_url(environ))
                finally:
                    environ["QUERY_STRING"] = query
                rv = run_wsgi_app(self.application, environ, buffered=buffered)
                self._update_cookies_from_response(
                    url.hostname or "localhost", url.path, rv[2].getlist("Set-Cookie")
                )
                return rv
        finally:
            _db.session.commit()


# One app per worker and database, reused by every test that leaves it as built. Building
# an app costs about 10 ms (half of it werkzeug's URL map of 140 rules) and a run needs
# about 1,400. Before each test the reused app gets back its config, the rate limiter's
# settings and an empty in-process cache; after each, whatever the app keeps in
# app.extensions on first use (process-local memories, the sign-in guard, the mail
# outbox, the storage backend, the built OpenAPI document) is forgotten, so the next
# test meets it as a new app would. A test that changed the app's shape (a route, a
# hook, an error handler, a template global) gets it dropped: the next test builds anew.
class _Built(NamedTuple):
    """A worker's app and what it was when built, to put it back to."""

    app: Flask
    config: dict
    shape: tuple
    limiter: dict  # the module-level rate limiter's attributes
    extensions: frozenset[str]  # the names in app.extensions


_REUSED: dict[str, _Built] = {}


def _shape(app: Flask) -> tuple:
    """What a test could add to an app: rules, views, hooks, handlers, template names.

    Flask's error-handler lookup adds empty entries to its defaultdicts; only handlers
    count."""
    return (
        len(app.url_map._rules),
        tuple(app.view_functions),
        tuple((k, len(v)) for k, v in app.before_request_funcs.items()),
        tuple((k, len(v)) for k, v in app.after_request_funcs.items()),
        tuple((k, len(v)) for k, v in app.teardown_request_funcs.items()),
        tuple((k, len(v)) for k, v in app.template_context_processors.items()),
        tuple(
            (bp, code, tuple(handlers.items()))
            for bp, by_code in app.error_handler_spec.items()
            for code, handlers in by_code.items()
            if handlers
        ),
        tuple(app.jinja_env.globals),
        tuple(app.jinja_env.filters),
        app.test_client_class,
        app.session_interface,
        app.wsgi_app,
    )


def _reused_app(url: str) -> Flask:
    """This worker's app for the database at `url`, as a freshly built one would be.

    The rate limiter is one module-level object that every create_app() configures
    (a test's own app, the browser tests' live app): its settings are put back too."""
    from greenapp.extensions import cache, limiter

    built = _REUSED.get(url)
    if built is None:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        app.test_client_class = FreshContextClient
        built = _REUSED[url] = _Built(
            app, dict(app.config), _shape(app), dict(limiter.__dict__), frozenset(app.extensions)
        )
    app = built.app
    app.config.clear()
    app.config.update(built.config)
    app._got_first_request = False  # a test may still add a route (then it is dropped)
    limiter.__dict__.clear()
    limiter.__dict__.update(built.limiter)
    if limiter._storage is not None:
        limiter.reset()
    with app.app_context():
        cache.clear()  # SimpleCache in testing: each test starts with an empty cache
    return app


def _release(url: str) -> None:
    """After a test: forget what the app picked up on first use, or drop a changed app."""
    built = _REUSED[url]
    if _shape(built.app) != built.shape:
        del _REUSED[url]  # the next test gets a newly built app
        return
    # Only what was added goes: the API's first OpenAPI document also registers its
    # views in the built spec, once per app, and takes its to-do entries out.
    for name in built.app.extensions.keys() - built.extensions:
        del built.app.extensions[name]


@pytest.fixture
def app(_schema: str) -> Iterator[Flask]:
    """The app in testing mode on the run's database, emptied for this test."""
    app = _reused_app(_schema)
    with app.app_context():
        _wipe()
        yield app
        _db.session.remove()
    _release(_schema)


@pytest.fixture
def db(app: Flask):
    """The SQLAlchemy handle, bound to the test app."""
    return _db


@pytest.fixture
def csrf_app(app: Flask) -> Iterator[Flask]:
    """A second app on the test database with CSRF protection on, as in production."""
    from tests.helpers import second_app

    with second_app(app, WTF_CSRF_ENABLED=True) as secured:
        yield secured


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
            name=f"School {self.n}",
            city="Kyzylorda",
            country="KZ",
            address="Main St",
            pupils=500,
            joined_on=date.today() - timedelta(days=800),
            timezone="Asia/Qyzylorda",
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
            role=role,
            school=school,
            **kw,
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
