"""The write pipeline for many entries at once (spreadsheet import), set-based.

The same steps and rules as the one-entry pipeline (services/pipeline.py), run once per
batch instead of once per entry:

    validate -> store -> summaries -> audit -> quality -> challenges
             -> notifications -> invalidate

- validate: the caller has checked every row with log_rules.validate (the form's rules,
  in Python, with no query per row: services/imports.py preloads the keys it compares);
- store: every entry in one executemany INSERT (RETURNING the new ids, in order);
- summaries: the new entries grouped by summary key in SQL, then one executemany of the
  same atomic upsert the one-entry path runs, per summary (daily summary; monthly rollup;
  the programme rollup by month, city and country);
- audit: one 'create' record per entry, as the form writes it, in one executemany;
- quality: the form's rule (services/quality.py: more than FACTOR x the median of the
  owner's latest LATEST counted entries in the category over the WINDOW_DAYS up to its
  date, with at least MIN_PRIOR of them), computed for the whole batch from one read of
  the school's entries in that window, in date order; flagged entries are updated and
  audited together;
- challenges and notifications: once for the school, after all its entries are in;
- invalidate: the school's and the programme's cache scopes, once, as the last write.

Undo (`delete_batch`) takes the batch's entries out of the summaries by the same grouped
upsert with negative sums, soft-deletes them in one UPDATE and audits each deletion.

Nothing here commits: the caller's transaction makes a batch all or nothing.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update

from greenapp.extensions import db
from greenapp.models.audit import AuditRecord
from greenapp.models.base import utcnow
from greenapp.models.cache import ProgrammeRollup
from greenapp.models.impact import MonthlySummary
from greenapp.models.log import (
    OWNER_SCHOOL,
    REVIEW_FLAGGED,
    REVIEW_OK,
    REVIEW_REJECTED,
    DailySummary,
    EcoLog,
)
from greenapp.models.school import School
from greenapp.models.user import User
from greenapp.services import audit, cache, challenges, quality, summary
from greenapp.services.log_rules import AUDITED_FIELDS

CHUNK = 5_000  # ids per IN (...) list: under SQLite's bound-parameter limit


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk step: 100,000 rows allocate
    millions of small, acyclic objects, and each collection would rescan all of them
    (a third of the commit's time). Reference counting still frees them; the collector
    resumes (and runs later) when the step ends, even on an error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bound_rows(
    table: Table, varying: dict[str, list[Any]], same: dict[str, Any]
) -> tuple[list[str], list[tuple]]:
    """Rows as the driver takes them, built column by column: each column's own bind
    conversion (scaled decimals, dates, UTC timestamps, JSON ...) mapped over its values
    once, the values every row shares converted once. Returns (column names, rows)."""
    dialect = db.session.get_bind().dialect

    def bind(name: str) -> Callable[[Any], Any] | None:
        return table.c[name].type._cached_bind_processor(dialect)

    columns: list[Iterable[Any]] = []
    count = len(next(iter(varying.values()))) if varying else 0
    for name, values in varying.items():
        proc = bind(name)
        columns.append(list(map(proc, values)) if proc is not None else values)
    for name, value in same.items():
        proc = bind(name)
        columns.append(repeat(proc(value) if proc is not None else value, count))
    return [*varying, *same], list(zip(*columns, strict=False))


def executemany(table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT the bound rows with the driver's executemany, in the session's transaction."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    # Table and column names come from our models; values are bound parameters.
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608  # nosec B608
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    db.session.connection().exec_driver_sql(sql, rows)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def create_logs(
    actor: User, school: School, rows: Sequence[tuple[dict, str]], batch_id: int | None = None
) -> list[int]:
    """Store validated entries for a school as one set; return their ids in row order.

    `rows` are (values from log_rules.validate, external reference or "") pairs. The
    caller checked the actor's right to write for the school.
    """
    if not rows:
        return []
    now = utcnow()
    same = {
        "school_id": school.id,
        "resident_id": None,
        "created_by_id": actor.id,
        "version": 1,
        "deleted_at": None,
        "deleted_by_id": None,
        "review_status": REVIEW_OK,
        "review_reason": "",
        "reviewed_by_id": None,
        "reviewed_at": None,
        "import_batch_id": batch_id,
        "created_at": now,
        "updated_at": now,
    }
    table = EcoLog.__table__
    if batch_id is not None:
        # One plain executemany (the driver's fastest path); the batch's rows read back
        # in id order are the rows in parameter order (one statement, one sequence).
        varying = {name: [values[name] for values, _ref in rows] for name in CHECKED}
        varying["external_ref"] = [ref or None for _values, ref in rows]
        executemany(table, *bound_rows(table, varying, same))
        ids = list(
            db.session.scalars(
                select(EcoLog.id).where(EcoLog.import_batch_id == batch_id).order_by(EcoLog.id)
            )
        )
    else:
        params = [{**values, **same, "external_ref": ref or None} for values, ref in rows]
        ids = list(
            db.session.scalars(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), params
            )
        )
    if batch_id is not None:
        add_to_summaries(school, EcoLog.import_batch_id == batch_id, sign=1)
    else:
        for part in _chunks(ids):
            add_to_summaries(school, EcoLog.id.in_(part), sign=1)
    _audit(
        actor,
        "create",
        [(log_id, _created(values)) for log_id, (values, _ref) in zip(ids, rows, strict=True)],
        now,
    )
    flagged = flag_implausible(school, ids, [values for values, _ref in rows])
    if len(flagged) < len(ids):  # badges wait for a scientist on flagged entries
        awarded = challenges.award_new_badges(OWNER_SCHOOL, school.id)
        challenges.notify_badges(OWNER_SCHOOL, school.id, awarded)
    cache.invalidate([cache.school_scope(school.id), cache.PROGRAMME])
    return ids


def delete_batch(actor: User, school: School, batch_id: int) -> int:
    """Soft-delete every live entry of an import batch together; return how many."""
    live = (EcoLog.import_batch_id == batch_id, EcoLog.deleted_at.is_(None))
    ids = list(
        db.session.scalars(select(EcoLog.id).where(*live).order_by(EcoLog.id).with_for_update())
    )
    if not ids:
        return 0
    add_to_summaries(school, EcoLog.import_batch_id == batch_id, sign=-1)
    now = utcnow()
    db.session.execute(
        update(EcoLog)
        .where(*live)
        .values(deleted_at=now, deleted_by_id=actor.id, version=EcoLog.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    _audit(actor, "delete", [(log_id, {"deleted": [False, True]}) for log_id in ids], now)
    cache.invalidate([cache.school_scope(school.id), cache.PROGRAMME])
    return len(ids)


def add_to_summaries(school: School, which: Any, sign: int) -> None:
    """Add (sign=1) or take out (sign=-1) the counted entries `which` selects, grouped in
    SQL by summary key, with the one-entry path's atomic upserts (one executemany each)."""
    e = EcoLog
    groups = db.session.execute(
        select(
            e.action_date, e.category, e.fraction, e.evidence, func.sum(e.quantity), func.count()
        )
        .where(
            which,
            e.school_id == school.id,
            e.deleted_at.is_(None),
            e.review_status != REVIEW_REJECTED,
        )
        .group_by(e.action_date, e.category, e.fraction, e.evidence)
    ).all()
    if not groups:
        return
    daily = [
        {
            "owner_type": OWNER_SCHOOL,
            "owner_id": school.id,
            "day": day,
            "category": cat,
            "fraction": frac or "",
            "evidence": ev,
            "quantity": sign * Decimal(qty),
            "log_count": sign * n,
        }
        for day, cat, frac, ev, qty, n in groups
    ]
    db.session.execute(summary._upsert_stmt(DailySummary.__table__, summary.KEY), daily)
    months: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    for row in daily:
        key = (row["day"].replace(day=1), row["category"], row["fraction"], row["evidence"])
        months[key][0] += row["quantity"]
        months[key][1] += row["log_count"]
    # One row per month key, for the school's monthly rollup and the programme rollup.
    month_rows = [
        {"month": m, "category": c, "fraction": f, "evidence": ev, "quantity": q, "log_count": n}
        for (m, c, f, ev), (q, n) in months.items()
    ]
    monthly = [{"owner_type": OWNER_SCHOOL, "owner_id": school.id, **r} for r in month_rows]
    db.session.execute(summary._upsert_stmt(MonthlySummary.__table__, summary.MONTH_KEY), monthly)
    programme = [{"city": school.city_id, "country": school.country, **r} for r in month_rows]
    db.session.execute(
        summary._upsert_stmt(ProgrammeRollup.__table__, summary.PROGRAMME_KEY), programme
    )
    if sign < 0:  # as summary._upsert does: a key whose last entry left is dropped
        for model in (DailySummary, MonthlySummary):
            db.session.execute(
                delete(model).where(
                    model.owner_type == OWNER_SCHOOL,
                    model.owner_id == school.id,
                    model.log_count <= 0,
                )
            )
        db.session.execute(
            delete(ProgrammeRollup).where(
                ProgrammeRollup.city == school.city_id,
                ProgrammeRollup.country == school.country,
                ProgrammeRollup.log_count <= 0,
            )
        )


