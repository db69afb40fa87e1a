"""Every figure read from the programme rollup (and the monthly summary's current month,
read whole) equals an independent SQL over the raw logs, after creates, edits that move
an entry to another month, deletes, rejections and a school moving to another city."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from sqlalchemy import func, select

from greenapp.models.cache import ProgrammeRollup
from greenapp.models.log import REVIEW_REJECTED, EcoLog
from greenapp.models.place import city_for
from greenapp.models.school import School
from greenapp.services import impact, schools, stats, summary
from greenapp.services import logs as log_service
from greenapp.services.stats import Scope
from tests.helpers import MINSK, local_today, meters_read

KEYS = ("period", "category", "fraction", "evidence", "city", "country", "segment")


def _raw_rows() -> list[tuple]:
    """Counted school logs grouped per city row, day, category, fraction and evidence."""
    stmt = (
        select(
            School.city_id,
            School.country,
            EcoLog.school_id,
            EcoLog.action_date,
            EcoLog.category,
            EcoLog.fraction,
            EcoLog.evidence,
            func.sum(EcoLog.quantity),
            func.count(),
        )
        .join(School, School.id == EcoLog.school_id)
        .where(EcoLog.deleted_at.is_(None), EcoLog.review_status != REVIEW_REJECTED)
        .group_by(
            School.city_id,
            School.country,
            EcoLog.school_id,
            EcoLog.action_date,
            EcoLog.category,
            EcoLog.fraction,
            EcoLog.evidence,
        )
    )
    from greenapp.extensions import db

    return list(db.session.execute(stmt))


def _expected(rows, scope: Scope, keys, bounds) -> list[tuple]:
    out: dict[tuple, list] = {}
    for city, country, owner, day, cat, frac, ev, qty, n in rows:
        if not scope.date_from <= day <= scope.date_to:
            continue
        if scope.city_id and city != scope.city_id or scope.country and country != scope.country:
            continue
        if scope.categories and cat not in scope.categories:
            continue
        if scope.school_ids is not None and owner not in scope.school_ids:
            continue
        values = {
            "period": day.replace(day=1),
            "category": cat,
            "fraction": frac or "",
            "evidence": ev,
            "city": city,
            "country": country,
            "owner": owner,
            "segment": sum(1 for b in bounds if day >= b),
        }
        item = out.setdefault(tuple(values[k] for k in keys), [Decimal(0), 0])
        item[0] += Decimal(qty)
        item[1] += n
    return sorted((*k, q, n) for k, (q, n) in out.items())


def _got(scope: Scope, keys, bounds) -> list[tuple]:
    rows = stats.aggregate(scope, keys, "month", bounds)
    return sorted((*(r[k] for k in keys), r["quantity"], r["log_count"]) for r in rows)


def _month_back(day: date, months: int) -> date:
    for _i in range(months):
        day = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    return day.replace(day=1)


def test_rollup_figures_equal_sql_over_raw_logs(app, factory, db):
    today = local_today()
    kz1 = factory.school(name="Kyzylorda 1", city="Kyzylorda", country="KZ")
    kz2 = factory.school(name="Kyzylorda 2", city="Kyzylorda", country="KZ")
    by = factory.school(name="Minsk 1", city="Minsk", country="BY", timezone=MINSK)
    owners = [factory.user("coordinator", school=s) for s in (kz1, kz2, by)]
    for s in (kz1, kz2, by):
        meters_read(s)  # "metered" water needs readings around its dates
    scientist = factory.user("scientist")
    logs = []
    for i, owner in enumerate(owners):
        for n, (cat, unit, frac, ev) in enumerate(
            [
                ("water", "L", "", "metered"),
                ("water", "L", "", "self"),
                ("energy", "kWh", "", "document"),
                ("waste", "kg", "paper", "document"),
                ("waste", "kg", "glass", "self"),
                ("trees", "trees", "", "document"),
            ]
        ):
            for back in (0, 1, 33, 70, 200, 400):
                day = today - timedelta(days=back)
                if owner.school.timezone == MINSK:
                    day = min(day, local_today(MINSK))
                logs.append(
                    factory.log(
                        owner,
                        category=cat,
                        unit=unit,
                        fraction=frac,
                        evidence=ev,
                        quantity=str(5 + i + n + back % 7),
                        action_date=day,
                    )
                )
    edit = logs[3]  # moved to another month with another quantity
    log_service.update_log(
        owners[0],
        edit,
        log_service.LogInput(
            category="water",
            quantity="999",
            unit="L",
            action_date=today - timedelta(days=95),
            evidence="document",
        ),
        edit.version,
    )
    log_service.delete_log(owners[1], logs[40])
    log_service.set_review(scientist, logs[50], REVIEW_REJECTED, "no evidence")
    db.session.commit()
    aralsk = city_for(db.session, "Aralsk", "KZ")  # a second Kazakh city row
    db.session.commit()
    schools.save_school(
        factory.user("admin"),
        schools.SchoolInput(
            name=kz2.name,
            city="Aralsk",
            country="KZ",
            address=kz2.address,
            pupils=kz2.pupils,
            joined_on=kz2.joined_on,
        ),
        kz2,
    )
    db.session.commit()
    raw = _raw_rows()
    # The stored rollup itself equals the raw logs regrouped per month and place.
    expected_rollup = _expected(
        raw,
        Scope(date_from=date(2000, 1, 1), date_to=today),
        ("period", "city", "country", "category", "fraction", "evidence"),
        (),
    )
    assert summary.programme_rows() == expected_rollup

    start = _month_back(today, 13)
    bounds = (_month_back(today, 2),)  # a factor valid from the 1st of a month
    scopes = [
        Scope(date_from=start, date_to=today),
        Scope(date_from=start, date_to=today, city_id=aralsk.id),
        Scope(date_from=start, date_to=today, country="BY"),
        Scope(date_from=_month_back(today, 3), date_to=today, categories=("waste", "trees")),
    ]
    subsets = [c for n in (1, 2, 3) for c in combinations(KEYS, n)]
    for scope in scopes:
        for keys in subsets:
            assert stats._use_programme_rollup(scope, keys, "month", bounds), keys
            with app.test_request_context("/"):  # a fresh request memo per grouping
                assert _got(scope, keys, bounds) == _expected(raw, scope, keys, bounds), (
                    scope,
                    keys,
                )
    # Per-school groupings read the monthly summary, the current month whole.
    for keys in (("owner",), ("owner", "evidence"), ("owner", "period", "category")):
        scope = Scope(date_from=start, date_to=today)
        assert not stats._use_programme_rollup(scope, keys, "month", bounds)
        with app.test_request_context("/"):
            assert _got(scope, keys, bounds) == _expected(raw, scope, keys, bounds), keys
    # A range ending yesterday must not read today's entries (no whole current month).
    for keys in (("period", "category"), ("owner", "category"), ("city",)):
        scope = Scope(date_from=start, date_to=today - timedelta(days=1))
        with app.test_request_context("/"):
            assert _got(scope, keys, bounds) == _expected(raw, scope, keys, bounds), keys
    # CO2e per city and month, priced from the rollup, equals pricing the raw rows.
    with app.test_request_context("/"):
        co2 = {
            (r.key["city"], r.key["period"]): r.kg_co2e
            for r in impact.co2e_avoided(scopes[0], ("city", "period"))
        }
    lookup = impact._factor_lookup()
    want: dict[tuple, Decimal] = {}
    for city, country, _o, day, cat, frac, _ev, qty, _n in raw:
        if start <= day <= today:
            rate = lookup.at((country, cat, frac or ""), day)
            if rate is not None:
                k = (city, day.replace(day=1))
                want[k] = want.get(k, Decimal(0)) + Decimal(qty) * rate[0]
    assert {k: v for k, v in co2.items() if v} == {k: v for k, v in want.items() if v}


def test_an_entry_saved_as_its_school_moves_counts_in_the_city_it_moved_to(factory, db):
    """The coordinator's page (and the form's checks) read the school before an admin
    moved it to another city; the entry saved after the move is counted in the new
    city's programme figures, as its school's other sums are."""
    import sqlalchemy as sa

    school = factory.school(name="Moving school", city="Kyzylorda", country="KZ")
    coordinator = factory.user("coordinator", school=school)
    factory.log(coordinator, quantity="40")
    aralsk = city_for(db.session, "Aralsk", "KZ")
    db.session.commit()
    assert school.city_id != aralsk.id  # the session's copy of the school, read now
    schools_table = School.__table__
    with db.engine.begin() as other:  # meanwhile the admin's move commits
        other.execute(
            sa.update(schools_table)
            .where(schools_table.c.id == school.id)
            .values(city_id=aralsk.id, city="Aralsk")
        )
        rollup = ProgrammeRollup.__table__  # its one earlier entry's sums, moved with it
        other.execute(sa.update(rollup).values(city=aralsk.id))
    factory.log(coordinator, quantity="2")
    raw = _raw_rows()
    assert {row[0] for row in raw} == {aralsk.id}
    assert summary.programme_rows() == _expected(
        raw,
        Scope(date_from=date(2000, 1, 1), date_to=local_today()),
        ("period", "city", "country", "category", "fraction", "evidence"),
        (),
    )
