"""Helpers shared by the tests (one module; conftest.py holds the fixtures).

- Accounts: PASSWORD, FAST_HASH, signed_in_client (a session without a login POST).
- Dates: local_today (the programme's 'today', not the test machine's).
- Routes and data: routes, fill_url, dispose (a second app's connections), db_digest.
- Community: make_challenge.
- XSS: every form filled with payloads, every page crawled for live markup (below).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter
from werkzeug.security import generate_password_hash
from werkzeug.test import Cookie

from greenapp.extensions import db as _db
from greenapp.models.user import User
from greenapp.permissions import PUBLIC, SIGNED_IN, access_rule

# Test accounts registered long before the entries tests log for them: residents may not
# log actions dated before they registered (tests of that rule pass created_at=now).
REGISTERED = datetime.now(UTC) - timedelta(days=3 * 365)
PASSWORD = "correct-horse-battery"  # noqa: S105
# For users built directly as rows: hashing is not under test there.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
SKIP_METHODS = {"HEAD", "OPTIONS"}


# --- dates ------------------------------------------------------------------------------
# CI may run at 19:00 UTC, when it is already tomorrow in Kyzylorda (UTC+5); a test that
# compares what a page says with `date.today()` would then be off by a day.

KYZYLORDA = "Asia/Qyzylorda"
MINSK = "Europe/Minsk"


def local_today(tz_name: str = KYZYLORDA) -> date:
    """Today's date in a school's (or the programme's default) time zone."""
    return datetime.now(ZoneInfo(tz_name)).date()


# --- accounts, routes, data ---------------------------------------------------------


def routes(app: Flask, method: str) -> list[tuple[str, str]]:
    """(rule, endpoint) of every non-static route that accepts this method."""
    return sorted(
        (r.rule, r.endpoint)
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
        and not r.endpoint.endswith(".static")
        and method in (r.methods or set())
    )


def fill_url(app: Flask, rule: str, values: dict[str, object]) -> str:
    """Build a URL for a rule: int parameters from `values` (default 1), others 'x'."""
    r = next(x for x in app.url_map.iter_rules() if x.rule == rule)
    args = {}
    for arg in r.arguments:
        is_int = isinstance(r._converters[arg], IntegerConverter)  # also the bounded one
        args[arg] = values.get(arg, 1) if is_int else "x"
    with app.test_request_context():
        return app.url_for(r.endpoint, **args)


# The signed session cookie for (app, session token), made once: the route walks build
# thousands of clients, and a session transaction per client cost as much as a request.
_SESSION_COOKIES: weakref.WeakKeyDictionary[Flask, dict[str, Cookie]] = weakref.WeakKeyDictionary()


def signed_in_client(app: Flask, user: User | int | None) -> FlaskClient:
    """A test client whose session already carries the user's token (no login POST);
    `user` is a User or a user's id.

    The token is read from the database, not from the object, which may hold one the
    app has changed since (a password change gives the user a new one)."""
    client = app.test_client()
    if user is not None:
        if isinstance(user, User):
            if sa.inspect(user).identity is None:  # not stored yet
                _db.session.flush()
            user = sa.inspect(user).identity[0]
        token = _db.session.scalar(sa.select(User.session_token).where(User.id == user))
        kept = _SESSION_COOKIES.setdefault(app, {})
        cookie = kept.get(token)
        if cookie is None:
            with client.session_transaction() as sess:
                sess["_user_id"] = token
                sess["_fresh"] = True
            name = app.config["SESSION_COOKIE_NAME"]
            cookie = kept[token] = client.get_cookie(name)
            assert cookie is not None, "the session cookie was not set"
        else:
            client.set_cookie(
                cookie.key,
                cookie.value,
                domain=cookie.domain,
                origin_only=cookie.origin_only,
                path=cookie.path,
            )
    return client


def api_token(user: User, scopes: tuple[str, ...] = ("read", "write"), days: int = 30) -> str:
    """A personal access token for the user (committed); returns the secret."""
    from greenapp.services import tokens

    made = tokens.create_token(
        user, f"test token {len(tokens.tokens_of(user)) + 1}", list(scopes), days
    )
    _db.session.commit()
    return made.secret


def bearer(secret: str, **headers: str) -> dict[str, str]:
    """Request headers carrying a personal access token."""
    return {"Authorization": f"Bearer {secret}", **headers}


def dispose(app: Flask) -> None:
    """Close a second app's database connections (PostgreSQL warns about leaked ones)."""
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


@contextmanager
def second_app(app: Flask, **config: object) -> Iterator[Flask]:
    """Another app in testing mode on the test app's database, `config` on top of the
    testing config (CSRF on, a rate limit...); its connections are closed after."""
    from greenapp import create_app

    other = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **config}
    )
    try:
        yield other
    finally:
        dispose(other)


