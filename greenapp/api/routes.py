"""/api/v1: schools, entries, meter readings, aggregates, challenges, glossary terms.

Each route declares who may call it (`allow`: the roles, through permissions.role_required,
and the token scope) and calls the same services as the pages: entries go through the
one write pipeline (services/logs.py -> pipeline.py), with its validation, audit,
summaries and cache invalidation; object checks are the pages' (log_rules.can_view /
can_edit, meters.can_view_school). The caller commits once per request, as the pages do.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, or_, select
from werkzeug.exceptions import HTTPException, default_exceptions

from greenapp.api import schemas as s
from greenapp.api.auth import allow, authenticate_request, rate_key, rate_limit
from greenapp.api.idempotency import idempotent
from greenapp.api.problems import from_http_exception, problem
from greenapp.extensions import db, limiter
from greenapp.models.glossary import APPROVED, GlossaryConcept, GlossaryTerm
from greenapp.models.log import EcoLog
from greenapp.models.meters import Meter, MeterReading
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, RESIDENT, ROLES, STAFF_ROLES
from greenapp.ops.sqlite import lock_when_writing
from greenapp.services import challenges as challenge_service
from greenapp.services import logs as log_service
from greenapp.services import meters as meter_service
from greenapp.services import stats
from greenapp.services.clock import today_in
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.numbers import format_number

bp = Blueprint(
    "api_v1",
    __name__,
    url_prefix="/api/v1",
    description="greenapp REST API (personal access tokens)",
)

# Set up once, at import (the blueprint object is shared by every app made).
bp.before_request(authenticate_request)
bp.register_error_handler(HTTPException, from_http_exception)
for _code in default_exceptions:  # before the app's per-code HTML error pages
    bp.register_error_handler(_code, from_http_exception)
limiter.limit(rate_limit, key_func=rate_key)(bp)  # per token; API_RATELIMIT

LOGGERS = (COORDINATOR, RESIDENT)
SCHOOL_READERS = (COORDINATOR, *STAFF_ROLES)
MAX_AGGREGATE_DAYS = 3 * 366


# --- schools ------------------------------------------------------------------------


def _visible_schools():
    stmt = select(School).order_by(School.name, School.id)
    if current_user.role == COORDINATOR:
        stmt = stmt.where(School.id == current_user.school_id)
    return stmt


@bp.route("/schools", methods=["GET"])
@allow(*SCHOOL_READERS, scope="read")
@bp.response(200, s.SchoolSchema(many=True))
def list_schools():
    """Schools: all of them for staff, one's own for a coordinator."""
    return list(db.session.scalars(_visible_schools()))


@bp.route("/schools/<int:school_id>", methods=["GET"])
@allow(*SCHOOL_READERS, scope="read")
@bp.response(200, s.SchoolSchema)
def get_school(school_id: int):
    """One school (404 if it is not one the caller may see)."""
    school = db.session.scalar(_visible_schools().where(School.id == school_id))
    if school is None:
        abort(404)
    return school


# --- entries ------------------------------------------------------------------------


def _typed(value: Decimal) -> str:
    """A script's exact decimal, written as the form would take it in the request's
    language (services/numbers.py reads it back exactly: no float, no ambiguity)."""
    return format_number(value, grouping=False)


def _visible_log(log_id: int) -> EcoLog:
    log = db.session.get(EcoLog, log_id)
    if log is None or not log_service.can_view(current_user, log):
        abort(404)  # other owners' entries are not even confirmed to exist
    return log


@bp.route("/entries", methods=["GET"])
@allow(*LOGGERS, *STAFF_ROLES, scope="read")
@bp.arguments(s.EntryListArgs, location="query", as_kwargs=True)
@bp.response(200, s.EntryPageSchema)
def list_entries(
    page: int,
    per_page: int,
    include_deleted: bool,
    date_from: date | None = None,
    date_to: date | None = None,
    category: str | None = None,
):
    """Entries the caller may see, newest first, filtered and paginated."""
    flt = log_service.LogFilter(
        date_from=date_from, date_to=date_to, category=category, include_deleted=include_deleted
    )
    result = db.paginate(
        log_service.visible_logs(current_user, flt),
        page=page,
        per_page=per_page,
        error_out=False,
        count=True,
    )
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total or 0,
        "pages": result.pages,
    }


