"""Admins manage schools; coordinators and staff see a school's page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.models.school import School
from greenapp.models.user import ADMIN
from greenapp.permissions import SCHOOL_VIEWERS, STAFF, require_view, role_required
from greenapp.schools.forms import SchoolForm
from greenapp.services import audit
from greenapp.services import places as place_service
from greenapp.services import schools as school_service
from greenapp.services.numbers import format_number
from greenapp.services.units import CATEGORIES, CATEGORY_LABELS

bp = Blueprint("schools", __name__)


def _input(form: SchoolForm) -> school_service.SchoolInput:
    return school_service.SchoolInput(
        name=form.name.data or "",
        city=form.city.data or "",
        country="",
        address=form.address.data or "",
        pupils=form.pupils.data,
        joined_on=form.joined_on.data,
        targets={c: getattr(form, f"target_{c}").data for c in CATEGORIES},
    )


def _save(form: SchoolForm, school: School | None):
    with attempt(form, "name") as done:
        saved = school_service.save_school(current_user, _input(form), school)
    if not done:
        return None
    flash(_("School saved."), "success")
    missing = school_service.missing_tariffs(saved.city_ref) if saved.city_ref else []
    if missing:
        flash(
            _(
                "%(city)s has no tariff for: %(what)s. Money saved there counts as 0 "
                "until an economist adds one on the Tariffs page.",
                city=saved.city_name,
                what=", ".join(str(CATEGORY_LABELS[c]) for c in missing),
            ),
            "warning",
        )
    return redirect(url_for("schools.show", school_id=saved.id))


@bp.route("/")
@role_required(*STAFF)
def index():
    """All schools, grouped by country and city."""
    return render_template("schools/index.html", schools=school_service.all_schools())


@bp.route("/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new():
    """Add a school to the programme."""
    form = SchoolForm()
    if form.validate_on_submit():
        done = _save(form, None)
        if done:
            return done
    return render_template(
        "schools/form.html", form=form, school=None, cities=place_service.all_cities()
    )


@bp.route("/<int:school_id>")
@role_required(*SCHOOL_VIEWERS)
def show(school_id: int):
    """A school's details, targets, coordinators and change history."""
    school = require_view(db.session.get(School, school_id))
    return render_template(
        "schools/show.html", school=school, history=audit.history("school", school.id)
    )


@bp.route("/<int:school_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def edit(school_id: int):
    """Change a school's details or targets."""
    school = db.session.get(School, school_id) or abort(404)
    form = SchoolForm(obj=school if request.method == "GET" else None)
    if request.method == "GET":
        form.city.data = school.city_name
        for category in CATEGORIES:
            value = school.target_for(category)
            getattr(form, f"target_{category}").data = "" if value is None else format_number(value)
    if form.validate_on_submit():
        done = _save(form, school)
        if done:
            return done
    return render_template(
        "schools/form.html", form=form, school=school, cities=place_service.all_cities()
    )
