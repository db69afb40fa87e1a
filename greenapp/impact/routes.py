"""Scientists edit CO2e factors; economists edit tariffs; admins both. Audited.

A row dated in the past changes figures already shown: the page first lists the
months that will change and asks to confirm; the message after saving names them.
"""

from __future__ import annotations

import hashlib
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from greenapp.extensions import db
from greenapp.forms import show_error
from greenapp.impact.forms import FactorForm, TariffForm
from greenapp.models.impact import SOURCE_FIELDS, ImpactFactor, Tariff
from greenapp.permissions import role_required
from greenapp.services import audit
from greenapp.services import impact as impact_service
from greenapp.services import places as place_service
from greenapp.services.clock import today_in
from greenapp.services.errors import ValidationFailed
from greenapp.services.numbers import format_number

bp = Blueprint("impact", __name__)


@bp.app_context_processor
def _labels() -> dict:
    return {
        "VAT_LABELS": impact_service.VAT_LABELS,
        "CONSUMER_LABELS": impact_service.CONSUMER_LABELS,
        "SOURCE_LABELS": impact_service.SOURCE_LABELS,
    }


def _details(form) -> dict[str, str]:
    return {name: getattr(form, name).data or "" for name in SOURCE_FIELDS if hasattr(form, name)}


def _factor_input(form: FactorForm) -> impact_service.FactorInput:
    return impact_service.FactorInput(
        country=form.country.data,
        category=form.category.data,
        fraction=form.fraction.data or "",
        value=form.value.data or "",
        source=form.source.data or "",
        valid_from=form.valid_from.data,
        details=_details(form),
    )


def _tariff_input(form: TariffForm) -> impact_service.TariffInput:
    return impact_service.TariffInput(
        city_id=form.city_id.data,
        category=form.category.data,
        fraction=form.fraction.data or "",
        value=form.value.data or "",
        source=form.source.data or "",
        valid_from=form.valid_from.data,
        vat=form.vat.data or "",
        consumer_class=form.consumer_class.data or "",
        details=_details(form),
    )


def _city_choices(form: TariffForm) -> None:
    form.city_id.choices = [
        (c.id, f"{c.display_name} ({c.currency})") for c in place_service.all_cities()
    ]


def _fail(form, exc: ValidationFailed) -> None:
    db.session.rollback()
    show_error(form, exc, "value")


def _rate(row: ImpactFactor | Tariff):
    return row.kg_co2e_per_unit if isinstance(row, ImpactFactor) else row.price_per_unit


