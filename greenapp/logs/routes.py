"""Log, list, filter, edit and delete eco-actions; view their audit trail."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from greenapp.csrf_tokens import csrf_token
from greenapp.evidence import uploads
from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.logs.forms import DeleteForm, FilterForm, LogForm
from greenapp.main.guards import page_number
from greenapp.models.log import EcoLog
from greenapp.models.user import ADMIN, COORDINATOR, STAFF_ROLES
from greenapp.ops.sqlite import lock_when_writing
from greenapp.permissions import LOGGERS, role_required
from greenapp.services import audit, log_export
from greenapp.services import evidence as evidence_service
from greenapp.services import logs as log_service
from greenapp.services.clock import today_in
from greenapp.services.downloads import content_disposition
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.numbers import format_number
from greenapp.services.pipeline import stored_already

bp = Blueprint("logs", __name__)
PER_PAGE = 50
SAVED = "saved"  # the list's query argument naming the entry just saved
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _input(form: LogForm) -> log_service.LogInput:
    return log_service.LogInput(
        category=form.category.data,
        quantity=form.quantity.data or "",
        unit=form.unit.data,
        action_date=form.action_date.data,
        evidence=form.evidence.data,
        fraction=form.fraction.data or "",
        note=form.note.data or "",
        client_uuid=form.client_uuid.data or None,
    )


def _get_log(log_id: int) -> EcoLog:
    log = db.session.get(EcoLog, log_id)
    if log is None:
        abort(404)
    if not log_service.can_view(current_user, log):
        abort(404)  # other owners' logs are not even confirmed to exist
    return log


def _owner_tz() -> str | None:
    school = current_user.school if current_user.role == COORDINATOR else None
    return school.timezone if school else None


def _filter() -> tuple[FilterForm, log_service.LogFilter]:
    form = FilterForm(request.args)
    form.validate()
    category = form.category.data if not form.category.errors else None
    flt = log_service.LogFilter(
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
        category=category or None,
        include_deleted=form.deleted.data == "1",
    )
    return form, flt


@bp.route("/")
@role_required(*LOGGERS, *STAFF_ROLES)
def index():
    """The logs this user may see, filtered, with exact totals per category."""
    form, flt = _filter()
    # Owners are shown per row: load them with the page, not one query per row.
    stmt = log_service.visible_logs(current_user, flt).options(
        selectinload(EcoLog.school), selectinload(EcoLog.resident)
    )
    page = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    count_stmt = log_service.visible_logs(
        current_user,
        log_service.LogFilter(date_from=flt.date_from, date_to=flt.date_to, category=flt.category),
    )
    totals = log_service.totals_by_category(count_stmt)
    args = {k: v for k, v in request.args.items() if k not in ("page", SAVED)}
    files = evidence_service.files_for_logs([log.id for log in page.items])
    return render_template(
        "logs/index.html",
        page=page,
        form=form,
        totals=totals,
        args=args,
        flt=flt,
        can_log=current_user.role in LOGGERS,
        delete_form=DeleteForm(),
        files=files,
        saved_notice=_saved_notice(),
    )


def _saved_notice() -> str | None:
    """ "Saved: 1,200 L." for the entry the list was reached from (`?saved=<id>`, the
    redirect after a save), made here in the reader's language; only for its author.

    The form's answer names the entry in the redirect instead of flashing the message:
    a flash rewrites the signed session cookie twice per save (the POST adds it, the
    next page removes it). The query string carries an id only, never text, and a
    link naming someone else's entry shows nothing.
    """
    raw = request.args.get(SAVED, "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    log = db.session.get(EcoLog, int(raw))
    if log is None or log.created_by_id != current_user.id or log.deleted_at is not None:
        return None
    return _("Saved: %(qty)s %(unit)s.", qty=_qty(log.quantity), unit=_unit(log.category))


@bp.route("/export.csv")
@role_required(*LOGGERS, *STAFF_ROLES)
def export_csv():
    """The entries of the list's current filter as CSV (UTF-8 with BOM)."""
    return _export("csv")


@bp.route("/export.xlsx")
@role_required(*LOGGERS, *STAFF_ROLES)
def export_xlsx():
    """The entries of the list's current filter as an XLSX workbook."""
    return _export("xlsx")


def _export(fmt: str) -> Response:
    _form, flt = _filter()
    stmt = log_service.visible_logs(current_user, flt)
    name = f"eco-actions-{today_in(_owner_tz()):%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        body, mimetype = log_export.to_xlsx(stmt), XLSX
    else:
        body, mimetype = log_export.to_csv(stmt).encode("utf-8"), "text/csv"
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp


@bp.route("/new", methods=["GET", "POST"])
@lock_when_writing  # reads and checks without the write lock (ops/sqlite.py)
@role_required(*LOGGERS)
def new():
    """Log an eco-action for one's school (coordinator) or oneself (resident).

    The offline queue (static/js/offline.js) posts the same form with
    ``Accept: application/json`` and gets ``{ok, id, url}`` or ``{ok: false, errors}``;
    the form's ``client_uuid`` makes a repeat send return the first entry, adding nothing.
    """
    form = LogForm()
    as_json = wants_json()
    if request.method == "GET":
        form.action_date.data = today_in(_owner_tz())
    if form.validate_on_submit():
        first = stored_already(current_user, form.client_uuid.data or None)
        if first is not None:
            return _saved(first.id, as_json, repeat=True)
        try:
            prepared = uploads.prepared_files()
            log = log_service.create_log(current_user, _input(form))
            uploads.attach_to_log(current_user, log, prepared, form.evidence.data)
            db.session.flush()
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "quantity")
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        except IntegrityError:
            # The same client UUID sent twice at once: the first insert stands.
            db.session.rollback()
            first = stored_already(current_user, form.client_uuid.data or None)
            if first is None:
                raise
            return _saved(first.id, as_json, repeat=True)
        else:
            log_id = log.id  # read before the commit, which expires the log
            db.session.commit()
            return _saved(log_id, as_json, repeat=False)
    if as_json and request.method == "POST":
        errors = {
            name: str(field.errors[0]) for name, field in form._fields.items() if field.errors
        }
        return jsonify(ok=False, errors=errors), 422
    return render_template("logs/form.html", form=form, log=None, files=[])


