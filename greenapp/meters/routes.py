"""Meters, readings and baselines of a school; measured savings against the baseline."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from greenapp.evidence import uploads
from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.meters.forms import (
    BaselineForm,
    MeterEditForm,
    MeterForm,
    ReadingForm,
    ReviewForm,
    TemperatureForm,
)
from greenapp.models.meters import Meter, MeterReading
from greenapp.models.school import School
from greenapp.models.user import ADMIN, COORDINATOR, RESIDENT, SCIENTIST, STAFF_ROLES
from greenapp.permissions import role_required
from greenapp.services import evidence as evidence_service
from greenapp.services import meters as meter_service
from greenapp.services.clock import today_in
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.safe_redirect import safe_next

bp = Blueprint("meters", __name__)
VIEWERS = (COORDINATOR, *STAFF_ROLES)
# A meter's own page: school meters as their school, household meters to the resident.
METER_VIEWERS = (COORDINATOR, RESIDENT, *STAFF_ROLES)
METER_EDITORS = (COORDINATOR, RESIDENT)


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None or not meter_service.can_view_school(current_user, school_id):
        abort(404)
    return school


def _meter(meter_id: int) -> Meter:
    meter = db.session.get(Meter, meter_id)
    if meter is None or not meter_service.can_view_meter(current_user, meter):
        abort(404)
    return meter


@bp.route("/")
@role_required(*METER_VIEWERS)
def index():
    """A coordinator goes to their school's meters, a resident to their household's;
    staff pick a school."""
    if current_user.role == RESIDENT:
        return redirect(url_for("meters.home"))
    if current_user.role == COORDINATOR:
        if current_user.school_id is None:
            abort(404)
        return redirect(url_for("meters.school", school_id=current_user.school_id))
    schools = db.session.scalars(db.select(School).order_by(School.city, School.name))
    return render_template("meters/index.html", schools=list(schools))


def _school_page(
    school: School, meter_form: MeterForm, baseline_form: BaselineForm, status: int = 200
):
    meters = list(
        db.session.scalars(
            db.select(Meter).where(Meter.school_id == school.id).order_by(Meter.kind, Meter.id)
        )
    )
    today = today_in(school.timezone)
    start = meter_service.add_months(today.replace(day=1), -12)
    boards = meter_service.school_boards(school, start, today)
    return render_template(
        "meters/school.html",
        school=school,
        meters=meters,
        meter_form=meter_form,
        baseline_form=baseline_form,
        baseline=meter_service.baseline_of(school.id),
        boards=boards,
        can_edit=meter_service.can_edit_school(current_user, school.id),
    ), status


@bp.route("/school/<int:school_id>")
@role_required(*VIEWERS)
def school(school_id: int):
    """A school's meters, its baseline and the measured saving of the last 12 months."""
    school = _school(school_id)
    baseline_form = BaselineForm()
    base = meter_service.baseline_of(school.id)
    baseline_form.mode.data = base.mode if base else baseline_form.mode.default
    baseline_form.baseline_pupils.data = str(base.baseline_pupils if base else school.pupils)
    baseline_form.heat_degree_days.data = bool(base and base.heat_degree_days)
    return _school_page(school, MeterForm(), baseline_form)


@bp.route("/school/<int:school_id>/meters", methods=["POST"])
@role_required(COORDINATOR)
def add_meter(school_id: int):
    """Add a meter to the coordinator's own school."""
    school = _school(school_id)
    form = MeterForm()
    if form.validate_on_submit():
        try:
            meter = meter_service.add_meter(
                current_user,
                school,
                meter_service.MeterInput(
                    kind=form.kind.data,
                    unit=form.unit.data,
                    name=form.name.data or "",
                    serial=form.serial.data or "",
                ),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_("Meter added. Enter its first reading."), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return _school_page(school, form, BaselineForm(formdata=None), 400)


@bp.route("/school/<int:school_id>/baseline", methods=["POST"])
@role_required(COORDINATOR)
def baseline(school_id: int):
    """Choose the school's baseline."""
    school = _school(school_id)
    form = BaselineForm()
    if form.validate_on_submit():
        try:
            meter_service.set_baseline(
                current_user,
                school,
                meter_service.BaselineInput(
                    mode=form.mode.data,
                    baseline_pupils=form.baseline_pupils.data or "",
                    heat_degree_days=bool(form.heat_degree_days.data),
                ),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "mode")
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_("Baseline saved."), "success")
            return redirect(url_for("meters.school", school_id=school.id))
    return _school_page(school, MeterForm(formdata=None), form, 400)


