"""Shared column types and mixins for the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    select,
)
from sqlalchemy.orm import (
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
    scoped_session,
)
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
AnySession = Session | scoped_session[Any]  # a session, or Flask-SQLAlchemy's db.session


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class ScaledDecimal(TypeDecorator):
    """An exact Decimal stored as a scaled integer (e.g. scale 3: 1.5 -> 1500).

    SQLite has no exact decimal type, so storing integers keeps quantities exact on
    both SQLite and PostgreSQL and lets SQL SUM() them without rounding.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 3) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Decimal | int | None, dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)


class AwareDateTime(TypeDecorator):
    """A UTC timestamp that comes back timezone-aware on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    """created_at / updated_at columns maintained by SQLAlchemy."""

    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)


@cache
def _insert_of(table: Table) -> tuple[Insert, tuple[Column, ...]]:
    """The table's INSERT and the columns it fills in when not given: a Python-side
    default's value, else NULL (a nullable column without any default), built once."""
    defaulted = tuple(
        c
        for c in table.c
        if not c.primary_key
        and (c.default is not None or (c.nullable and c.server_default is None))
    )
    return insert(table), defaulted


def insert_one(session: AnySession, model: type[T], values: dict[str, Any]) -> T:
    """INSERT one row with a Core statement; return it as a persistent object of the
    session, without the unit of work's flush (what a single busy insert pays most for).

    The model's Python-side column defaults (or NULL) are filled in here, so the object
    holds every value its row was stored with: reading one later costs no query.
    Relationships and server-side defaults load on first use.
    """
    table: Table = model.__table__  # type: ignore[attr-defined]
    stmt, defaulted = _insert_of(table)
    row = dict(values)
    for column in defaulted:
        if column.key not in row:
            default: Any = column.default
            if default is None:
                row[column.key] = None
            else:
                row[column.key] = default.arg(None) if default.is_callable else default.arg
    result = session.connection().execute(stmt, row)  # no ORM execution layer
    mapper: Any = model.__mapper__  # type: ignore[attr-defined]
    key: Any = result.inserted_primary_key  # one value per primary key column
    for column, value in zip(table.primary_key.columns, key, strict=True):
        row[column.key] = value
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(row)  # a fresh instance has no history: these are its loaded values
    make_transient_to_detached(obj)
    # An object the session still holds under this key stands for a row that no longer
    # exists (deleted, its id given out again after a sequence restart, as a test's wipe
    # does): the new row replaces it, as the unit of work's flush replaces it.
    stale = session.identity_map.get(mapper.identity_key_from_primary_key(tuple(key)))
    if stale is not None:
        session.expunge(stale)
    session.add(obj)
    return obj


@cache
def _row_of(mapper: Any) -> Select:
    """SELECT every column attribute of a single-key model by its key, built once."""
    (key,) = mapper.primary_key
    columns = [attr.columns[0].label(attr.key) for attr in mapper.column_attrs]
    return select(*columns).where(key == bindparam("pk"))


def load_one(session: AnySession, model: type[T], pk: int) -> T | None:
    """The object with this primary key: the session's own copy if it holds one, else
    its row read by one Core SELECT and made a persistent object of the session.

    What `session.get` does, for the hot paths that read one row per request (a
    coordinator's school on every saved entry): the ORM's loading machinery costs
    several times the query. Relationships load on first use, as after `get`.
    """
    mapper: Any = model.__mapper__  # type: ignore[attr-defined]
    known = session.identity_map.get(mapper.identity_key_from_primary_key((pk,)))
    if known is not None:
        return known
    row = session.connection().execute(_row_of(mapper), {"pk": pk}).first()
    if row is None:
        return None
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(row._mapping)  # a fresh instance: these are its loaded values
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