def wants_json() -> bool:
    """True for the offline queue's fetch (Accept: application/json), not a browser page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _saved(log_id: int, as_json: bool, repeat: bool):
    """The answer to a stored (or already stored) entry: JSON, or the list with a note
    (a new entry's "Saved" note is shown by the list itself, see _saved_notice)."""
    if as_json:
        return jsonify(
            ok=True, id=log_id, repeat=repeat, url=url_for("logs.show", log_id=log_id)
        ), 200 if repeat else 201
    if repeat:
        flash(_("This entry was already saved; nothing was added."), "info")
        return redirect(url_for("logs.show", log_id=log_id))
    return redirect(url_for("logs.index", **{SAVED: log_id}))


@bp.route("/token")
@role_required(*LOGGERS)
def token():
    """A fresh CSRF token for the offline queue (tokens expire), and who is signed in."""
    resp = jsonify(csrf_token=csrf_token(), user=current_user.id)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    """A missing or expired token: JSON for the offline queue, the usual page otherwise."""
    if wants_json():
        return jsonify(
            ok=False, error="csrf", message=_("The page expired; sign in again and send once more.")
        ), 400
    return render_template("errors/generic.html", code=400, csrf=True), 400


def _qty(value):
    from greenapp.services.i18n import fmt_quantity

    return fmt_quantity(value)


def _unit(category: str) -> str:
    from greenapp.services.units import CANONICAL_UNIT, UNIT_SHORT

    return str(UNIT_SHORT[CANONICAL_UNIT[category]])


def _sent_version(raw: str | None) -> int | None:
    """The entry version the form was rendered with (None when absent). A damaged one is
    -1, which is never current: the conflict path answers and nothing changes."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else -1


@bp.route("/<int:log_id>/edit", methods=["GET", "POST"])
@lock_when_writing  # reads and checks without the write lock (ops/sqlite.py)
@role_required(*LOGGERS)
def edit(log_id: int):
    """Edit an entry; a concurrent edit by someone else is refused, not overwritten."""
    log = _get_log(log_id)
    if not log_service.can_edit(current_user, log) or log.deleted_at is not None:
        abort(403)
    form = LogForm(obj=log if request.method == "GET" else None)
    if request.method == "GET":
        form.quantity.data = format_number(log.quantity_entered)
        form.unit.data = log.unit_entered
        form.version.data = str(log.version)
    status = 200
    if form.validate_on_submit():
        try:
            sent = _sent_version(form.version.data)
            expected = 0 if sent is None else sent
            prepared = uploads.prepared_files()
            log_service.update_log(current_user, log, _input(form), expected)
            uploads.attach_to_log(current_user, log, prepared, form.evidence.data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "quantity")
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            status = 409
            log = _get_log(log_id)
        else:
            db.session.commit()
            # Echo the stored value so a misread number is seen at once.
            flash(
                _("Saved: %(qty)s %(unit)s.", qty=_qty(log.quantity), unit=_unit(log.category)),
                "success",
            )
            return redirect(url_for("logs.index"))
    return render_template("logs/form.html", form=form, log=log, files=_files(log)), status


def _files(log: EcoLog | None) -> list:
    return evidence_service.files_for_logs([log.id]).get(log.id, []) if log else []


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    """A body over the upload limit: the form again with a message, not a bare 413."""
    # Raised while CSRF reads the body, before the access check: only loggers get a form.
    if not current_user.is_authenticated or current_user.role not in LOGGERS:
        return render_template("errors/generic.html", code=413), 413
    log_id = (request.view_args or {}).get("log_id")
    log = _get_log(log_id) if log_id else None
    form = LogForm(formdata=None, obj=log)
    if log is None:
        form.action_date.data = today_in(_owner_tz())
    else:
        form.quantity.data, form.unit.data = str(log.quantity_entered), log.unit_entered
        form.version.data = str(log.version)
    form.files.errors = [uploads.too_large_message()]
    return render_template("logs/form.html", form=form, log=log, files=_files(log)), 413


@bp.route("/<int:log_id>/delete", methods=["POST"])
@lock_when_writing  # reads and checks without the write lock (ops/sqlite.py)
@role_required(*LOGGERS)
def delete(log_id: int):
    """Soft-delete an entry; it stays in the audit view."""
    log = _get_log(log_id)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = _sent_version(form.version.data)
        log_service.delete_log(current_user, log, version)
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except Conflict as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("logs.index")), 303
    db.session.commit()
    flash(_("Entry deleted. It stays in the change history."), "success")
    return redirect(url_for("logs.index"))


@bp.route("/<int:log_id>")
@role_required(*LOGGERS, *STAFF_ROLES)
def show(log_id: int):
    """One entry with its full change history (including deletion)."""
    log = _get_log(log_id)
    return render_template(
        "logs/show.html",
        log=log,
        history=audit.history("log", log.id),
        files=_files(log),
        can_edit=log_service.can_edit(current_user, log),
        delete_form=DeleteForm(),
        is_admin=current_user.role == ADMIN,
    )