def db_digest() -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    h = hashlib.sha256()
    _db.session.expire_all()
    for table in _db.metadata.sorted_tables:
        rows = _db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        for row in rows:
            h.update(repr((table.name, tuple(row))).encode())
    _db.session.rollback()
    return h.hexdigest()


# --- snapshots: fixture data built once per test process (SQLite) --------------------


def is_empty_sqlite() -> bool:
    """On SQLite, no table holds a row (as the app fixture leaves it), but the cache
    counters: fixture data built now may be kept as a snapshot and copied back later."""
    if _db.engine.dialect.name != "sqlite":
        return False
    names = [t.name for t in _db.metadata.sorted_tables if t.name != "cache_versions"]
    probe = " UNION ALL ".join(f'SELECT 1 FROM (SELECT 1 FROM "{n}" LIMIT 1)' for n in names)  # noqa: S608
    return _db.session.execute(sa.text(probe)).first() is None


def copy_database() -> sqlite3.Connection:
    """An in-memory copy of the test database as it is now (committed first)."""
    kept = sqlite3.connect(":memory:", check_same_thread=False)
    _db.session.commit()
    raw = _db.engine.raw_connection()
    try:
        raw.driver_connection.backup(kept)
    finally:
        raw.close()
    return kept


T = TypeVar("T")

# Per test process: {(name, database url): (the database as built, what build returned,
# the factory's steps while building)}.
_BUILT: dict[tuple[str, str], tuple[sqlite3.Connection, Any, int]] = {}


def built_once(name: str, build: Callable[[], T], factory: Any = None) -> T:
    """build() on the empty test database, once per test process: on SQLite its rows are
    kept, and a later call on an empty database copies them back (the same rows and ids,
    in milliseconds) and returns a copy of what build returned the first time. So build
    returns plain data (ids, not ORM objects); the factory's counter moves on as if it
    had built again (its names stay unique)."""
    key = (name, str(_db.engine.url))
    empty = is_empty_sqlite()
    if empty and key in _BUILT:
        snapshot, result, steps = _BUILT[key]
        restore_database(snapshot)
        if factory is not None:
            factory.n += steps
        return copy.deepcopy(result)
    n_before = factory.n if factory is not None else 0
    result = build()
    if empty:
        steps = factory.n - n_before if factory is not None else 0
        _BUILT[key] = (copy_database(), copy.deepcopy(result), steps)
    return result


def restore_database(snapshot: sqlite3.Connection) -> None:
    """Copy a snapshot back over the test database: the same rows and ids, in
    milliseconds. The session's objects are expired (they are re-read)."""
    session = _db.session
    session.commit()
    raw = _db.engine.raw_connection()
    try:
        snapshot.backup(raw.driver_connection)
    finally:
        raw.close()
    session.expire_all()


# --- community ----------------------------------------------------------------------


def make_challenge(db, creator, **kw):
    """A running water challenge (yesterday .. +10 days) unless told otherwise."""
    from greenapp.services import challenges as svc

    data = svc.ChallengeInput(
        title=kw.get("title", "Save water in November"),
        description=kw.get("description", "Turn off the tap."),
        category=kw.get("category", "water"),
        target=str(kw.get("target", "300")),
        start_date=kw.get("start_date", date.today() - timedelta(days=5)),
        end_date=kw.get("end_date", date.today() + timedelta(days=10)),
        audience=kw.get("audience", "both"),
        evidence_required=kw.get("evidence_required", False),
        fraction=kw.get("fraction", ""),
    )
    challenge = svc.create_challenge(creator, data)
    db.session.commit()
    return challenge