def _token(row: ImpactFactor | Tariff, months: list[date], edit_id: int | None) -> str:
    """Binds a confirmation to exactly what was shown: key, value, date, months.

    A new row's id is not part of it: PostgreSQL hands out a new id on every attempt.
    """
    rate = _rate(row)
    text = "|".join(
        map(
            str,
            (
                edit_id,
                getattr(row, "country", ""),
                getattr(row, "city_id", ""),
                row.category,
                row.fraction,
                rate,
                row.valid_from,
                *months,
            ),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _month_list(months: list[date]) -> str:
    return ", ".join(format_date(m, "LLLL yyyy") for m in months)


def _saved_message(kind: str, months: list[date], valid_from: date) -> str:
    what = _("Factor saved.") if kind == "factor" else _("Tariff saved.")
    if not months:
        return (
            what
            + " "
            + _(
                "It applies from %(date)s; no month's figures changed.",
                date=format_date(valid_from, "medium"),
            )
        )
    return (
        what
        + " "
        + ngettext(
            "Figures changed for %(num)d month: %(months)s.",
            "Figures changed for %(num)d months: %(months)s.",
            len(months),
            months=_month_list(months),
        )
    )


def _save(kind: str, form, row=None):
    """Save, or (for a back-dated change not yet confirmed) return the months to confirm.

    Returns (saved row, months, needs_confirmation) or None when input was refused.
    """
    old = (row.valid_from, _rate(row)) if row is not None else None
    try:
        if kind == "factor":
            saved = impact_service.save_factor(current_user, _factor_input(form), row)
        else:
            saved = impact_service.save_tariff(current_user, _tariff_input(form), row)
    except ValidationFailed as exc:
        _fail(form, exc)
        return None
    rate = _rate(saved)
    months: list[date] = []
    if old is None or old != (saved.valid_from, rate):
        months = impact_service.months_changed(
            kind,
            category=saved.category,
            fraction=saved.fraction,
            valid_from=saved.valid_from,
            today=today_in(),
            country=getattr(saved, "country", None),
            city_id=getattr(saved, "city_id", None),
            row_id=saved.id,
            old_from=old[0] if old else None,
            new_rate=rate,
        )
    edit_id = row.id if row is not None else None
    if months and form.confirm.data != _token(saved, months, edit_id):
        form.confirm.data = _token(saved, months, edit_id)
        db.session.rollback()
        return saved, months, True
    db.session.commit()
    return saved, months, False


def _page(kind: str, template: str, form, **ctx):
    return render_template(template, form=form, kind=kind, **ctx)


@bp.route("/factors", methods=["GET", "POST"])
@role_required(*impact_service.FACTOR_ROLES)
def factors():
    """Every CO2e factor with its source, and a form to add one valid from a date."""
    form = FactorForm()
    if not form.is_submitted():
        form.valid_from.data = today_in()
    pending: list[date] = []
    if form.validate_on_submit():
        result = _save("factor", form)
        if result is not None:
            saved, months, ask = result
            if not ask:
                flash(_saved_message("factor", months, form.valid_from.data), "success")
                return redirect(url_for("impact.factors"))
            pending = months
    return _page(
        "factor",
        "impact/factors.html",
        form,
        pending=pending,
        factors=impact_service.list_factors(),
    )


@bp.route("/factors/<int:factor_id>/edit", methods=["GET", "POST"])
@role_required(*impact_service.FACTOR_ROLES)
def factor_edit(factor_id: int):
    """Correct a factor (this changes every figure in its validity period)."""
    factor = db.session.get(ImpactFactor, factor_id) or abort(404)
    form = FactorForm(obj=factor)
    if not form.is_submitted():
        form.value.data = format_number(factor.kg_co2e_per_unit)
        form.confirm.data = ""
    pending: list[date] = []
    if form.validate_on_submit():
        result = _save("factor", form, factor)
        if result is not None:
            saved, months, ask = result
            if not ask:
                flash(_("Factor corrected.") + " " + _changed(months), "success")
                return redirect(url_for("impact.factors"))
            pending = months
    return _page(
        "factor",
        "impact/edit.html",
        form,
        pending=pending,
        history=audit.history("impact_factor", factor.id),
    )


def _changed(months: list[date]) -> str:
    if not months:
        return _("No month's figures changed.")
    return ngettext(
        "Figures changed for %(num)d month: %(months)s.",
        "Figures changed for %(num)d months: %(months)s.",
        len(months),
        months=_month_list(months),
    )


@bp.route("/tariffs", methods=["GET", "POST"])
@role_required(*impact_service.TARIFF_ROLES)
def tariffs():
    """Every tariff with its source, VAT and payer, and a form to add one."""
    form = TariffForm()
    _city_choices(form)
    if not form.is_submitted():
        form.valid_from.data = today_in()
    pending: list[date] = []
    if form.validate_on_submit():
        result = _save("tariff", form)
        if result is not None:
            saved, months, ask = result
            if not ask:
                flash(_saved_message("tariff", months, form.valid_from.data), "success")
                return redirect(url_for("impact.tariffs"))
            pending = months
    return _page(
        "tariff",
        "impact/tariffs.html",
        form,
        pending=pending,
        tariffs=impact_service.list_tariffs(),
    )


@bp.route("/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@role_required(*impact_service.TARIFF_ROLES)
def tariff_edit(tariff_id: int):
    """Correct a tariff (this changes every figure in its validity period)."""
    tariff = db.session.get(Tariff, tariff_id) or abort(404)
    form = TariffForm(obj=tariff)
    _city_choices(form)
    if not form.is_submitted():
        form.value.data = format_number(tariff.price_per_unit)
        form.confirm.data = ""
    pending: list[date] = []
    if form.validate_on_submit():
        result = _save("tariff", form, tariff)
        if result is not None:
            saved, months, ask = result
            if not ask:
                flash(_("Tariff corrected.") + " " + _changed(months), "success")
                return redirect(url_for("impact.tariffs"))
            pending = months
    return _page(
        "tariff",
        "impact/edit.html",
        form,
        pending=pending,
        history=audit.history("tariff", tariff.id),
    )
