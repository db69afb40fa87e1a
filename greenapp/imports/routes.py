"""Upload a spreadsheet of eco-actions, check it (dry run), import it, undo it."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from greenapp.extensions import db
from greenapp.imports.common import batch_action, get_batch, shown_rows
from greenapp.imports.forms import ColumnsForm, UploadForm
from greenapp.main.errors import attempt
from greenapp.models.imports import TARGET_ENTRIES, ImportBatch
from greenapp.models.school import School
from greenapp.permissions import IMPORTERS, can, role_required
from greenapp.services import imports as import_service
from greenapp.services.errors import ValidationFailed

bp = Blueprint("imports", __name__)
SHOWN_ROWS = 1000  # rows listed on the page; the error file has them all


def _form(formdata: object = True) -> UploadForm:
    form = UploadForm() if formdata else UploadForm(formdata=None)
    if can("import_for_any_school"):
        form.school_id.choices = [
            (s.id, s.name) for s in db.session.scalars(select(School).order_by(School.name))
        ]
    return form


def _index(form: UploadForm, status: int = 200):
    batches = db.session.scalars(import_service.visible_batches(current_user).limit(50)).all()
    return render_template(
        "imports/index.html",
        form=form,
        batches=batches,
        max_mb=import_service.MAX_BYTES // (1024 * 1024),
        max_rows=import_service.MAX_ROWS,
    ), status


UPLOAD_LIMIT = import_service.MAX_BYTES + 256 * 1024  # the file plus the form around it


def _raise_upload_limit() -> None:
    """The app-wide request limit is smaller than an import's: raise it for the upload.

    Runs before every other before_request hook (CSRF reads the body), only for the upload.
    """
    if request.endpoint == "imports.index" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


@bp.record_once
def _install(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limit)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """A file above the limit gets a message on the upload page, not a bare 413."""
    if not can("import"):
        return render_template("errors/generic.html", code=413), 413
    form = _form(formdata=None)  # the body is not read: it is too large
    form.file.errors = [import_service._too_big()]
    return _index(form, 413)


@bp.route("/", methods=["GET", "POST"])
@role_required(*IMPORTERS)
def index():
    """The upload form and the school's past imports; a POST runs the dry run."""
    if request.method == "GET":
        return _index(_form())
    form = _form()
    if not form.validate_on_submit():
        return _index(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a file to upload.")]
        return _index(form, 400)
    content = upload.read(import_service.MAX_BYTES + 1)
    with attempt(form, "file") as saved:  # a message on the school choice, else the file
        school = import_service.school_for(current_user, form.school_id.data)
        batch = import_service.preview(current_user, school, upload.filename, content)
    if not saved:
        return _index(form, 400)
    return redirect(url_for("imports.show", import_batch_id=batch.id))


@bp.route("/template.xlsx")
@role_required(*IMPORTERS)
def template():
    """An empty XLSX in the reader's language with dropdown lists."""
    return Response(
        import_service.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="greenapp-import.xlsx"'},
    )


def _batch(batch_id: int) -> ImportBatch:
    return get_batch(batch_id, import_service.can_manage, TARGET_ENTRIES)


def _analysis(batch: ImportBatch):
    if batch.content is None:
        return None
    try:
        return import_service.analyse(batch.content, batch.school, batch.columns)
    except ValidationFailed:
        return None


@bp.route("/<int:import_batch_id>")
@role_required(*IMPORTERS)
def show(import_batch_id: int):
    """The dry run: every row marked new, duplicate or invalid, with the reason."""
    batch = _batch(import_batch_id)
    if import_service.needs_columns(batch):
        return redirect(url_for("imports.columns", import_batch_id=batch.id))
    analysis = _analysis(batch) if batch.status == import_service.BATCH_PREVIEW else None
    rows = shown_rows(analysis, SHOWN_ROWS)
    return render_template(
        "imports/show.html",
        batch=batch,
        analysis=analysis,
        rows=rows,
        shown=SHOWN_ROWS,
        labels=import_service.STATUS_LABELS,
    )


@bp.route("/<int:import_batch_id>/errors.csv")
@role_required(*IMPORTERS)
def errors(import_batch_id: int):
    """The original rows plus a status and a reason column."""
    batch = _batch(import_batch_id)
    analysis = _analysis(batch)
    if analysis is None:
        abort(404)
    return Response(
        import_service.error_csv(analysis),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="greenapp-import-{batch.id}-checked.csv"'
        },
    )


