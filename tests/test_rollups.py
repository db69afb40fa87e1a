"""One mechanism keeps the summaries: the write pipeline upserts the daily summary, the
monthly rollup and the programme rollup itself, one upsert per key (no database
trigger). Whatever writes entries - the form, edits across a month end, deletes,
reviews, an import and its undo, a rebuild - the monthly figures the dashboards read
equal the entries summed per month by independent SQL."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from greenapp.models.impact import MonthlySummary
from greenapp.models.log import REVIEW_REJECTED, EcoLog
from greenapp.services import logs as log_service
from greenapp.services import summary

TODAY = date.today()


def _from_entries(db) -> dict:
    """The counted entries summed per owner, day and key in SQL, then per month."""
    e = EcoLog
    owner_type = sa.case((e.school_id.is_not(None), "school"), else_="resident")
    owner_id = sa.func.coalesce(e.school_id, e.resident_id)
    rows = db.session.execute(
        sa.select(
            owner_type,
            owner_id,
            e.action_date,
            e.category,
            e.fraction,
            e.evidence,
            sa.func.sum(e.quantity),
            sa.func.count(),
        )
        .where(e.deleted_at.is_(None), e.review_status != REVIEW_REJECTED)
        .group_by(owner_type, owner_id, e.action_date, e.category, e.fraction, e.evidence)
    )
    months: dict = {}
    for kind, oid, day, cat, frac, ev, qty, n in rows:
        key = (kind, oid, day.replace(day=1), cat, frac or "", ev)
        q0, n0 = months.get(key, (Decimal(0), 0))
        months[key] = (q0 + Decimal(qty), n0 + n)
    return months


def _stored(db) -> dict:
    m = MonthlySummary
    return {
        (r.owner_type, r.owner_id, r.month, r.category, r.fraction, r.evidence): (
            r.quantity,
            r.log_count,
        )
        for r in db.session.scalars(sa.select(m))
    }


def _assert_monthly_exact(db) -> None:
    db.session.expire_all()
    stored = _stored(db)
    assert stored == _from_entries(db)
    assert all(n > 0 for _q, n in stored.values())  # a month whose last entry left is gone


def test_no_trigger_on_the_daily_summary(db):
    """The monthly rollup is not kept behind the code's back: no trigger exists."""
    if db.engine.dialect.name == "postgresql":
        names = db.session.scalars(
            sa.text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'daily_summaries'::regclass "
                "AND NOT tgisinternal"
            )
        ).all()
    else:
        names = db.session.scalars(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'daily_summaries'"
            )
        ).all()
    assert names == []


def _entry(category: str, qty: str, unit: str, day: date, fraction: str = ""):
    return log_service.LogInput(
        category=category,
        quantity=qty,
        unit=unit,
        action_date=day,
        evidence="self",
        fraction=fraction,
    )


def test_form_edits_deletes_and_reviews_move_the_monthly_figures(db, factory):
    school = factory.school(joined_on=TODAY - timedelta(days=400))
    coordinator = factory.user("coordinator", school=school)
    resident = factory.user("resident")
    scientist = factory.user("scientist")
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    a = log_service.create_log(coordinator, _entry("water", "120", "L", TODAY))
    b = log_service.create_log(coordinator, _entry("water", "30", "L", TODAY))
    c = log_service.create_log(coordinator, _entry("waste", "2", "kg", last_month, "paper"))
    r = log_service.create_log(resident, _entry("energy", "5", "kWh", TODAY))
    db.session.commit()
    _assert_monthly_exact(db)
    # An edit that moves an entry into last month takes it out of this month's row.
    log_service.update_log(coordinator, a, _entry("water", "125", "L", last_month), a.version)
    db.session.commit()
    _assert_monthly_exact(db)
    # The last entry of a month's key deleted: that monthly row is dropped.
    log_service.delete_log(coordinator, c)
    log_service.delete_log(resident, r)
    db.session.commit()
    _assert_monthly_exact(db)
    # Rejected leaves the totals, verified comes back.
    log_service.set_review(scientist, b, REVIEW_REJECTED, "not plausible")
    db.session.commit()
    _assert_monthly_exact(db)
    log_service.set_review(scientist, b, "verified", "checked")
    db.session.commit()
    _assert_monthly_exact(db)
    this_month = db.session.scalar(
        sa.select(MonthlySummary.quantity).where(
            MonthlySummary.owner_id == school.id,
            MonthlySummary.month == TODAY.replace(day=1),
            MonthlySummary.category == "water",
        )
    )
    assert this_month == Decimal(30)


def _upload_csv(client, text: str):
    resp = client.post(
        "/imports/",
        data={"file": (io.BytesIO(text.encode()), "entries.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return int(re.search(r"/imports/(\d+)", resp.headers["Location"]).group(1))


def test_import_and_its_undo_keep_the_monthly_rollup(client, db, factory, login):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="3", unit="L")
    login(coordinator)
    days = [TODAY - timedelta(days=n) for n in (1, 20, 40, 70)]  # across month ends
    lines = ["date,category,fraction,quantity,unit"]
    lines += [f"{d},water,,{5 + i},L" for i, d in enumerate(days)]
    lines += [f"{d},waste,glass,{1 + i},kg" for i, d in enumerate(days)]
    batch = _upload_csv(client, "\n".join(lines) + "\n")
    client.post(f"/imports/{batch}/commit")
    _assert_monthly_exact(db)
    client.post(f"/imports/{batch}/undo")
    _assert_monthly_exact(db)
    assert len(_stored(db)) == 1  # only the entry typed before the import is left


def test_rebuild_recomputes_the_monthly_rollup(db, factory):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="3", unit="L")
    factory.log(coordinator, quantity="4", unit="L", action_date=TODAY - timedelta(days=45))
    db.session.execute(sa.delete(MonthlySummary))  # damaged: the repair brings it back
    summary.rebuild()
    db.session.commit()
    _assert_monthly_exact(db)
