"""Scientists edit CO2e factors; economists edit tariffs; admins both. Audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.impact.forms import FactorForm, TariffForm
from greenapp.models.impact import ImpactFactor, Tariff
from greenapp.permissions import role_required
from greenapp.services import audit
from greenapp.services import impact as impact_service
from greenapp.services.clock import today_in
from greenapp.services.errors import ValidationFailed
from greenapp.services.numbers import format_number

bp = Blueprint("impact", __name__)


def _factor_input(form: FactorForm) -> impact_service.FactorInput:
    return impact_service.FactorInput(
        country=form.country.data, category=form.category.data,
        fraction=form.fraction.data or "", value=form.value.data or "",
        source=form.source.data or "", valid_from=form.valid_from.data)


def _tariff_input(form: TariffForm) -> impact_service.TariffInput:
    return impact_service.TariffInput(
        city=form.city.data or "", country=form.country.data,
        category=form.category.data, fraction=form.fraction.data or "",
        value=form.value.data or "", source=form.source.data or "",
        valid_from=form.valid_from.data)


def _fail(form, exc: ValidationFailed) -> None:
    db.session.rollback()
    show_error(form, exc, "value")


@bp.route("/factors", methods=["GET", "POST"])
@role_required(*impact_service.FACTOR_ROLES)
def factors():
    """Every CO2e factor, and a form to add one valid from a date."""
    form = FactorForm()
    if not form.is_submitted():
        form.valid_from.data = today_in()
    if form.validate_on_submit():
        try:
            impact_service.save_factor(current_user, _factor_input(form))
        except ValidationFailed as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Factor saved. Figures from its date on use it; earlier ones do not "
                    "change."), "success")
            return redirect(url_for("impact.factors"))
    return render_template("impact/factors.html", form=form,
                           factors=impact_service.list_factors())


@bp.route("/factors/<int:factor_id>/edit", methods=["GET", "POST"])
@role_required(*impact_service.FACTOR_ROLES)
def factor_edit(factor_id: int):
    """Correct a factor (this changes every figure in its validity period)."""
    factor = db.session.get(ImpactFactor, factor_id) or abort(404)
    form = FactorForm(obj=factor)
    if not form.is_submitted():
        form.value.data = format_number(factor.kg_co2e_per_unit)
    if form.validate_on_submit():
        try:
            impact_service.save_factor(current_user, _factor_input(form), factor)
        except ValidationFailed as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Factor corrected."), "success")
            return redirect(url_for("impact.factors"))
    return render_template("impact/edit.html", form=form, kind="factor",
                           history=audit.history("impact_factor", factor.id))


@bp.route("/tariffs", methods=["GET", "POST"])
@role_required(*impact_service.TARIFF_ROLES)
def tariffs():
    """Every tariff, and a form to add one valid from a date."""
    form = TariffForm()
    if not form.is_submitted():
        form.valid_from.data = today_in()
    if form.validate_on_submit():
        try:
            impact_service.save_tariff(current_user, _tariff_input(form))
        except ValidationFailed as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Tariff saved. Figures from its date on use it; earlier ones do not "
                    "change."), "success")
            return redirect(url_for("impact.tariffs"))
    return render_template("impact/tariffs.html", form=form,
                           tariffs=impact_service.list_tariffs())


@bp.route("/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@role_required(*impact_service.TARIFF_ROLES)
def tariff_edit(tariff_id: int):
    """Correct a tariff (this changes every figure in its validity period)."""
    tariff = db.session.get(Tariff, tariff_id) or abort(404)
    form = TariffForm(obj=tariff)
    if not form.is_submitted():
        form.value.data = format_number(tariff.price_per_unit)
    if form.validate_on_submit():
        try:
            impact_service.save_tariff(current_user, _tariff_input(form), tariff)
        except ValidationFailed as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Tariff corrected."), "success")
            return redirect(url_for("impact.tariffs"))
    return render_template("impact/edit.html", form=form, kind="tariff",
                           history=audit.history("tariff", tariff.id))
