"""Admins upload spreadsheets of schools or accounts: dry run, import, undo."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from greenapp.extensions import db
from greenapp.imports.common import get_batch, shown_rows
from greenapp.imports.forms import MeterUploadForm as UploadForm
from greenapp.main.errors import attempt
from greenapp.models.imports import ImportBatch
from greenapp.permissions import ADMIN_IMPORTERS, role_required
from greenapp.services import imports as import_service
from greenapp.services import imports_admin as service

bp = Blueprint("imports_admin", __name__)
SHOWN_ROWS = 1000


def _index(target: str, form: UploadForm, status: int = 200):
    batches = db.session.scalars(service.visible_batches(current_user, target).limit(50)).all()
    return render_template(
        "imports/admin_index.html",
        form=form,
        batches=batches,
        target=target,
        title=service.TITLES[target],
        fields=service.FIELD_LABELS[target],
        required=service.REQUIRED[target],
    ), status


def _upload(target: str):
    form = UploadForm()
    if request.method == "GET":
        return _index(target, form)
    if not form.validate_on_submit():
        return _index(target, form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [_("Choose a file to upload.")]
        return _index(target, form, 400)
    content = upload.read(import_service.MAX_BYTES + 1)
    with attempt(form, "file") as saved:
        batch = service.preview(current_user, target, upload.filename, content)
    if not saved:
        return _index(target, form, 400)
    return redirect(url_for("imports_admin.show", import_batch_id=batch.id))


@bp.route("/schools/", methods=["GET", "POST"])
@role_required(*ADMIN_IMPORTERS)
def schools():
    """Upload a spreadsheet of schools (dry run on POST)."""
    return _upload(service.TARGET_SCHOOLS)


@bp.route("/accounts/", methods=["GET", "POST"])
@role_required(*ADMIN_IMPORTERS)
def accounts():
    """Upload a spreadsheet of accounts (dry run on POST)."""
    return _upload(service.TARGET_ACCOUNTS)


def _template(target: str) -> Response:
    return Response(
        service.template_xlsx(target),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="greenapp-{target}.xlsx"'},
    )


@bp.route("/schools/template.xlsx")
@role_required(*ADMIN_IMPORTERS)
def schools_template():
    """An empty XLSX of schools in the reader's language."""
    return _template(service.TARGET_SCHOOLS)


@bp.route("/accounts/template.xlsx")
@role_required(*ADMIN_IMPORTERS)
def accounts_template():
    """An empty XLSX of accounts in the reader's language."""
    return _template(service.TARGET_ACCOUNTS)


def _batch(batch_id: int) -> ImportBatch:
    return get_batch(batch_id, service.can_manage)


@bp.route("/<int:import_batch_id>")
@role_required(*ADMIN_IMPORTERS)
def show(import_batch_id: int):
    """The dry run: every row marked new, duplicate or invalid, with the reason."""
    batch = _batch(import_batch_id)
    analysis = service.stored_analysis(current_user, batch)
    rows = shown_rows(analysis, SHOWN_ROWS)
    return render_template(
        "imports/admin_show.html",
        batch=batch,
        analysis=analysis,
        rows=rows,
        shown=SHOWN_ROWS,
        labels=import_service.STATUS_LABELS,
        back=url_for(f"imports_admin.{batch.target}"),
    )


@bp.route("/<int:import_batch_id>/errors.csv")
@role_required(*ADMIN_IMPORTERS)
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
            "Content-Disposition": f'attachment; filename="greenapp-{batch.target}-{batch.id}-checked.csv"'
        },
    )


@bp.route("/<int:import_batch_id>/commit", methods=["POST"])
@role_required(*ADMIN_IMPORTERS)
def commit(import_batch_id: int):
    """Store every new row, or nothing at all; new accounts get the confirmation mail."""
    batch = _batch(import_batch_id)
    with attempt() as done:
        added = service.commit(current_user, batch)
    if done:
        flash(ngettext("Imported %(num)d row.", "Imported %(num)d rows.", added), "success")
    return redirect(url_for("imports_admin.show", import_batch_id=import_batch_id)), 303


@bp.route("/<int:import_batch_id>/undo", methods=["POST"])
@role_required(*ADMIN_IMPORTERS)
def undo(import_batch_id: int):
    """Deactivate unused accounts, or delete schools nothing refers to."""
    batch = _batch(import_batch_id)
    with attempt() as done:
        undone, kept = service.undo(current_user, batch)
    if done:
        flash(
            ngettext("Undone: %(num)d row.", "Undone: %(num)d rows.", undone)
            + (
                ""
                if not kept
                else " "
                + ngettext(
                    "%(num)d account was already used and is kept.",
                    "%(num)d accounts were already used and are kept.",
                    kept,
                )
            ),
            "success",
        )
    return redirect(url_for("imports_admin.show", import_batch_id=import_batch_id)), 303
