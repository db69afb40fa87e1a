"""The benchmark's baselines, served by gunicorn exactly like greenapp (2 sync workers).

- `bare`: a bare Flask app answering "hello" (what any Flask route costs at best);
- `insert`: bare Flask + Flask-SQLAlchemy, POST / inserts one row into a SQLite file
  with the same settings greenapp uses (WAL journal, busy_timeout, BEGIN IMMEDIATE for
  writes) and commits: what storing one record costs at best.

    BENCH_BARE_DB=/path/to.db gunicorn -w 2 'bench.bare_app:create("insert")'
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, Response, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the insert app."""


db = SQLAlchemy(model_class=Base)


class Entry(db.Model):
    """One stored row per POST."""

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str]
    quantity: Mapped[int]
    created_at: Mapped[datetime]


def create(kind: str = "bare") -> Flask:
    """The bare app ("bare") or the bare insert app ("insert")."""
    app = Flask(__name__)

    @app.route("/")
    def hello():
        return Response("hello", mimetype="text/plain")

    if kind == "insert":
        from greenapp.ops.sqlite import install

        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.environ['BENCH_BARE_DB']}"
        db.init_app(app)
        with app.app_context():
            install(db.engine)  # the same SQLite settings as greenapp
            try:
                db.create_all()
            except OperationalError:
                # Both workers boot at once: the other one created the table first
                # (without this, gunicorn stopped when the loser failed to boot).
                db.session.rollback()

        @app.route("/", methods=["POST"])
        def insert():
            db.session.add(
                Entry(
                    note=request.form.get("note", ""),
                    quantity=int(request.form.get("quantity", "0")),
                    created_at=datetime.now(UTC),
                )
            )
            db.session.commit()
            return Response("", status=302, headers={"Location": "/"})

    return app