@bp.route("/entries", methods=["POST"])
@lock_when_writing  # the pipeline locks what it checks (ops/sqlite.py)
@allow(*LOGGERS, scope="write")
@idempotent
@bp.arguments(s.EntryCreateSchema)
@bp.response(201, s.EntrySchema)
def create_entry(data: dict[str, Any]):
    """Log an eco-action (the form's rules; `Idempotency-Key` makes a retry safe)."""
    log = log_service.create_log(
        current_user,
        log_service.LogInput(
            category=data["category"],
            quantity=_typed(Decimal(data["quantity"])),
            unit=data["unit"],
            action_date=data["action_date"],
            evidence=data["evidence"],
            fraction=data.get("fraction", ""),
            note=data.get("note", ""),
        ),
    )
    return log  # @idempotent commits, with the kept response


@bp.route("/entries/<int:log_id>", methods=["GET"])
@allow(*LOGGERS, *STAFF_ROLES, scope="read")
@bp.response(200, s.EntrySchema)
def get_entry(log_id: int):
    """One entry."""
    return _visible_log(log_id)


@bp.route("/entries/<int:log_id>", methods=["PATCH"])
@lock_when_writing  # the pipeline locks what it checks (ops/sqlite.py)
@allow(*LOGGERS, scope="write")
@bp.arguments(s.EntryUpdateSchema)
@bp.response(200, s.EntrySchema)
def update_entry(data: dict[str, Any], log_id: int):
    """Edit an entry: send the `version` you read; a stale one gets 409."""
    log = _visible_log(log_id)
    merged = log_service.LogInput(
        category=data.get("category", log.category),
        quantity=_typed(Decimal(data["quantity"]) if "quantity" in data else log.quantity_entered),
        unit=data.get("unit", log.unit_entered),
        action_date=data.get("action_date", log.action_date),
        evidence=data.get("evidence", log.evidence),
        fraction=data.get("fraction", log.fraction),
        note=data.get("note", log.note),
    )
    log_service.update_log(current_user, log, merged, data["version"])
    db.session.commit()
    return log


@bp.route("/entries/<int:log_id>", methods=["DELETE"])
@lock_when_writing  # the pipeline locks what it checks (ops/sqlite.py)
@allow(*LOGGERS, scope="write")
@bp.arguments(s.DeleteArgs, location="query", as_kwargs=True)
@bp.response(204)
def delete_entry(log_id: int, version: int | None = None):
    """Delete an entry (soft: it leaves the totals, stays in the audit trail)."""
    log = _visible_log(log_id)
    log_service.delete_log(current_user, log, version)
    db.session.commit()
    return None


# --- meter readings ------------------------------------------------------------------


@bp.route("/schools/<int:school_id>/meter-readings", methods=["GET"])
@allow(*SCHOOL_READERS, scope="read")
@bp.arguments(s.ReadingListArgs, location="query", as_kwargs=True)
@bp.response(200, s.ReadingSchema(many=True))
def list_readings(school_id: int, date_from: date | None = None, date_to: date | None = None):
    """A school's meter readings (its coordinator and staff roles)."""
    if db.session.get(School, school_id) is None or not meter_service.can_view_school(
        current_user, school_id
    ):
        abort(404)
    stmt = (
        select(MeterReading, Meter)
        .join(Meter, Meter.id == MeterReading.meter_id)
        .where(Meter.school_id == school_id, MeterReading.deleted_at.is_(None))
        .order_by(MeterReading.reading_date, MeterReading.id)
    )
    if date_from:
        stmt = stmt.where(MeterReading.reading_date >= date_from)
    if date_to:
        stmt = stmt.where(MeterReading.reading_date <= date_to)
    return [
        {
            "id": r.id,
            "meter_id": m.id,
            "meter_kind": m.kind,
            "unit": m.unit,
            "kind": r.kind,
            "reading_date": r.reading_date,
            "period_start": r.period_start,
            "value": r.value,
            "quality_flag": r.quality_flag,
        }
        for r, m in db.session.execute(stmt.limit(5000))
    ]


