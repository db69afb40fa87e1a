"""The one write sequence (services/pipeline.py): each step runs once per save, and
each step can be run alone."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from greenapp.models.audit import AuditRecord
from greenapp.models.cache import CacheVersion
from greenapp.models.log import REVIEW_FLAGGED, REVIEW_OK
from greenapp.services import cache, pipeline, summary
from greenapp.services import logs as log_service
from tests.helpers import local_today


def _version(db, scope: str) -> int:
    return db.session.scalar(select(CacheVersion.n).where(CacheVersion.scope == scope)) or 0


def _actions(db, log_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditRecord.action)
            .where(AuditRecord.entity_type == "log", AuditRecord.entity_id == log_id)
            .order_by(AuditRecord.id)
        )
    )


def test_a_flagged_entry_is_summarised_audited_and_invalidated_once(factory, db):
    coordinator = factory.user("coordinator")
    today = local_today()
    for back in range(1, 7):
        factory.log(coordinator, quantity="10", unit="L", action_date=today - timedelta(days=back))
    school = cache.school_scope(coordinator.school_id)
    before = (_version(db, school), _version(db, cache.PROGRAMME))
    log = factory.log(coordinator, quantity="1000", unit="L", action_date=today)
    assert log.review_status == REVIEW_FLAGGED
    # One create record and one for the automatic flag; the sums and the scope
    # versions moved once (the old quality hook re-ran summary, audit and the bump).
    assert _actions(db, log.id) == ["create", "review"]
    assert (_version(db, school), _version(db, cache.PROGRAMME)) == (before[0] + 1, before[1] + 1)
    assert summary.stored_rows() == summary.recompute_rows()


def test_an_ordinary_edit_runs_each_step_once(factory, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="10", unit="L")
    school = cache.school_scope(coordinator.school_id)
    version = _version(db, school)
    log_service.update_log(
        coordinator,
        log,
        log_service.LogInput(
            category="water",
            quantity="12",
            unit="L",
            action_date=log.action_date,
            evidence="document",
        ),
        log.version,
    )
    db.session.commit()
    assert _actions(db, log.id) == ["create", "update"]
    assert _version(db, school) == version + 1
    assert log.review_status == REVIEW_OK and log.version == 2


def test_steps_run_alone(factory, db):
    coordinator = factory.user("coordinator")
    log = factory.log(coordinator, quantity="10", unit="L")
    assert pipeline.flag_if_implausible(log) is False  # too few entries to compare
    assert pipeline.award_badges(log, flagged=True) == []
    assert pipeline.scopes_of(log) == [cache.school_scope(coordinator.school_id), cache.PROGRAMME]
    state = pipeline.Counted.of(log)
    log.quantity = log.quantity * 3
    pipeline.summarise(log, before=state)  # moves the old sum out, the new one in
    db.session.flush()
    assert summary.stored_rows() == summary.recompute_rows()
    db.session.rollback()


def test_write_services_import_nothing_late():
    root = Path(__file__).resolve().parent.parent / "greenapp" / "services"
    for name in ("pipeline", "logs", "log_rules", "quality", "summary", "stats", "cache"):
        tree = ast.parse((root / f"{name}.py").read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef):
                late = [n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)]
                assert not late, f"{name}.{fn.name} imports inside the function"
