"""Serve evidence files to exactly those who may see their entry or reading."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user

from greenapp.extensions import db
from greenapp.models.evidence import FILE_PDF, EvidenceFile
from greenapp.models.user import COORDINATOR, RESIDENT, STAFF_ROLES
from greenapp.permissions import role_required
from greenapp.services import evidence as evidence_service
from greenapp.services.storage import get_storage

bp = Blueprint("evidence", __name__)
VIEWERS = (COORDINATOR, RESIDENT, *STAFF_ROLES)
# A PDF can carry scripts and forms: it is only ever a download, and even if a browser
# rendered it the sandbox allows nothing.
PDF_CSP = "sandbox; default-src 'none'; object-src 'none'; frame-ancestors 'none'"


def _file(file_id: int) -> EvidenceFile:
    f = db.session.get(EvidenceFile, file_id)
    if f is None or not evidence_service.can_view(current_user, f):
        abort(404)  # another owner's file is not even confirmed to exist
    return f


def _send(data: bytes, f: EvidenceFile, thumb: bool) -> Response:
    resp = Response(data, mimetype="image/jpeg" if thumb else f.content_type)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if f.file_type == FILE_PDF and not thumb:
        name = f"evidence-{f.id}.pdf"
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Content-Security-Policy"] = PDF_CSP
    else:
        resp.headers["Content-Disposition"] = f'inline; filename="evidence-{f.id}.jpg"'
    return resp


@bp.route("/<int:file_id>")
@role_required(*VIEWERS)
def show(file_id: int):
    """The stored file: a cleaned image inline, or a PDF as a download."""
    f = _file(file_id)
    try:
        data = get_storage().get(f.sha256)
    except KeyError:
        abort(404)
    return _send(data, f, thumb=False)


@bp.route("/<int:file_id>/thumb")
@role_required(*VIEWERS)
def thumb(file_id: int):
    """A small JPEG of an image file (404 for PDFs, which have none)."""
    f = _file(file_id)
    if not f.thumb_sha256:
        abort(404)
    try:
        data = get_storage().get(f.thumb_sha256)
    except KeyError:
        abort(404)
    return _send(data, f, thumb=True)


@bp.app_template_global("evidence_for_logs")
def evidence_for_logs(logs) -> dict:
    """Files of the listed entries in one query (for lists such as the quality queue)."""
    return evidence_service.files_for_logs([log.id for log in logs])
