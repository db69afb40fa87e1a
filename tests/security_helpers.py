"""Helpers shared by the security tests: routes from the URL map, fast sign-in, DB digest."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from greenapp.extensions import db as _db
from greenapp.models.user import User

SKIP_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask, method: str) -> list[tuple[str, str]]:
    """(rule, endpoint) of every non-static route that accepts this method."""
    return sorted(
        (r.rule, r.endpoint) for r in app.url_map.iter_rules()
        if r.endpoint != "static" and not r.endpoint.endswith(".static")
        and method in (r.methods or set())
    )


def fill(app: Flask, rule: str, values: dict[str, object]) -> str:
    """Build a URL for a rule: int parameters from `values` (default 1), others 'x'."""
    r = next(x for x in app.url_map.iter_rules() if x.rule == rule)
    args = {}
    for arg in r.arguments:
        is_int = isinstance(r._converters[arg], IntegerConverter)  # also the bounded one
        args[arg] = values.get(arg, 1) if is_int else "x"
    with app.test_request_context():
        return app.url_for(r.endpoint, **args)


def signed_in_client(app: Flask, user: User | None) -> FlaskClient:
    """A test client whose session already carries the user's token (no login POST)."""
    client = app.test_client()
    if user is not None:
        _db.session.refresh(user)
        with client.session_transaction() as sess:
            sess["_user_id"] = user.session_token
            sess["_fresh"] = True
    return client


def dispose(app: Flask) -> None:
    """Close a second app's database connections (PostgreSQL warns about leaked ones)."""
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


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
