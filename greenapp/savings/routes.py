"""Economists' savings report (page and CSV) and the what-if calculator."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, current_app, render_template, request

from greenapp.main.errors import attempt
from greenapp.permissions import SAVINGS_READERS, role_required
from greenapp.savings.forms import SavingsForm, WhatIfForm
from greenapp.services import savings
from greenapp.services.clock import today_in
from greenapp.services.downloads import content_disposition
from greenapp.services.units import CATEGORY_LABELS

bp = Blueprint("savings", __name__)


def _savings_request() -> tuple[SavingsForm, str, date, date]:
    form = SavingsForm(request.args)
    form.subject.choices = savings.subjects()
    form.validate()  # out-of-range dates and control characters: a message, the defaults
    today = today_in(None)
    date_to = form.date_to.data if form.date_to.data and not form.date_to.errors else today
    date_from = (
        form.date_from.data
        if form.date_from.data and not form.date_from.errors
        else (date_to.replace(day=1) - timedelta(days=335)).replace(day=1)
    )
    form.date_from.data, form.date_to.data = date_from, date_to
    subject = form.subject.data or savings.COMMUNITY
    form.subject.data = subject
    return form, subject, date_from, date_to


@bp.route("/savings")
@role_required(*SAVINGS_READERS)
def report():
    """Money saved per month and category, per pupil, for a school or the community."""
    form, subject, date_from, date_to = _savings_request()
    result = None
    with attempt(form, "subject", commit=False):
        result = savings.report(subject, date_from, date_to)
    return render_template(
        "savings/report.html",
        form=form,
        report=result,
        has_tariffs="impact.tariffs" in current_app.view_functions,
    )


@bp.route("/savings.csv")
@role_required(*SAVINGS_READERS)
def csv():
    """The same report as a CSV download (a subject or dates it refuses: 400)."""
    _form, subject, date_from, date_to = _savings_request()
    result = savings.report(subject, date_from, date_to)
    name = f"savings-{subject}-{date_from:%Y%m}-{date_to:%Y%m}.csv"
    return Response(
        savings.to_csv(result),
        mimetype="text/csv",
        headers={"Content-Disposition": content_disposition(name)},
    )


@bp.route("/what-if")
@role_required(*SAVINGS_READERS)
def what_if():
    """If every school of a city cut a category by N%, what is saved in a year?"""
    form = WhatIfForm(request.args)
    form.city.choices = savings.city_choices()
    form.category.choices = [(c, CATEGORY_LABELS[c]) for c in ("water", "energy", "waste")]
    result = None
    if request.args and form.validate():
        with attempt(form, "percent", commit=False):
            result = savings.what_if(
                form.city.data,
                form.category.data,
                form.percent.data,
                form.use_per_pupil.data,
                today_in(None),
            )
    return render_template(
        "savings/what_if.html",
        form=form,
        result=result,
        has_tariffs="impact.tariffs" in current_app.view_functions,
    )
