"""Exact aggregates for dashboards, read from the summaries, never from raw logs.

Programme-wide groupings (no per-school key, no school filter) over whole months
come from `programme_rollup` (a few thousand rows for the whole programme, kept by
services/summary.py). Otherwise whole months inside a date range come from
`monthly_summaries` (kept in step with `daily_summaries` by the write pipeline, in
the same transaction: services/summary.py); the
partial months at the edges, and months split by a factor/tariff boundary, come from
`daily_summaries`. A range that ends today (or later) reads the current month whole:
no log can be dated after today in its school's time zone, so the sums are the same.
Every sum is an exact Decimal.

    scope = Scope(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
                  school_ids=(3,))
    aggregate(scope, ("period", "category"), grain="month")
    -> [{"period": date(2025, 1, 1), "category": "water", "quantity": Decimal(...),
         "log_count": 12}, ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, case, cast, false, func, literal, or_, select, union_all

from greenapp.extensions import db
from greenapp.models.cache import ProgrammeRollup
from greenapp.models.impact import MonthlySummary
from greenapp.models.log import OWNER_RESIDENT, OWNER_SCHOOL, DailySummary
from greenapp.models.place import City
from greenapp.models.school import School
from greenapp.models.user import User
from greenapp.services import cache
from greenapp.services.clock import today_in

GRAINS = ("month", "week")
KEYS = ("period", "category", "fraction", "evidence", "owner", "city", "country", "segment")


@dataclass(frozen=True)
class Scope:
    """Whose figures, over which dates: the filters every aggregate takes."""

    date_from: date
    date_to: date
    owner_type: str = OWNER_SCHOOL
    school_ids: tuple[int, ...] | None = None
    city_id: int | None = None  # a row of `cities`
    country: str | None = None
    categories: tuple[str, ...] | None = None

    def previous(self) -> Scope:
        """The same-length period just before this one."""
        days = (self.date_to - self.date_from).days + 1
        return replace(
            self,
            date_from=self.date_from - timedelta(days=days),
            date_to=self.date_from - timedelta(days=1),
        )


def month_start(day: date) -> date:
    """First day of the day's month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """First day of the month after the day's month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def week_start(day: date) -> date:
    """Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def periods(date_from: date, date_to: date, grain: str) -> list[date]:
    """Every period start (month or Monday) from date_from to date_to."""
    out: list[date] = []
    cur = month_start(date_from) if grain == "month" else week_start(date_from)
    while cur <= date_to:
        out.append(cur)
        cur = next_month(cur) if grain == "month" else cur + timedelta(days=7)
    return out


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _period(col, grain: str):
    """SQL expression: the period start of a date column."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc(grain, col), Date)
    if grain == "month":
        return func.strftime("%Y-%m-01", col)
    return func.date(col, "weekday 0", "-6 days")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _owner_filter(table, scope: Scope) -> list:
    conds = [table.owner_type == scope.owner_type]
    if scope.school_ids is not None:
        conds.append(table.owner_id.in_(scope.school_ids))
    if scope.owner_type == OWNER_SCHOOL and (scope.city_id or scope.country):
        schools = select(School.id)
        if scope.city_id:
            schools = schools.where(School.city_id == scope.city_id)
        if scope.country:
            schools = schools.where(School.country == scope.country)
        conds.append(table.owner_id.in_(schools))
    if scope.categories:
        conds.append(table.category.in_(scope.categories))
    return conds


def last_possible_day() -> date:
    """The latest date a log can carry now: today in the easternmost school's zone
    (the form refuses future dates in the school's own zone, residents' in the
    programme's). Remembered for the request."""
    memo = cache.request_memo()
    if memo is not None and "last_possible_day" in memo:
        return memo["last_possible_day"]
    zones = set(db.session.scalars(select(School.timezone).distinct())) | {None}
    day = max(today_in(z) for z in zones)
    if memo is not None:
        memo["last_possible_day"] = day
    return day


def _month_is_whole(date_to: date) -> bool:
    """True if a range ending on date_to covers the rest of date_to's month."""
    return next_month(date_to) - timedelta(days=1) == date_to or date_to >= last_possible_day()


def _use_programme_rollup(
    scope: Scope, keys: Sequence[str], grain: str, bounds: Sequence[date]
) -> bool:
    """Whether programme_rollup answers exactly: whole months, no per-school key."""
    return (
        scope.owner_type == OWNER_SCHOOL
        and scope.school_ids is None
        and "owner" not in keys
        and (grain == "month" or "period" not in keys)
        and scope.date_from.day == 1
        and _month_is_whole(scope.date_to)
        and all(b.day == 1 for b in bounds if scope.date_from < b <= scope.date_to)
    )