def _batch_action(action, import_batch_id: int) -> int | None:
    """Run commit or undo on a batch in one transaction: its count, or None after a
    refusal (flashed; nothing changed). Someone else's batch is a 403."""
    return batch_action(action, _batch(import_batch_id))


@bp.route("/<int:import_batch_id>/commit", methods=["POST"])
@role_required(*IMPORTERS)
def commit(import_batch_id: int):
    """Store every new row as one batch, or nothing at all."""
    added = _batch_action(import_service.commit, import_batch_id)
    if added is None:
        return redirect(url_for("imports.show", import_batch_id=import_batch_id)), 303
    flash(ngettext("Imported %(num)d entry.", "Imported %(num)d entries.", added), "success")
    return redirect(url_for("imports.show", import_batch_id=import_batch_id))


@bp.route("/<int:import_batch_id>/undo", methods=["POST"])
@role_required(*IMPORTERS)
def undo(import_batch_id: int):
    """Soft-delete every entry of the batch together."""
    removed = _batch_action(import_service.undo, import_batch_id)
    if removed is None:
        return redirect(url_for("imports.show", import_batch_id=import_batch_id)), 303
    flash(
        ngettext("Undone: %(num)d entry deleted.", "Undone: %(num)d entries deleted.", removed),
        "success",
    )
    return redirect(url_for("imports.show", import_batch_id=import_batch_id))


NO_COLUMN = -1


@bp.route("/<int:import_batch_id>/columns", methods=["GET", "POST"])
@role_required(*IMPORTERS)
def columns(import_batch_id: int):
    """Map the file's columns to fields; the mapping is remembered for the school."""
    batch = _batch(import_batch_id)
    if batch.status != import_service.BATCH_PREVIEW or batch.content is None:
        return redirect(url_for("imports.show", import_batch_id=batch.id))
    try:
        header = import_service.file_header(batch)
    except ValidationFailed:
        abort(404)  # the stored file was refused at upload: no batch would exist
    form = ColumnsForm()
    choices = [(NO_COLUMN, _("(none)"))] + [
        (i, h or _("column %(num)d", num=i + 1)) for i, h in enumerate(header)
    ]
    current = import_service.mapped(header, batch.columns)
    for name in import_service.FIELDS:
        field = getattr(form, name)
        field.choices = choices
        if request.method == "GET":
            field.data = current.get(name, NO_COLUMN)
    status, page_errors = 200, []
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = {
                name: getattr(form, name).data
                for name in import_service.FIELDS
                if getattr(form, name).data not in (None, NO_COLUMN)
            }
            try:
                import_service.set_columns(current_user, batch, chosen)
            except ValidationFailed as exc:  # PermissionDenied goes to the handlers (403)
                db.session.rollback()
                target = getattr(form, exc.field or "", None)
                if exc.field in import_service.FIELDS and target is not None:
                    target.errors = [*target.errors, str(exc.message)]
                else:
                    page_errors.append(str(exc.message))
            else:
                db.session.commit()
                return redirect(url_for("imports.show", import_batch_id=batch.id))
        status = 400
    missing = [import_service.FIELD_LABELS[f] for f in import_service.REQUIRED if f not in current]
    return render_template(
        "imports/columns.html",
        batch=batch,
        form=form,
        fields=import_service.FIELDS,
        required=import_service.REQUIRED,
        missing=missing,
        header=header,
        page_errors=page_errors,
    ), status
