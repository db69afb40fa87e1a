"""The daily summary and its monthly rollup stay exact under random log changes."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from greenapp.models.impact import MonthlySummary
from greenapp.models.log import DailySummary, EcoLog
from greenapp.services import logs as log_service
from greenapp.services import summary
from tests.helpers import meters_read

CATS = [
    ("water", "L", ""),
    ("energy", "kWh", ""),
    ("waste", "kg", "paper"),
    ("waste", "kg", "glass"),
    ("trees", "trees", ""),
]
op = st.tuples(
    st.sampled_from(["create", "create", "edit", "delete", "review"]),
    st.integers(0, 4),  # category choice
    st.integers(1, 500),  # quantity
    st.integers(1, 70),  # days ago (spans month ends)
    st.sampled_from(["metered", "document", "self"]),
    st.sampled_from(["ok", "flagged", "verified", "rejected"]),
    st.integers(0, 1000),  # which existing log
)


def _monthly_recomputed():
    month = func.strftime("%Y-%m-01", DailySummary.day)
    stmt = select(
        DailySummary.owner_type,
        DailySummary.owner_id,
        month,
        DailySummary.category,
        DailySummary.fraction,
        DailySummary.evidence,
        func.sum(DailySummary.quantity),
        func.sum(DailySummary.log_count),
    ).group_by(
        DailySummary.owner_type,
        DailySummary.owner_id,
        month,
        DailySummary.category,
        DailySummary.fraction,
        DailySummary.evidence,
    )
    return sorted(
        (a, b, str(c)[:10], d, e, f, g, int(h))
        for a, b, c, d, e, f, g, h in summary.db.session.execute(stmt)
    )


def _monthly_stored():
    return sorted(
        (
            m.owner_type,
            m.owner_id,
            m.month.isoformat(),
            m.category,
            m.fraction,
            m.evidence,
            m.quantity,
            m.log_count,
        )
        for m in summary.db.session.scalars(select(MonthlySummary))
    )


def test_summary_equals_recomputation(app, db, factory):
    school = factory.school(joined_on=date.today() - timedelta(days=400))
    coordinator = factory.user("coordinator", school=school)
    resident = factory.user("resident")
    scientist = factory.user("scientist")
    meters_read(school)  # "metered" water and energy need readings around their dates
    meters_read(resident)

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.lists(op, min_size=1, max_size=12))
    def run(ops):
        for kind, cat, qty, ago, evidence, status, pick in ops:
            category, unit, fraction = CATS[cat]
            if evidence == "metered" and category not in ("water", "energy"):
                evidence = "document"  # only water and energy have meters
            data = log_service.LogInput(
                category=category,
                quantity=str(qty),
                unit=unit,
                action_date=date.today() - timedelta(days=ago),
                evidence=evidence,
                fraction=fraction,
            )
            existing = list(
                db.session.scalars(
                    select(EcoLog).where(EcoLog.deleted_at.is_(None)).order_by(EcoLog.id)
                )
            )
            if kind == "create" or not existing:
                actor = coordinator if pick % 2 else resident
                log_service.create_log(actor, data)
            else:
                log = existing[pick % len(existing)]
                owner = coordinator if log.school_id else resident
                if kind == "edit":
                    log_service.update_log(owner, log, data, log.version)
                elif kind == "delete":
                    log_service.delete_log(owner, log)
                else:
                    log_service.set_review(scientist, log, status, "checked")
            db.session.commit()
        assert summary.stored_rows() == summary.recompute_rows()
        if db.engine.dialect.name == "sqlite":
            assert _monthly_stored() == _monthly_recomputed()
        else:
            stored = {
                (m.owner_type, m.owner_id, m.month, m.category, m.fraction, m.evidence): (
                    m.quantity,
                    m.log_count,
                )
                for m in db.session.scalars(select(MonthlySummary))
            }
            expected: dict = {}
            for ot, oid, day, c, f, e, q, n in summary.recompute_rows():
                k = (ot, oid, day.replace(day=1), c, f, e)
                q0, n0 = expected.get(k, (0, 0))
                expected[k] = (q0 + q, n0 + n)
            assert stored == expected

    run()
