"""Admins manage the cities that schools, residents and tariffs refer to."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.main.errors import attempt
from greenapp.models.place import City
from greenapp.models.user import ADMIN
from greenapp.permissions import role_required
from greenapp.places.forms import CityForm
from greenapp.services import audit
from greenapp.services import places as place_service
from greenapp.services.clock import today_in

bp = Blueprint("places", __name__)


def _input(form: CityForm) -> place_service.CityInput:
    return place_service.CityInput(
        name_en=form.name_en.data or "",
        name_kk=form.name_kk.data or "",
        name_ru=form.name_ru.data or "",
        name_be=form.name_be.data or "",
        aliases=form.aliases.data or "",
        country=form.country.data,
    )


def _save(form: CityForm, city: City | None):
    with attempt(form, "name_en") as done:
        saved = place_service.save_city(current_user, _input(form), city)
    if not done:
        return None
    flash(_("City saved: %(name)s.", name=saved.display_name), "success")
    return redirect(url_for("places.index"))


@bp.route("/", methods=["GET", "POST"])
@role_required(ADMIN)
def index():
    """Every city with its schools and missing tariffs, and a form to add one."""
    form = CityForm()
    if form.validate_on_submit():
        done = _save(form, None)
        if done:
            return done
    return render_template(
        "places/index.html", form=form, cities=place_service.summaries(today_in())
    )


@bp.route("/<int:city_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def edit(city_id: int):
    """Change a city's names, spellings or country."""
    city = db.session.get(City, city_id) or abort(404)
    form = CityForm(obj=city)
    if form.validate_on_submit():
        done = _save(form, city)
        if done:
            return done
    return render_template(
        "places/edit.html", form=form, city=city, history=audit.history("city", city.id)
    )