def _programme_source(scope: Scope):
    """programme_rollup rows of the scope, shaped like _source's (owner left out)."""
    r = ProgrammeRollup
    conds = [r.month >= scope.date_from, r.month <= scope.date_to]
    if scope.city_id:
        conds.append(r.city == scope.city_id)
    if scope.country:
        conds.append(r.country == scope.country)
    if scope.categories:
        conds.append(r.category.in_(scope.categories))
    return (
        select(
            r.city,
            r.country,
            r.category,
            r.fraction,
            r.evidence,
            r.quantity,
            r.log_count,
            r.month.label("day"),
        )
        .where(*conds)
        .subquery()
    )


def _source(scope: Scope, grain: str, boundaries: Sequence[date]):
    """A subquery of summary rows covering exactly scope's dates (see module doc)."""
    d, m = DailySummary, MonthlySummary
    cols = ("owner_type", "owner_id", "category", "fraction", "evidence", "quantity", "log_count")
    full_start = scope.date_from if scope.date_from.day == 1 else next_month(scope.date_from)
    full_end = next_month(scope.date_to)
    if not _month_is_whole(scope.date_to):
        full_end = month_start(scope.date_to)
    use_monthly = grain == "month" and full_start < full_end
    daily_day = d.day
    if not use_monthly:
        daily = select(*(getattr(d, c) for c in cols), daily_day.label("day")).where(
            *_owner_filter(d, scope), d.day >= scope.date_from, d.day <= scope.date_to
        )
        return daily.subquery()
    split = sorted(
        {month_start(b) for b in boundaries if b.day != 1 and full_start <= b < full_end}
    )
    daily_ranges = [(scope.date_from, full_start), (full_end, scope.date_to + timedelta(1))]
    daily_ranges += [(s, next_month(s)) for s in split]
    daily = select(*(getattr(d, c) for c in cols), d.day.label("day")).where(
        *_owner_filter(d, scope),
        or_(false(), *((d.day >= a) & (d.day < b) for a, b in daily_ranges if a < b)),
    )
    monthly = select(*(getattr(m, c) for c in cols), m.month.label("day")).where(
        *_owner_filter(m, scope),
        m.month >= full_start,
        m.month < full_end,
        *([m.month.not_in(split)] if split else []),
    )
    return union_all(monthly, daily).subquery()


def aggregate(
    scope: Scope,
    keys: Sequence[str],
    grain: str = "month",
    boundaries: Sequence[date] = (),
) -> list[dict[str, Any]]:
    """Exact sums over the scope grouped by keys (a subset of KEYS).

    'period' is the month or week start; 'owner' the school (or resident) id;
    'city' the id of the owner's city row, 'country' its country; 'segment' the index i such that the day lies
    in [boundaries[i-1], boundaries[i]) (0: before the first boundary).
    """
    if grain not in GRAINS:
        raise ValueError(grain)
    bounds = tuple(sorted(set(boundaries)))
    wanted = tuple(keys)
    full = _with_places(scope, wanted)
    memo = _request_memo()
    if memo is not None:
        for (m_scope, m_grain, m_bounds, m_keys), rows in memo.items():
            if (
                m_scope == scope
                and m_grain == grain
                and set(full) <= set(m_keys)
                and ("segment" not in full or m_bounds == bounds)
            ):
                return _rollup(rows, wanted)
    rows = _query(scope, full, grain, bounds)
    if memo is not None:
        memo[(scope, grain, bounds, full)] = rows
    # Callers get their own dicts: the memo's rows must not change under a later page part.
    return [dict(r) for r in rows] if full == wanted else _rollup(rows, wanted)