@bp.route("/meters/<int:meter_id>/readings", methods=["POST"])
@allow(COORDINATOR, scope="write")
@idempotent
@bp.arguments(s.ReadingCreateSchema)
@bp.response(201, s.ReadingSchema)
def create_reading(data: dict[str, Any], meter_id: int):
    """Enter a meter reading (the school's coordinator), with the form's checks."""
    meter = db.session.get(Meter, meter_id)
    if meter is None or not meter_service.can_view_school(current_user, meter.school_id):
        abort(404)
    reading = meter_service.add_reading(
        current_user,
        meter,
        meter_service.ReadingInput(
            kind=data["kind"],
            reading_date=data["reading_date"],
            value=_typed(Decimal(data["value"])),
            period_start=data.get("period_start"),
            old_final=_typed(Decimal(data["old_final"])) if data.get("old_final") else "",
            new_serial=data.get("new_serial", ""),
            note=data.get("note", ""),
        ),
    )
    return {
        "id": reading.id,
        "meter_id": meter.id,
        "meter_kind": meter.kind,
        "unit": meter.unit,
        "kind": reading.kind,
        "reading_date": reading.reading_date,
        "period_start": reading.period_start,
        "value": reading.value,
        "quality_flag": reading.quality_flag,
    }


# --- aggregates (what the dashboards show) -------------------------------------------


@bp.route("/aggregates", methods=["GET"])
@allow(COORDINATOR, *STAFF_ROLES, scope="read")
@bp.arguments(s.AggregateArgs, location="query", as_kwargs=True)
@bp.response(200, s.AggregateSchema)
def aggregates(date_from: date, date_to: date, grain: str, school_id: int | None = None):
    """Exact sums per period and category, as the dashboards count them (SQL aggregates)."""
    if date_to < date_from:
        raise ValidationFailed(_("The end date is before the start date."), "date_to")
    if (date_to - date_from).days > MAX_AGGREGATE_DAYS:
        raise ValidationFailed(_("Ask for at most three years at a time."), "date_to")
    if current_user.role == COORDINATOR:
        if school_id not in (None, current_user.school_id):
            abort(404)
        school_id = current_user.school_id
    if school_id is not None and db.session.get(School, school_id) is None:
        abort(404)
    scope = stats.Scope(
        date_from=date_from,
        date_to=date_to,
        school_ids=(school_id,) if school_id is not None else None,
    )
    rows = stats.aggregate(scope, ("period", "category"), grain=grain)
    rows.sort(key=lambda r: (r["period"], r["category"]))
    return {
        "date_from": date_from,
        "date_to": date_to,
        "grain": grain,
        "school_id": school_id,
        "rows": [
            {
                "period": r["period"],
                "category": r["category"],
                "quantity": r["quantity"],
                "entries": r["log_count"],
            }
            for r in rows
        ],
    }


# --- challenges and glossary ---------------------------------------------------------


@bp.route("/challenges", methods=["GET"])
@allow(*ROLES, scope="read")
@bp.response(200, s.ChallengeSchema(many=True))
def list_challenges():
    """Challenges, running and upcoming first."""
    today = today_in(None)
    return [
        {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "category": c.category,
            "fraction": c.fraction,
            "target": c.target,
            "start_date": c.start_date,
            "end_date": c.end_date,
            "audience": c.audience,
        }
        for c in challenge_service.listing(today)
    ]


@bp.route("/glossary/terms", methods=["GET"])
@allow(*ROLES, scope="read")
@bp.arguments(s.TermArgs, location="query", as_kwargs=True)
@bp.response(200, s.TermSchema(many=True))
def list_terms(lang: str | None = None, q: str | None = None):
    """Terms of the approved glossary concepts."""
    stmt = (
        select(GlossaryTerm, GlossaryConcept)
        .join(GlossaryConcept, GlossaryConcept.id == GlossaryTerm.concept_id)
        .where(GlossaryConcept.status == APPROVED)
        .order_by(GlossaryConcept.key, GlossaryTerm.lang, GlossaryTerm.id)
    )
    if lang:
        stmt = stmt.where(GlossaryTerm.lang == lang)
    if q:
        needle = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(GlossaryTerm.text).like(needle, escape="\\")))
    return [
        {"concept": c.key, "subject": c.subject, "lang": t.lang, "text": t.text, "status": t.status}
        for t, c in db.session.execute(stmt.limit(2000))
    ]


# --- domain errors as problems --------------------------------------------------------


@bp.errorhandler(ValidationFailed)
def _invalid(exc: ValidationFailed) -> Response:
    db.session.rollback()
    return problem(422, str(exc.message), errors={exc.field or "_schema": [str(exc.message)]})


@bp.errorhandler(PermissionDenied)
def _denied(exc: PermissionDenied) -> Response:
    db.session.rollback()
    return problem(403, str(exc.message))


@bp.errorhandler(Conflict)
def _conflict(exc: Conflict) -> Response:
    db.session.rollback()
    return problem(409, str(exc.message))


__all__ = ["ADMIN", "bp"]