# What log_rules.validate returns for an entry (the columns that differ row by row).
CHECKED = (
    "category",
    "fraction",
    "quantity_entered",
    "unit_entered",
    "quantity",
    "action_date",
    "evidence",
    "note",
)


def _created(values: dict) -> dict:
    """The audit changes of a new entry, as pipeline.create_log records them."""
    plain = audit._plain
    return {
        f: [None, v if type(v) is str else plain(v)] for f in AUDITED_FIELDS for v in (values[f],)
    }


def _audit(actor: User | None, action: str, changes: list[tuple[int, dict]], at) -> None:
    if not changes:
        return
    table = AuditRecord.__table__
    actor_id = actor.id if actor is not None else None
    executemany(
        table,
        *bound_rows(
            table,
            {
                "entity_id": [log_id for log_id, _c in changes],
                "changes": [change for _id, change in changes],
            },
            {"entity_type": "log", "action": action, "actor_id": actor_id, "at": at},
        ),
    )


def flag_implausible(school: School, ids: Sequence[int], values: Sequence[dict]) -> list[int]:
    """The data-quality rule for a whole batch: flag (and audit) every new entry far
    above the school's usual value; return the flagged ids.

    Peers are read once (the school's counted entries in the batch's categories, from
    WINDOW_DAYS before its first date to its last) and swept in date order with a sorted
    window, so each entry is compared with exactly the entries quality.usual_value would
    count for it: same category, dated in the WINDOW_DAYS up to its date, itself excluded,
    the latest quality.LATEST of them.
    """
    if not ids:
        return []
    mine: dict[str, dict] = defaultdict(dict)  # category -> {id: (day, quantity)}
    for log_id, v in zip(ids, values, strict=True):
        mine[v["category"]][log_id] = v["quantity"]
    days = [v["action_date"] for v in values]
    window = timedelta(days=quality.WINDOW_DAYS)
    e = EcoLog
    peers = db.session.execute(
        select(e.id, e.category, e.action_date, e.quantity)
        .where(
            e.school_id == school.id,
            e.deleted_at.is_(None),
            e.review_status != REVIEW_REJECTED,
            e.category.in_(list(mine)),
            e.action_date > min(days) - window,
            e.action_date <= max(days),
        )
        .order_by(e.category, e.action_date, e.quantity)
    ).all()
    by_category: dict[str, list] = defaultdict(list)
    for row in peers:
        by_category[row[1]].append(row)
    flagged: list[int] = []
    for category, rows in by_category.items():
        flagged += _sweep(rows, mine[category], window)
    if flagged:
        now = utcnow()
        for part in _chunks(flagged):
            db.session.execute(
                update(EcoLog)
                .where(EcoLog.id.in_(part))
                .values(
                    review_status=REVIEW_FLAGGED,
                    review_reason="",
                    reviewed_by_id=None,
                    reviewed_at=now,
                    version=EcoLog.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
        # As pipeline.flag_if_implausible: no stored text, an automatic flag.
        _audit(
            None,
            "review",
            [(i, {"review_status": [REVIEW_OK, REVIEW_FLAGGED]}) for i in flagged],
            now,
        )
    return flagged


def _sweep(rows: list, new: dict[int, Decimal], window: timedelta) -> list[int]:
    """Flag the new ids among one category's rows (sorted by date, then quantity) by the
    quality rule.

    An entry's peers are the rows dated in the window up to its day, itself left out,
    and of those the latest quality.LATEST (the last ones in this order: what the form's
    read takes walking its index backwards). Both ends of that stretch of rows only move
    forward, so one sorted list of its quantities is kept: rows[lo:end], where end is
    past the entry's day and lo = max(first row in the window, end - LATEST - 1). An
    entry inside the stretch leaves out itself. One before it (a busy day: the stretch
    holds only that day's larger quantities) is compared with the last LATEST rows, the
    stretch without its first row, which is then the stretch's smallest quantity and
    not below the entry's: leaving out "the entry's place in the sorted list" (the front)
    is the same."""
    flagged: list[int] = []
    sorted_q: list[Decimal] = []
    cap = quality.LATEST
    lo = end = 0
    i = 0
    while i < len(rows):
        day = rows[i][2]
        while end < len(rows) and rows[end][2] <= day:
            insort(sorted_q, rows[end][3])
            end += 1
        while lo < end and (rows[lo][2] <= day - window or end - lo > cap + 1):
            del sorted_q[bisect_left(sorted_q, rows[lo][3])]
            lo += 1
        n = len(sorted_q) - 1  # peers: the stretch without one row
        for row in rows[i:end]:
            if row[0] not in new or n < quality.MIN_PRIOR:
                continue
            qty = row[3]
            pos = bisect_left(sorted_q, qty)

            def kth(k: int, pos: int = pos) -> Decimal:
                return sorted_q[k] if k < pos else sorted_q[k + 1]

            median = kth(n // 2) if n % 2 else (kth(n // 2 - 1) + kth(n // 2)) / 2
            if qty > quality.FACTOR * median:
                flagged.append(row[0])
        i = end
    return flagged