def _with_places(scope: Scope, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Add city and country where they follow from the keys (a school has one of
    each): grouping by them costs nothing more, and one result then serves the
    co2e-by-owner, money-by-owner and by-city views of a page alike."""
    if scope.owner_type == OWNER_SCHOOL and ({"owner", "city"} & set(keys)):
        return tuple(dict.fromkeys((*keys, "city", "country")))
    return keys


def _rollup(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Sum aggregate rows (hundreds to a few thousand, never logs) up to fewer keys."""
    out: dict[Any, list] = {}
    get = itemgetter(*keys) if keys else (lambda _r: ())
    for r in rows:
        k = get(r)
        item = out.get(k)
        if item is None:
            out[k] = [r["quantity"], r["log_count"]]
        else:
            item[0] += r["quantity"]
            item[1] += r["log_count"]
    single = len(keys) == 1
    return [
        {**dict(zip(keys, (k,) if single else k, strict=True)), "quantity": q, "log_count": n}
        for k, (q, n) in out.items()
    ]


def _request_memo() -> dict | None:
    """This request's aggregates: a page asks for overlapping groupings of one scope
    (kept in the one cache module's per-request memo, emptied by every write)."""
    memo = cache.request_memo()
    return None if memo is None else memo.setdefault("aggregates", {})


def _owner_ids(scope: Scope) -> list[int]:
    """The ids of the schools a scope covers (no ORM objects)."""
    stmt = select(School.id).order_by(School.id)
    if scope.school_ids is not None:
        stmt = stmt.where(School.id.in_(scope.school_ids))
    if scope.city_id:
        stmt = stmt.where(School.city_id == scope.city_id)
    if scope.country:
        stmt = stmt.where(School.country == scope.country)
    return list(db.session.scalars(stmt))


def _query(
    scope: Scope, keys: tuple[str, ...], grain: str, bounds: tuple[date, ...]
) -> list[dict[str, Any]]:
    """Rows of one grouping: per-school groupings through each school's cached part
    (a write to one school recomputes only that school's rows), the rest in SQL."""
    if "owner" not in keys or scope.owner_type != OWNER_SCHOOL or not cache.enabled():
        return _sql(scope, keys, grain, bounds)
    ids = {cache.school_scope(i): i for i in _owner_ids(scope)}
    # The same part serves every place filter and school selection of this query.
    shared = (replace(scope, school_ids=None, city_id=None, country=None), keys, grain, bounds)

    def compute(stale: list[str]) -> dict[str, list[dict[str, Any]]]:
        parts: dict[str, list[dict[str, Any]]] = {s: [] for s in stale}
        part_scope = replace(
            scope, school_ids=tuple(ids[s] for s in stale), city_id=None, country=None
        )
        for row in _sql(part_scope, keys, grain, bounds):
            parts[cache.school_scope(row["owner"])].append(row)
        return parts

    parts = cache.cached_per_scope("school-sums", list(ids), shared, compute)
    return [row for part in parts.values() for row in part]


def _sql(
    scope: Scope, keys: tuple[str, ...], grain: str, bounds: tuple[date, ...]
) -> list[dict[str, Any]]:
    rollup = _use_programme_rollup(scope, keys, grain, bounds)
    src = _programme_source(scope) if rollup else _source(scope, grain, bounds)
    exprs: dict[str, Any] = {
        "period": _period(src.c.day, grain),
        "category": src.c.category,
        "fraction": src.c.fraction,
        "evidence": src.c.evidence,
        "owner": None if rollup else src.c.owner_id,
    }
    stmt_from = src
    if rollup:
        # programme_rollup holds schools only, grouped by their city row
        exprs["city"], exprs["country"] = src.c.city, src.c.country
    elif {"city", "country"} & set(keys):
        # Places group by the city row, so every spelling of a city is one group.
        if scope.owner_type == OWNER_SCHOOL:
            stmt_from = src.join(School, School.id == src.c.owner_id)
            exprs["city"], exprs["country"] = School.city_id, School.country
        else:
            stmt_from = src.join(User, User.id == src.c.owner_id).outerjoin(
                City, City.id == User.city_id
            )
            exprs["city"] = User.city_id
            exprs["country"] = func.coalesce(City.country, literal("KZ"))
    if bounds:
        exprs["segment"] = case(
            *((src.c.day < b, i) for i, b in enumerate(bounds)), else_=len(bounds)
        )
    else:
        exprs["segment"] = literal(0)
    selected = [exprs[k].label(f"k_{k}") for k in keys]
    group = [exprs[k] for k in keys]
    stmt = (
        select(*selected, func.sum(src.c.quantity).label("q"), func.sum(src.c.log_count).label("n"))
        .select_from(stmt_from)
        .group_by(*group)
    )
    out = []
    for row in db.session.execute(stmt):
        item = {k: row[i] for i, k in enumerate(keys)}
        if "period" in item:
            item["period"] = _as_date(item["period"])
        item["quantity"] = Decimal(row.q or 0)
        item["log_count"] = int(row.n or 0)
        out.append(item)
    return out


def schools_in(scope: Scope) -> list[School]:
    """The schools a scope covers, by name."""
    stmt = select(School).order_by(School.name)
    if scope.school_ids is not None:
        stmt = stmt.where(School.id.in_(scope.school_ids))
    if scope.city_id:
        stmt = stmt.where(School.city_id == scope.city_id)
    if scope.country:
        stmt = stmt.where(School.country == scope.country)
    return list(db.session.scalars(stmt))


def cities() -> list[City]:
    """Every city with a school, by country (Kazakhstan first) then English name."""
    stmt = (
        select(City)
        .where(City.id.in_(select(School.city_id)))
        .order_by(City.country.desc(), City.name_en)
    )
    return list(db.session.scalars(stmt))


__all__ = ["OWNER_RESIDENT", "OWNER_SCHOOL", "Scope", "aggregate", "periods"]
