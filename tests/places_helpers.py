"""A database built by the real migrations, with old free-text data in between."""

from __future__ import annotations

import os
from collections.abc import Callable

import sqlalchemy as sa

from greenapp import create_app
from greenapp.extensions import db as _db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "migrations")


def migrated(url: str, before_h3: Callable[[sa.Connection], None] | None = None) -> sa.Engine:
    """Upgrade a fresh database to 0004_merge, run before_h3, then upgrade to heads."""
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0004_merge")
        if before_h3 is not None:
            with _db.engine.begin() as conn:
                before_h3(conn)
        upgrade(directory=MIGRATIONS, revision="heads")
        _db.engine.dispose()
    return sa.create_engine(url)
