"""The summaries: exact sums kept in step with every log change, in its transaction.

One mechanism keeps all three, here in Python, by the same atomic upsert (INSERT ... ON
CONFLICT DO UPDATE adding to the sums, the same SQL on SQLite and PostgreSQL), one per
summary key; no database trigger (migration 0009_hw_rollups_in_pipeline dropped them):

- daily_summaries: per owner, day, category, fraction, evidence;
- monthly_summaries: the same per month (month = its first day), what the dashboards
  read for whole months;
- programme_rollup: every school's logs per month, city, country, category, fraction
  and evidence (a few thousand rows for the whole programme).

A key whose last counted entry left is dropped (no row with log_count 0 stays).
Set-based writers (services/bulk_write.py) run the same upserts as executemany.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache as cache_statement
from typing import Any

from sqlalchemy import Date, Table, TextClause, bindparam, cast, delete, func, insert, select, text

from greenapp.extensions import db
from greenapp.models.cache import ProgrammeRollup
from greenapp.models.impact import MonthlySummary
from greenapp.models.log import OWNER_SCHOOL, REVIEW_REJECTED, DailySummary, EcoLog
from greenapp.models.school import School
from greenapp.services import cache

KEY = ("owner_type", "owner_id", "day", "category", "fraction", "evidence")
MONTH_KEY = ("owner_type", "owner_id", "month", "category", "fraction", "evidence")
PROGRAMME_KEY = ("month", "city", "country", "category", "fraction", "evidence")


def _key(log: EcoLog) -> dict:
    return {
        "owner_type": log.owner_type,
        "owner_id": log.owner_id,
        "day": log.action_date,
        "category": log.category,
        "fraction": log.fraction or "",
        "evidence": log.evidence,
    }


@cache_statement
def _upsert_stmt(table: Table, columns: tuple[str, ...], returning: bool = False) -> TextClause:
    """INSERT ... ON CONFLICT DO UPDATE adding to the sums (the same SQL on SQLite and
    PostgreSQL), built once per table: every write runs one per summary. `returning`
    adds RETURNING log_count (the row's count after the change: 0 means drop it)."""
    # Table and column names come from our models, values are bound parameters.
    names = ", ".join((*columns, "quantity", "log_count"))
    values = ", ".join(f":{c}" for c in (*columns, "quantity", "log_count"))
    t = table.name
    sql = f"INSERT INTO {t} ({names}) VALUES ({values}) ON CONFLICT ({', '.join(columns)}) DO UPDATE SET quantity = {t}.quantity + excluded.quantity, log_count = {t}.log_count + excluded.log_count"  # noqa: S608, E501  # nosec B608
    if returning:
        sql += f" RETURNING {t}.log_count"
    return text(sql).bindparams(
        *(bindparam(c, type_=table.c[c].type) for c in (*columns, "quantity", "log_count"))
    )


@cache_statement
def _programme_add_stmt(postgresql: bool) -> TextClause:
    """The programme rollup's upsert for an entry that starts to count, reading its
    school's place (city, country) in the same statement: as stored now, under FOR KEY
    SHARE on PostgreSQL (see `_programme_key`); on SQLite under the write lock."""
    t = ProgrammeRollup.__table__
    rest = ("category", "fraction", "evidence", "quantity", "log_count")
    names = ", ".join(("month", "city", "country", *rest))
    lock = " FOR KEY SHARE" if postgresql else ""
    sums = ", ".join(f"{c} = {t.name}.{c} + excluded.{c}" for c in ("quantity", "log_count"))
    # Table and column names come from our models, values are bound parameters.
    sql = f"INSERT INTO {t.name} ({names}) SELECT :month, s.city_id, s.country, {', '.join(f':{c}' for c in rest)} FROM {School.__tablename__} s WHERE s.id = :school_id{lock} ON CONFLICT ({', '.join(PROGRAMME_KEY)}) DO UPDATE SET {sums}"  # noqa: S608, E501  # nosec B608
    return text(sql).bindparams(
        bindparam("school_id", type_=School.__table__.c.id.type),
        *(bindparam(c, type_=t.c[c].type) for c in ("month", *rest)),
    )


def _upsert(model, key: dict, quantity: Decimal, count: int) -> None:
    """Add quantity and count to model's row for key (atomic upsert); drop it at 0.

    Taking out (count < 0) reads the row's new count back from the upsert itself
    (RETURNING) and deletes the row only when nothing is left in it. The statements
    run on the session's connection (plain SQL: the ORM's execution layer cost more
    than the upsert itself on every saved entry); they read nothing the session may
    hold unwritten."""
    connection = db.session.connection()
    if count >= 0:
        stmt = _upsert_stmt(model.__table__, tuple(key))
        connection.execute(stmt, {**key, "quantity": quantity, "log_count": count})
        return
    stmt = _upsert_stmt(model.__table__, tuple(key), returning=True)
    left = connection.execute(stmt, {**key, "quantity": quantity, "log_count": count}).scalar()
    if left is not None and left <= 0:
        db.session.execute(
            delete(model).where(
                *(getattr(model, k) == v for k, v in key.items()),
                model.log_count <= 0,
            )
        )


def apply(key: dict, quantity: Decimal, count: int) -> None:
    """Add quantity and count to every summary the key falls under (atomic upserts):
    the daily summary, the monthly rollup and, for a school, the programme rollup."""
    _upsert(DailySummary, key, quantity, count)
    _upsert(MonthlySummary, month_key(key), quantity, count)
    if key["owner_type"] != OWNER_SCHOOL:
        return
    if count >= 0:  # one statement: the school's place is read by the upsert itself
        connection = db.session.connection()
        stmt = _programme_add_stmt(connection.dialect.name == "postgresql")
        values = {k: key[k] for k in ("category", "fraction", "evidence")}
        month = key["day"].replace(day=1)
        connection.execute(
            stmt,
            {
                **values,
                "month": month,
                "school_id": key["owner_id"],
                "quantity": quantity,
                "log_count": count,
            },
        )
        return
    _upsert(ProgrammeRollup, _programme_key(key), quantity, count)


def month_key(key: dict) -> dict:
    """The monthly rollup's key for a daily summary key (month = its first day)."""
    return {
        "owner_type": key["owner_type"],
        "owner_id": key["owner_id"],
        "month": key["day"].replace(day=1),
        "category": key["category"],
        "fraction": key["fraction"],
        "evidence": key["evidence"],
    }


def _programme_key(key: dict) -> dict:
    # The school's place as stored now, not the session's copy (read before the write
    # lock, it may predate an admin's move), under FOR KEY SHARE: an admin moving the
    # school (`services/schools.py`, FOR UPDATE) waits until this write commits and
    # then moves its sums too; a write after the move waits and reads the new place.
    stmt = (
        select(School.city_id, School.country)
        .where(School.id == key["owner_id"])
        .with_for_update(key_share=True)
    )
    city, country = db.session.connection().execute(stmt).one()
    return {
        "month": key["day"].replace(day=1),
        "city": city,
        "country": country,
        "category": key["category"],
        "fraction": key["fraction"],
        "evidence": key["evidence"],
    }


def add_log(log: EcoLog) -> None:
    """Count a log in the summaries (call when it starts to count)."""
    apply(_key(log), log.quantity, 1)


def remove_state(key: dict, quantity: Decimal) -> None:
    """Take a previously counted state of a log out of the summaries."""
    apply(key, -quantity, -1)


def key_of(log: EcoLog) -> dict:
    """Return the summary key a log currently falls under."""
    return _key(log)


def recompute_rows() -> list[tuple]:
    """Recompute the whole summary from the logs (for checks and repair)."""
    rows: list[tuple] = []
    for column, kind in ((EcoLog.school_id, "school"), (EcoLog.resident_id, "resident")):
        stmt = (
            select(
                column,
                EcoLog.action_date,
                EcoLog.category,
                EcoLog.fraction,
                EcoLog.evidence,
                func.sum(EcoLog.quantity),
                func.count(),
            )
            .where(
                column.is_not(None),
                EcoLog.deleted_at.is_(None),
                EcoLog.review_status != REVIEW_REJECTED,
            )
            .group_by(
                column,
                EcoLog.action_date,
                EcoLog.category,
                EcoLog.fraction,
                EcoLog.evidence,
            )
        )
        for owner_id, day, cat, frac, ev, qty, n in db.session.execute(stmt):
            rows.append((kind, owner_id, day, cat, frac or "", ev, Decimal(qty), n))
    return sorted(rows)


def stored_rows() -> list[tuple]:
    """Return the stored summary rows in the same shape as recompute_rows()."""
    stmt = select(DailySummary)
    return sorted(
        (
            s.owner_type,
            s.owner_id,
            s.day,
            s.category,
            s.fraction,
            s.evidence,
            s.quantity,
            s.log_count,
        )
        for s in db.session.scalars(stmt)
        if s.log_count
    )


def programme_rows() -> list[tuple]:
    """The stored programme rollup, sorted (for checks)."""
    r = ProgrammeRollup
    stmt = select(
        r.month, r.city, r.country, r.category, r.fraction, r.evidence, r.quantity, r.log_count
    ).where(r.log_count > 0)
    return sorted(tuple(row) for row in db.session.execute(stmt))


def move_school(school_id: int, old: tuple[int | None, str], new: tuple[int | None, str]) -> None:
    """Move a school's sums in the programme rollup from its old (city, country) to
    its new one (after an admin changed them), month by month."""
    m = MonthlySummary
    stmt = select(m.month, m.category, m.fraction, m.evidence, m.quantity, m.log_count).where(
        m.owner_type == OWNER_SCHOOL, m.owner_id == school_id
    )
    for month, cat, frac, ev, qty, n in db.session.execute(stmt).all():
        for (city, country), sign in ((old, -1), (new, 1)):
            key = {
                "month": month,
                "city": city,
                "country": country,
                "category": cat,
                "fraction": frac,
                "evidence": ev,
            }
            _upsert(ProgrammeRollup, key, sign * qty, sign * n)


def _month_of(day: Any) -> Any:
    """SQL for the first day of a date's month (a Date on both databases)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.strftime("%Y-%m-01", day)


def rebuild_monthly() -> None:
    """Recompute the monthly rollup from the daily summary in one SQL statement."""
    d = DailySummary
    month = _month_of(d.day)
    rows = select(
        d.owner_type,
        d.owner_id,
        month,
        d.category,
        d.fraction,
        d.evidence,
        func.sum(d.quantity),
        func.sum(d.log_count),
    ).group_by(d.owner_type, d.owner_id, month, d.category, d.fraction, d.evidence)
    db.session.execute(delete(MonthlySummary))
    db.session.execute(
        insert(MonthlySummary).from_select([*MONTH_KEY, "quantity", "log_count"], rows)
    )


def rebuild_programme() -> None:
    """Recompute the programme rollup from the daily summary in one SQL statement
    (after a school moves city or country, or a full rebuild)."""
    d = DailySummary
    month = _month_of(d.day)
    rows = (
        select(
            month,
            School.city_id,
            School.country,
            d.category,
            d.fraction,
            d.evidence,
            func.sum(d.quantity),
            func.sum(d.log_count),
        )
        .join(School, School.id == d.owner_id)
        .where(d.owner_type == OWNER_SCHOOL)
        .group_by(month, School.city_id, School.country, d.category, d.fraction, d.evidence)
    )
    db.session.execute(delete(ProgrammeRollup))
    db.session.execute(
        insert(ProgrammeRollup).from_select(
            [*PROGRAMME_KEY, "quantity", "log_count"],
            rows,
        )
    )


def rebuild() -> int:
    """Replace the summaries (daily, monthly, programme) with a recomputation from the
    logs; return the number of daily rows."""
    db.session.execute(delete(DailySummary))
    rows = recompute_rows()
    for kind, owner_id, day, cat, frac, ev, qty, n in rows:
        db.session.add(
            DailySummary(
                owner_type=kind,
                owner_id=owner_id,
                day=day,
                category=cat,
                fraction=frac,
                evidence=ev,
                quantity=qty,
                log_count=n,
            )
        )
    db.session.flush()
    rebuild_monthly()
    rebuild_programme()
    cache.invalidate_everything()
    return len(rows)
