"""/api/v1/imports: the spreadsheet import (upload = dry run, commit, undo) for scripts.

The same service as the import pages (services/imports.py): the file's limits and
messages, the dry run (new / duplicate / invalid with the reason), the SHA-256 kept
with the batch, the all-or-nothing commit through services/bulk_write.py and the undo.
Who may: the pages' rule (permissions.IMPORTERS; can_edit on the batch: admins, and the
coordinators of the batch's school) with a token holding the `import` scope (reading a
batch: `read` or `import`). Another school's batch answers 404, as on the pages.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from greenapp.api import schemas as s
from greenapp.api.auth import allow
from greenapp.api.idempotency import idempotent
from greenapp.api.problems import from_http_exception, problem
from greenapp.api.routes import bp
from greenapp.extensions import db
from greenapp.models.imports import BATCH_PREVIEW, ImportBatch
from greenapp.permissions import IMPORTERS
from greenapp.services import imports as import_service
from greenapp.services.errors import ValidationFailed

UPLOAD_ENDPOINT = "api_v1.upload_import"
ROW_ORDER = {import_service.INVALID: 0, import_service.DUPLICATE: 1, import_service.NEW: 2}
FIRST_PAGE = 100  # rows in the upload's answer; GET /imports/{id}?page= for the rest


def _raise_upload_limit() -> None:
    """The app-wide request limit is smaller than an import's: raise it for the upload
    (before any other hook reads the body), as the import page does."""
    if request.endpoint == UPLOAD_ENDPOINT and request.method == "POST":
        from greenapp.imports.routes import UPLOAD_LIMIT

        request.max_content_length = UPLOAD_LIMIT


@bp.record_once
def _install(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    """A file above the limit: the page's message (422, like every refused file)."""
    if request.endpoint == UPLOAD_ENDPOINT:
        reason = import_service._too_big()
        return problem(422, reason, errors={"file": [reason]})
    return from_http_exception(error)


def _school_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if raw.isdigit() and len(raw) <= 10 and 0 < int(raw) < 2**31:
        return int(raw)
    return None  # an admin is then asked to choose a school (the service's message)


def _filename(name: str | None) -> str:
    return "".join(ch for ch in (name or "") if ch.isprintable()).strip()[:200] or "upload"


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or not import_service.can_manage(current_user, batch):
        abort(404)  # another school's import is not even confirmed to exist
    return batch


def _analysis(batch: ImportBatch) -> import_service.Analysis | None:
    if batch.content is None:
        return None
    try:
        return import_service.analyse(batch.content, batch.school, batch.columns)
    except ValidationFailed:
        return None


def _body(
    batch: ImportBatch,
    analysis: import_service.Analysis | None = None,
    page: int = 1,
    per_page: int = FIRST_PAGE,
    read: bool = True,
) -> dict[str, Any]:
    """The batch as the API shows it, with a page of its dry run's rows."""
    needs_columns = import_service.needs_columns(batch)
    rows: list[import_service.RowResult] = []
    if batch.status == BATCH_PREVIEW and not needs_columns:
        if analysis is None and read:
            analysis = _analysis(batch)
        if analysis is not None:
            rows = sorted(analysis.rows, key=lambda r: (ROW_ORDER[r.status], r.number))
    pages = math.ceil(len(rows) / per_page) if rows else 0
    shown = rows[(page - 1) * per_page : page * per_page]
    following = (
        url_for("api_v1.get_import", import_batch_id=batch.id, page=page + 1, per_page=per_page)
        if page < pages
        else None
    )
    return {
        "id": batch.id,
        "school_id": batch.school_id,
        "filename": batch.filename,
        "file_kind": batch.file_kind,
        "sha256": batch.sha256,
        "status": batch.status,
        "needs_columns": needs_columns,
        "created_at": batch.created_at,
        "committed_at": batch.committed_at,
        "undone_at": batch.undone_at,
        "counts": {
            "total": batch.rows_total,
            "new": batch.rows_new,
            "duplicate": batch.rows_duplicate,
            "invalid": batch.rows_invalid,
            "added": batch.rows_added,
        },
        "rows": {
            "items": [
                {"row": r.number, "status": r.status, "reason": r.reason, "cells": r.cells}
                for r in shown
            ],
            "page": page,
            "per_page": per_page,
            "total": len(rows),
            "pages": pages,
            "next": following,
        },
    }


UNPROCESSABLE = {
    "description": "The file or the batch is refused: the reason, in the "
    "reader's language, in detail and errors."
}


@bp.route("/imports", methods=["POST"])
@allow(*IMPORTERS, scope="import")
@idempotent
@bp.doc(requestBody=s.IMPORT_UPLOAD_BODY)
@bp.response(201, s.ImportBatchSchema)
@bp.alt_response(422, schema=s.ProblemSchema, **UNPROCESSABLE)
def upload_import():
    """Upload a spreadsheet (multipart `file`): the dry run; nothing is stored yet.

    The answer counts the rows that are new, duplicates or invalid and lists the first
    100 rows (invalid first, with the reason); `rows.next` pages through the rest.
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        message = _("Choose a file to upload.")
        return problem(422, message, errors={"file": [message]})
    content = upload.read(import_service.MAX_BYTES + 1)
    school = import_service.school_for(current_user, _school_id(request.form.get("school_id")))
    batch = import_service.preview(current_user, school, _filename(upload.filename), content)
    body = _body(batch, getattr(batch, "analysis", None), read=False)
    return body, 201, {"Location": url_for("api_v1.get_import", import_batch_id=batch.id)}


@bp.route("/imports/<int:import_batch_id>", methods=["GET"])
@allow(*IMPORTERS, scope=("read", "import"))
@bp.arguments(s.ImportRowArgs, location="query", as_kwargs=True)
@bp.response(200, s.ImportBatchSchema)
def get_import(import_batch_id: int, page: int, per_page: int):
    """One upload: its status, counts and a page of its dry run's rows."""
    return _body(_batch(import_batch_id), page=page, per_page=per_page)


@bp.route("/imports/<int:import_batch_id>/commit", methods=["POST"])
@allow(*IMPORTERS, scope="import")
@idempotent
@bp.response(200, s.ImportDoneSchema)
@bp.alt_response(422, schema=s.ProblemSchema, **UNPROCESSABLE)
def commit_import(import_batch_id: int):
    """Store every new row of the checked file, all or nothing (any invalid row: none).

    Rows already stored (by an earlier import or by hand) are skipped as duplicates;
    a batch is committed once (again: 422, nothing added).
    """
    batch = _batch(import_batch_id)
    added = import_service.commit(current_user, batch)
    return {"batch": _body(batch, read=False), "count": added}


@bp.route("/imports/<int:import_batch_id>/undo", methods=["POST"])
@allow(*IMPORTERS, scope="import")
@idempotent
@bp.response(200, s.ImportDoneSchema)
@bp.alt_response(422, schema=s.ProblemSchema, **UNPROCESSABLE)
def undo_import(import_batch_id: int):
    """Delete every entry the commit stored, together (soft: kept in the audit trail)."""
    batch = _batch(import_batch_id)
    removed = import_service.undo(current_user, batch)
    return {"batch": _body(batch, read=False), "count": removed}