# --- XSS ----------------------------------------------------------------------------
# Fill every form of the app with XSS payloads, then crawl every page for live markup.
#
# Generic on purpose: forms are read from the rendered HTML of every route that has both
# GET and POST (so a form added by any feature is covered the day it lands); text fields
# get a payload, other fields a plausible value; a field refused by validation is
# refilled with a plain value and the form sent again, so the payloads in the *other*
# fields get stored. Works with CSRF on (the hidden token is sent back like a browser).

# Each payload is dangerous only if it reaches the page as markup; the checks below
# look for the live form of each.
PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    '</textarea><script>alert("xss-4")</script>',
    '</script><script>alert("xss-5")</script>',
    '<a href="javascript:alert(\'xss-6\')">link</a> [md](javascript:alert("xss-6b"))',
    "<iframe src=\"javascript:alert('xss-7')\"></iframe>{{7*7}}xss-8",
    '<b onmouseover=alert("xss-9")>bold</b><style>body{display:none}</style>',
]
LIVE_MARKUP = [
    re.compile(r"<script>alert\(", re.I),
    re.compile(r"<img src=x onerror", re.I),
    re.compile(r"<svg onload", re.I),
    re.compile(r"<iframe src=\"javascript", re.I),
    re.compile(r"href=\"javascript:", re.I),
    re.compile(r"<b onmouseover", re.I),
    re.compile(r"<style>body\{display:none\}", re.I),
    re.compile(r"49xss-8"),
]
SKIP_FORMS = {"auth.login", "auth.password", "main.set_language"}
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def live_markup(html: str) -> list[str]:
    """The payload fragments that appear as live markup in a page (should be none)."""
    return [p.pattern for p in LIVE_MARKUP if p.search(html)]


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, hidden, number, date, email, ...
    value: str = ""
    options: list[str] = field(default_factory=list)
    decimal: bool = False


