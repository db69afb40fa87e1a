"""Evidence uploads on other features' forms: the request size limit and its message.

The app-wide MAX_CONTENT_LENGTH stays small (2 MB); the routes named in
UPLOAD_ENDPOINTS get EVIDENCE_MAX_REQUEST_BYTES instead, set before any other
before_request hook (CSRF reads the form, and with it the body). A body above that
answers the same form page with a message next to the file field, not a bare 413.
"""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from greenapp.models.evidence import EvidenceFile
from greenapp.models.log import EcoLog
from greenapp.models.user import User
from greenapp.services import audit
from greenapp.services import evidence as evidence_service
from greenapp.services.errors import ValidationFailed

UPLOAD_ENDPOINTS = frozenset({"logs.new", "logs.edit", "meters.meter"})
DEFAULT_MAX_REQUEST = 40 * 1024 * 1024
DOCUMENT = "document"


def register_upload_limits(app: Flask) -> None:
    """Raise the body limit for the upload routes only, ahead of the CSRF check."""

    def upload_limit() -> None:
        if request.method == "POST" and request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = int(
                app.config.get("EVIDENCE_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST)
            )

    app.before_request_funcs.setdefault(None, []).insert(0, upload_limit)


def too_large_message() -> str:
    """What a user is told when the whole upload is over the request limit."""
    from flask import current_app

    total = int(current_app.config.get("EVIDENCE_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST))
    per_file = evidence_service.limit("EVIDENCE_MAX_FILE_BYTES", evidence_service.DEFAULT_MAX_FILE)
    return str(
        _l(
            "The files were too large to receive (more than %(total)s MB together; "
            "each file at most %(each)s MB). Nothing was saved: choose smaller "
            "photos or fewer files and send the form again.",
            total=evidence_service.mb(total),
            each=evidence_service.mb(per_file),
        )
    )


def prepared_files() -> list[evidence_service.Prepared]:
    """Check the request's uploaded files (field 'files'); nothing is stored yet."""
    return evidence_service.prepare_uploads(request.files.getlist(evidence_service.FIELD))


def attach_to_log(
    actor: User, log: EcoLog, prepared: list[evidence_service.Prepared], evidence_kind: str
) -> list[EvidenceFile]:
    """Store an entry's new files; 'document or photo' needs at least one file."""
    if not prepared and evidence_kind != DOCUMENT:
        return []  # nothing to store and nothing to check: no query
    existing = evidence_service.count_for_log(log.id)
    if evidence_kind == DOCUMENT and existing + len(prepared) == 0:
        raise ValidationFailed(
            _l(
                "“Document or photo” needs the document or photo: attach at least one "
                "file, or choose another kind of evidence."
            ),
            evidence_service.FIELD,
        )
    rows = evidence_service.attach(actor, prepared, log=log)
    if rows:
        audit.record("log", log.id, "update", actor, {"files": [existing, existing + len(rows)]})
    return rows