@bp.route("/home")
@role_required(RESIDENT)
def home():
    """A resident's household meters (visible to them only) and their derived use."""
    return _home_page(MeterForm())


def _home_page(form: MeterForm, status: int = 200):
    meters = meter_service.household_meters(current_user)
    return render_template(
        "meters/home.html",
        meters=meters,
        meter_form=form,
        uses={m.id: meter_service.intervals(m)[-3:] for m in meters},
    ), status


@bp.route("/home/meters", methods=["POST"])
@role_required(RESIDENT)
def add_household_meter():
    """Add a water or electricity (or heat, gas) meter of the resident's household."""
    form = MeterForm()
    if form.validate_on_submit():
        try:
            meter = meter_service.add_meter(
                current_user,
                None,
                meter_service.MeterInput(
                    kind=form.kind.data,
                    unit=form.unit.data,
                    name=form.name.data or "",
                    serial=form.serial.data or "",
                ),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        else:
            db.session.commit()
            flash(_("Meter added. Enter its first reading."), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return _home_page(form, 400)


def _meter_page(
    meter: Meter, form: ReadingForm, status: int = 200, edit_form: MeterEditForm | None = None
):
    readings = meter_service.readings_of(meter.id)
    dismissed = meter_service.dismissed_readings(meter.id)
    files = evidence_service.files_for_readings([r.id for r in readings + dismissed])
    if edit_form is None:
        edit_form = MeterEditForm(formdata=None, obj=meter)
    return render_template(
        "meters/meter.html",
        meter=meter,
        readings=list(reversed(readings)),
        form=form,
        dismissed=dismissed,
        files=files,
        intervals=meter_service.intervals(meter),
        can_edit=meter_service.can_edit_meter(current_user, meter),
        edit_form=edit_form,
        can_review=meter_service.can_review(current_user),
        review_form=ReviewForm(),
    ), status


@bp.route("/<int:meter_id>", methods=["GET", "POST"])
@role_required(*METER_VIEWERS)
def meter(meter_id: int):
    """A meter's readings and derived use; its coordinator (or resident) adds readings."""
    meter = _meter(meter_id)
    form = ReadingForm()
    if request.method == "GET":
        form.reading_date.data = today_in(meter_service.meter_timezone(meter))
        return _meter_page(meter, form)
    if not meter_service.can_edit_meter(current_user, meter):
        abort(403)
    if meter.archived_at is not None:  # no form on the page: say why, nothing saved
        flash(
            _("This meter is archived; bring it back into service before entering readings."),
            "error",
        )
        return _meter_page(meter, form, 400)
    if form.validate_on_submit():
        try:
            prepared = uploads.prepared_files()
            reading = meter_service.add_reading(current_user, meter, _reading_input(form))
            evidence_service.attach(current_user, prepared, reading=reading)
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "value")
        else:
            db.session.commit()
            if reading.quality_flag:
                flash(
                    _(
                        "Saved, and flagged for a check: %(why)s",
                        why=meter_service.flag_message(reading.quality_flag, meter.kind),
                    ),
                    "warning",
                )
            else:
                flash(_("Reading saved."), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    return _meter_page(meter, form, 400)


def _reading_input(form: ReadingForm) -> meter_service.ReadingInput:
    return meter_service.ReadingInput(
        kind=form.kind.data,
        reading_date=form.reading_date.data,
        value=form.value.data or "",
        period_start=form.period_start.data,
        old_final=form.old_final.data or "",
        new_serial=form.new_serial.data or "",
        note=form.note.data or "",
    )


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    """A body over the upload limit: the meter page with a message, not a bare 413."""
    meter_id = (request.view_args or {}).get("meter_id")
    # Raised while CSRF reads the body, before the access check: only editors get a form.
    if (
        meter_id is None
        or not current_user.is_authenticated
        or current_user.role not in METER_EDITORS
    ):
        return render_template("errors/generic.html", code=413), 413
    meter = _meter(meter_id)
    form = ReadingForm(formdata=None)
    form.reading_date.data = today_in(meter_service.meter_timezone(meter))
    form.files.errors = [uploads.too_large_message()]
    return _meter_page(meter, form, 413)


@bp.route("/<int:meter_id>/edit", methods=["POST"])
@role_required(*METER_EDITORS)
def edit_meter(meter_id: int):
    """Rename a meter or correct its serial number."""
    meter = _meter(meter_id)
    if not meter_service.can_edit_meter(current_user, meter):
        abort(403)
    form = MeterEditForm()
    if form.validate_on_submit():
        try:
            meter_service.edit_meter(
                current_user, meter, form.name.data or "", form.serial.data or ""
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "name")
        else:
            db.session.commit()
            flash(_("Meter saved."), "success")
            return redirect(url_for("meters.meter", meter_id=meter.id))
    reading_form = ReadingForm(formdata=None)
    reading_form.reading_date.data = today_in(meter_service.meter_timezone(meter))
    return _meter_page(meter, reading_form, 400, edit_form=form)


@bp.route("/<int:meter_id>/archive", methods=["POST"])
@role_required(*METER_EDITORS)
def archive_meter(meter_id: int):
    """Archive a meter taken out of service, or bring it back (readings are kept)."""
    meter = _meter(meter_id)
    if not meter_service.can_edit_meter(current_user, meter):
        abort(403)
    archive = meter.archived_at is None
    meter_service.set_archived(current_user, meter, archive)
    db.session.commit()
    flash(
        _("Meter archived: its readings are kept and it no longer enters the figures.")
        if archive
        else _("Meter back in service."),
        "success",
    )
    return redirect(url_for("meters.meter", meter_id=meter.id))


@bp.route("/reading/<int:reading_id>/review", methods=["POST"])
@role_required(SCIENTIST, ADMIN)
def review_reading(reading_id: int):
    """A scientist closes a flagged reading: it stands (verified) or is dismissed."""
    reading = db.session.get(MeterReading, reading_id)
    if reading is None or reading.deleted_at is not None or reading.meter.school_id is None:
        abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        meter_service.review_reading(current_user, reading, form.verdict.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(
            _("Reading verified: it stands as read.")
            if reading.review_status == "verified"
            else _("Reading dismissed: it no longer enters the use; it stays in the record."),
            "success",
        )
    return redirect(
        safe_next(request.form.get("next")) or url_for("meters.meter", meter_id=reading.meter_id)
    )


@bp.route("/reading/<int:reading_id>/delete", methods=["POST"])
@role_required(*METER_EDITORS)
def delete_reading(reading_id: int):
    """Remove the latest reading of a meter (kept in the record)."""
    reading = db.session.get(MeterReading, reading_id)
    if (
        reading is None
        or reading.deleted_at is not None
        or not meter_service.can_edit_meter(current_user, reading.meter)
    ):
        abort(404)
    try:
        meter_service.delete_reading(current_user, reading)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Reading removed. It stays in the change history."), "success")
    return redirect(url_for("meters.meter", meter_id=reading.meter_id))


@bp.route("/school/<int:school_id>/measured.csv")
@role_required(*VIEWERS)
def measured_csv(school_id: int):
    """The measured-vs-baseline figures per month and kind, as CSV."""
    school = _school(school_id)
    today = today_in(school.timezone)
    date_from = request.args.get("from", type=_iso) or meter_service.add_months(
        today.replace(day=1), -12
    )
    date_to = request.args.get("to", type=_iso) or today
    return Response(
        meter_service.measured_csv(school, date_from, date_to),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="school-{school.id}-measured.csv"'},
    )


def _iso(text: str):
    from datetime import date

    return date.fromisoformat(text)


@bp.app_template_global("measured_boards")
def measured_boards(school_id: int, date_from, date_to) -> list:
    """For the school dashboard's measured section (templates/meters/_measured.html)."""
    school = db.session.get(School, school_id)
    return meter_service.school_boards(school, date_from, date_to) if school else []


@bp.app_context_processor
def _labels() -> dict:
    return {
        "METER_LABELS": meter_service.METER_LABELS,
        "UNIT_NAMES": meter_service.UNIT_NAMES,
        "READING_LABELS": meter_service.READING_LABELS,
        "BASELINE_LABELS": meter_service.BASELINE_LABELS,
        "CANONICAL": meter_service.CANONICAL,
        "reading_flag": meter_service.flag_message,
    }


@bp.app_template_global("measured_ranking")
def measured_ranking(scope, category: str):
    """For the programme overview (templates/meters/_ranking.html)."""
    from types import SimpleNamespace

    from greenapp.services import stats

    kind = meter_service.KIND_FOR_CATEGORY.get(category, "water")
    rows = meter_service.programme_ranking(
        kind, scope.date_from, scope.date_to, stats.schools_in(scope)
    )
    return SimpleNamespace(kind=kind, rows=rows)


@bp.app_template_global("flagged_readings")
def flagged_readings() -> list:
    """Meter readings flagged as implausible jumps (for the scientists' quality queue)."""
    return meter_service.flagged_readings()


@bp.route("/weather")
@role_required(*STAFF_ROLES)
def weather():
    """Cities' monthly outdoor temperatures, for heat baselines by degree-days.
    Scientists and admins enter or import them; the other staff read them."""
    return _weather_page(TemperatureForm())


def _weather_page(form: TemperatureForm, status: int = 200):
    from greenapp.models.place import City

    cities = list(db.session.scalars(db.select(City).order_by(City.name_en)))
    form.city_id.choices = [(c.id, c.display_name) for c in cities]
    series = {c.id: sorted(meter_service.temperatures(c.id).items(), reverse=True) for c in cities}
    return render_template(
        "meters/weather.html",
        cities=cities,
        series=series,
        form=form,
        can_enter=meter_service.can_enter_weather(current_user),
        degree_days=meter_service.degree_days,
    ), status


@bp.route("/weather", methods=["POST"])
@role_required(SCIENTIST, ADMIN)
def weather_save():
    """Store typed, pasted or imported monthly temperatures of a city (all or nothing)."""
    from greenapp.models.place import City

    form = TemperatureForm()
    form.city_id.choices = [(c.id, "") for c in db.session.scalars(db.select(City))]
    if form.validate_on_submit():
        try:
            city = db.session.get(City, form.city_id.data or 0)
            if city is None:
                raise ValidationFailed(_("Choose a city."), "city_id")
            text = form.lines.data or ""
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                try:
                    text = upload.read(200_000).decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise ValidationFailed(_("The file is not UTF-8 text (CSV)."), "file") from None
            rows = meter_service.parse_temperature_lines(text)
            changed = meter_service.set_temperatures(
                current_user, city.id, rows, form.source.data or ""
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_error(form, exc, "lines")
        except PermissionDenied:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(ngettext("%(num)s month saved.", "%(num)s months saved.", changed), "success")
            return redirect(url_for("meters.weather"))
    return _weather_page(form, 400)
