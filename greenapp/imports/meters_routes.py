"""Upload a spreadsheet of meter readings, check it (dry run), import it, undo it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from greenapp.extensions import db
from greenapp.imports.common import batch_action, get_batch, shown_rows
from greenapp.imports.forms import MeterUploadForm
from greenapp.main.errors import attempt
from greenapp.models.imports import ImportBatch
from greenapp.permissions import METER_IMPORTERS, role_required
from greenapp.services import imports as import_service
from greenapp.services import imports_meters as service

bp = Blueprint("imports_meters", __name__)
SHOWN_ROWS = 1000
UPLOADS = {"imports_meters.index", "imports_admin.schools", "imports_admin.accounts"}


def _raise_upload_limit() -> None:
    """The entries import's upload limit for these uploads too (before CSRF reads the body)."""
    if request.endpoint in UPLOADS and request.method == "POST":
        request.max_content_length = import_service.MAX_BYTES + 256 * 1024


@bp.record_once
def _install(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """A file above the limit gets a message on the upload page, not a bare 413."""
    form = MeterUploadForm(formdata=None)
    form.file.errors = [import_service._too_big()]
    return _index(form, 413)


def _index(form: MeterUploadForm, status: int = 200):
    batches = db.session.scalars(service.visible_batches(current_user).limit(50)).all()
    return render_template(
        "imports/meters_index.html", form=form, batches=batches, fields=service.FIELD_LABELS
    ), status


@bp.route("/", methods=["GET", "POST"])
@role_required(*METER_IMPORTERS)
def index():
    """The upload form and the school's past meter imports; a POST runs the dry run."""
    form = MeterUploadForm()
    if request.method == "GET":
        return _index(form)
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a file to upload.")]
        return _index(form, 400)
    content = upload.read(import_service.MAX_BYTES + 1)
    with attempt(form, "file") as saved:
        batch = service.preview(current_user, upload.filename, content)
    if not saved:
        return _index(form, 400)
    return redirect(url_for("imports_meters.show", import_batch_id=batch.id))


@bp.route("/template.xlsx")
@role_required(*METER_IMPORTERS)
def template():
    """An empty XLSX of meter readings in the reader's language."""
    return Response(
        service.template_xlsx(current_user.school),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="greenapp-meter-readings.xlsx"'},
    )


def _batch(batch_id: int) -> ImportBatch:
    return get_batch(batch_id, service.can_manage)


@bp.route("/<int:import_batch_id>")
@role_required(*METER_IMPORTERS)
def show(import_batch_id: int):
    """The dry run: every row marked new, duplicate or invalid, with the reason."""
    batch = _batch(import_batch_id)
    analysis = service.stored_analysis(current_user, batch)
    rows = shown_rows(analysis, SHOWN_ROWS)
    return render_template(
        "imports/meters_show.html",
        batch=batch,
        analysis=analysis,
        rows=rows,
        shown=SHOWN_ROWS,
        labels=import_service.STATUS_LABELS,
    )


@bp.route("/<int:import_batch_id>/errors.csv")
@role_required(*METER_IMPORTERS)
def errors(import_batch_id: int):
    """The original rows plus a status and a reason column."""
    batch = _batch(import_batch_id)
    analysis = service.stored_analysis(current_user, batch)
    if analysis is None:
        abort(404)
    return Response(
        import_service.error_csv(analysis),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="greenapp-meter-import-{batch.id}-checked.csv"'
        },
    )


def _batch_action(action, import_batch_id: int) -> int | None:
    return batch_action(action, _batch(import_batch_id))


@bp.route("/<int:import_batch_id>/commit", methods=["POST"])
@role_required(*METER_IMPORTERS)
def commit(import_batch_id: int):
    """Store every new reading, or nothing at all."""
    added = _batch_action(service.commit, import_batch_id)
    if added is None:
        return redirect(url_for("imports_meters.show", import_batch_id=import_batch_id)), 303
    flash(ngettext("Imported %(num)d reading.", "Imported %(num)d readings.", added), "success")
    return redirect(url_for("imports_meters.show", import_batch_id=import_batch_id))


@bp.route("/<int:import_batch_id>/undo", methods=["POST"])
@role_required(*METER_IMPORTERS)
def undo(import_batch_id: int):
    """Remove every reading of the batch."""
    removed = _batch_action(service.undo, import_batch_id)
    if removed is None:
        return redirect(url_for("imports_meters.show", import_batch_id=import_batch_id)), 303
    flash(
        ngettext("Undone: %(num)d reading removed.", "Undone: %(num)d readings removed.", removed),
        "success",
    )
    return redirect(url_for("imports_meters.show", import_batch_id=import_batch_id))