class _FormParser(HTMLParser):
    """The fields of the first POST form that is not the language/logout form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Field]] = []
        self.actions: list[str] = []
        self._form: dict[str, Field] | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.actions.append(a.get("action") or "")
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "radio":
                f = self._form.setdefault(name, Field(name, "radio"))
                f.options.append(a.get("value", ""))
            else:
                self._form[name] = Field(
                    name, kind, a.get("value") or "", decimal=a.get("inputmode") == "decimal"
                )
        elif tag == "textarea" and name:
            self._textarea = self._form[name] = Field(name, "textarea")
        elif tag == "select" and name:
            self._select = self._form[name] = Field(name, "select")
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


# A page's forms, cut out before parsing: the parser reads only these (a page of
# entries full of payloads is many times the size of its forms). Forms do not nest.
_FORMS = re.compile(r"<form\b.*?</form\s*>", re.S | re.I)


def _parsed_forms(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed("\n".join(_FORMS.findall(html)))
    return parser


def main_form(html: str) -> dict[str, Field] | None:
    """The page's main form: the POST form with the most fields (not the header's)."""
    parser = _parsed_forms(html)
    forms = [f for f in parser.forms if "language" not in f and len(f) > 1]
    return max(forms, key=len) if forms else None


_emails = itertools.count(1)


def fill_form(fields: dict[str, Field], payload: str, plain: set[str]) -> dict[str, str]:
    """Form data: payloads in text fields, plausible values elsewhere."""
    data: dict[str, str] = {}
    for f in fields.values():
        if f.kind in ("hidden", "submit", "button"):
            data[f.name] = f.value
        elif f.kind == "checkbox":
            continue
        elif f.kind in ("select", "radio"):
            opts = [o for o in f.options if o]
            data[f.name] = opts[0] if opts else ""
        elif f.kind == "email":
            data[f.name] = f"xss{next(_emails)}@example.org"
        elif f.kind == "password":
            data[f.name] = "a-long-enough-password"
        elif f.kind == "date":
            data[f.name] = YESTERDAY
        elif f.name in plain and any(w in f.name for w in ("path", "url", "link")):
            data[f.name] = "/dashboards/public"  # a local link, as such fields demand
        elif f.kind == "number" or f.decimal or f.name in plain:
            data[f.name] = "5"
        else:
            data[f.name] = payload
    return data


def errored_fields(html: str) -> set[str]:
    """Names of the fields a re-rendered form marks with an error."""
    found = set(re.findall(r'class="field[^"]*has-error[^"]*" id="field-([\w-]+)"', html))
    found |= set(re.findall(r'class="field field-radio[^"]*has-error[^"]*" id="([\w-]+)"', html))
    found |= set(
        re.findall(
            r'class="field field-check[^"]*has-error[^"]*">\s*<label><input[^>]*name="([\w-]+)"',
            html,
        )
    )
    return {n for n in found if n}


# Every role, in the order the route walks try them (the one first let in is a route's
# main visitor).
ROLES_BY_PREFERENCE = ("coordinator", "resident", "admin", "scientist", "economist", "lawyer")


def roles_let_in(app: Flask, endpoint: str) -> list[str]:
    """Who the route's declared access rule lets in ("anonymous" and roles); [] for a
    route that declares none (it answers 403 to everybody)."""
    declared = access_rule(app.view_functions[endpoint])
    if declared == PUBLIC:
        return ["anonymous", *ROLES_BY_PREFERENCE]
    if declared == SIGNED_IN:
        return list(ROLES_BY_PREFERENCE)
    return [r for r in ROLES_BY_PREFERENCE if r in (declared or ())]


def role_for(rule) -> str | None:
    """A role the access rule lets in (None = anonymous is fine)."""
    if rule == PUBLIC:
        return None
    if rule == SIGNED_IN:
        return "resident"
    return rule[0]


def row_id(name: str) -> object:
    stem = name.removesuffix("_id")
    for table in _db.metadata.sorted_tables:
        if table.name in (stem, stem + "s", stem + "es") and "id" in table.c:
            found = _db.session.scalar(sa.select(sa.func.max(table.c.id)))
            if found is not None:
                return found
    return 1


def url_for_rule(app: Flask, rule, overrides: dict | None = None) -> str:
    args = {}
    for arg in rule.arguments:
        is_int = isinstance(rule._converters[arg], IntegerConverter)
        if overrides and arg in overrides:
            args[arg] = overrides[arg]
        else:
            args[arg] = row_id(arg) if is_int else "x"
    with app.test_request_context():
        return app.url_for(rule.endpoint, **args)


@dataclass
class SeedReport:
    forms: dict[str, int] = field(default_factory=dict)  # endpoint -> payloads stored
    submissions: int = 0
    leaks: list[str] = field(default_factory=list)


def seed_payloads(app: Flask, users: dict[str, User], overrides: dict) -> SeedReport:
    """Submit every GET+POST form of the app once per payload, as a role it allows."""
    report = SeedReport()
    rules = [
        r
        for r in app.url_map.iter_rules()
        if {"GET", "POST"} <= (r.methods or set()) and r.endpoint not in SKIP_FORMS
    ]
    rules.sort(key=lambda r: (len(r.arguments), r.rule))  # "new" forms before "edit" forms
    for rule in rules:
        declared = access_rule(app.view_functions[rule.endpoint])
        if declared is None:
            continue
        role = role_for(declared)
        for payload in PAYLOADS:
            client = signed_in_client(app, users.get(role) if role else None)
            path = url_for_rule(app, rule, overrides)
            page = client.get(path)
            if page.status_code != 200:
                break
            fields = main_form(page.get_data(as_text=True))
            if not fields:
                break
            plain: set[str] = set()
            for _attempt in range(4):
                resp = client.post(path, data=fill_form(fields, payload, plain))
                report.submissions += 1
                html = resp.get_data(as_text=True)
                leaks = live_markup(html)
                if leaks:
                    report.leaks.append(f"POST {path} echoed live markup: {leaks}")
                if resp.status_code != 200:
                    break
                wrong = errored_fields(html) - plain
                if not wrong:
                    break
                plain |= wrong
                fields = main_form(html) or fields
            if resp.status_code in (302, 303):
                report.forms[rule.endpoint] = report.forms.get(rule.endpoint, 0) + 1
    return report


@dataclass
class Crawl:
    pages: int = 0
    leaks: list[str] = field(default_factory=list)
    # who ("anonymous" or a role) -> path -> (status, mimetype, where it redirects)
    answers: dict[str, dict[str, tuple[int, str, str]]] = field(default_factory=dict)


def crawl(app: Flask, users: dict[str, User], overrides: dict, who: str) -> Crawl:
    """GET every page as `who` ("anonymous" or a role of `users`): the pages that show
    live markup (leaks) and what each one answered."""
    found = Crawl()
    answers = found.answers[who] = {}
    client = signed_in_client(app, None if who == "anonymous" else users[who])
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        path = url_for_rule(app, rule, overrides)
        resp = client.get(path)
        found.pages += 1
        where = (resp.headers.get("Location") or "").split("?")[0]
        answers[path] = (resp.status_code, resp.mimetype or "", where)
        if resp.mimetype == "text/html":
            live = live_markup(resp.get_data(as_text=True))
            if live:
                found.leaks.append(f"{who} GET {path}: {live}")
        resp.close()
    return found


def embedded_forms(html: str) -> list[tuple[str, dict[str, Field]]]:
    """POST forms with free text on a page whose action is another URL (reviews ...)."""
    parser = _parsed_forms(html)
    found = []
    for action, form in zip(parser.actions, parser.forms, strict=True):
        if (
            action
            and "language" not in form
            and any(f.kind in ("text", "textarea") for f in form.values())
        ):
            found.append((action, form))
    return found


_DOWNLOADS = (".csv", ".xlsx", ".js", ".json", ".webmanifest")


def seed_embedded(app: Flask, users: dict[str, User], overrides: dict, report: SeedReport) -> None:
    """Submit payloads through the POST-only forms shown on pages (e.g. a lawyer's review).

    Pages are looked for forms where the role is let in, and not in downloads or the
    API (a refusal or a file shows no form)."""
    for role, user in users.items():
        client = signed_in_client(app, user)
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or set()) or rule.arguments - {
                "log_id",
                "proposal_id",
                "challenge_id",
                "guide_id",
                "school_id",
            }:
                continue
            if role not in roles_let_in(app, rule.endpoint):
                continue
            if rule.endpoint.startswith("api_v1.") or rule.rule.endswith(_DOWNLOADS):
                continue
            page = client.get(url_for_rule(app, rule, overrides))
            if page.status_code != 200 or page.mimetype != "text/html":
                page.close()
                continue
            for action, form in embedded_forms(page.get_data(as_text=True)):
                target = app.url_map.bind("localhost").match(action, method="POST")[0]
                if {"GET", "POST"} <= next(
                    r.methods for r in app.url_map.iter_rules() if r.endpoint == target
                ):
                    continue  # a full form page, done by seed_payloads
                resp = client.post(action, data=fill_form(form, PAYLOADS[0], set()))
                report.submissions += 1
                leaks = live_markup(resp.get_data(as_text=True))
                if leaks:
                    report.leaks.append(f"{role} POST {action} echoed live markup: {leaks}")
                if resp.status_code in (302, 303):
                    key = f"{target} ({role})"
                    report.forms[key] = report.forms.get(key, 0) + 1


def meters_read(owner: object, days_back: int = 800) -> None:
    """Water and electricity meters read `days_back` days ago and tomorrow for a school
    (or a resident's household), so entries in between may be "metered" (log_rules)."""
    from greenapp.models.meters import Meter, MeterReading
    from greenapp.models.school import School

    school = owner if isinstance(owner, School) else None
    by = _db.session.scalar(sa.select(User.id).order_by(User.id)) if school else owner.id
    today = date.today()
    for kind, unit in (("water", "L"), ("electricity", "kWh")):
        meter = Meter(
            school_id=school.id if school else None,
            resident_id=None if school else owner.id,
            kind=kind,
            unit=unit,
            name=f"{kind} (test)",
            created_by_id=by,
        )
        _db.session.add(meter)
        _db.session.flush()
        for day, value in (
            (today - timedelta(days=days_back), 0),
            (today + timedelta(days=1), 10_000_000),
        ):
            _db.session.add(
                MeterReading(meter_id=meter.id, reading_date=day, value=value, created_by_id=by)
            )
    _db.session.commit()
