"""Per-school dashboard, programme overview and public results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from greenapp.dashboards.forms import ProgrammeFilterForm, SchoolFilterForm
from greenapp.extensions import db
from greenapp.models.place import normalise
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, STAFF_ROLES
from greenapp.permissions import public, role_required
from greenapp.services import charts, page_cache, stats
from greenapp.services.clock import today_in
from greenapp.services.downloads import content_disposition
from greenapp.services.stats import Scope
from greenapp.services.units import CATEGORIES

bp = Blueprint("dashboards", __name__)


@bp.app_template_filter("qty2")
def qty2(value) -> str:
    """Money and CO2e: grouped digits and at most 2 decimals, in the reader's locale."""
    from decimal import ROUND_HALF_UP, Decimal

    from greenapp.services.i18n import fmt_quantity

    return fmt_quantity(Decimal(value or 0).quantize(Decimal("0.01"), ROUND_HALF_UP))


@bp.route("/ping")
@public
def ping():
    """A bare route: the benchmark's baseline."""
    return Response("ok", mimetype="text/plain")


def _default_range(today: date) -> tuple[date, date]:
    """The last 12 months including the current one."""
    start = today.replace(day=1)
    for _i in range(11):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, today


def _dates(form, today: date) -> tuple[date, date]:
    start, end = _default_range(today)
    date_from = form.date_from.data if not form.date_from.errors else None
    date_to = form.date_to.data if not form.date_to.errors else None
    end = min(date_to or end, today + timedelta(days=366))
    start = date_from or (start if not date_to else end.replace(day=1) - timedelta(330))
    if start > end:
        start, end = end, start
    if (end - start).days > 366 * 10:
        start = end - timedelta(days=366 * 10)
    return start, end


def _locale() -> str:
    return str(get_locale() or "en")


@dataclass(frozen=True)
class SchoolFacts:
    """What the dashboard needs of a school before it knows whether the page is cached."""

    id: int
    name: str
    timezone: str


def _load_facts(school_id: int) -> SchoolFacts | None:
    school = db.session.get(School, school_id)
    return SchoolFacts(school.id, school.name, school.timezone) if school else None


def _school_for_view(school_id: int) -> SchoolFacts:
    # Saving a school moves the data version, so its facts can be cached with the figures.
    facts = stats.cached(("school-facts", school_id), lambda: _load_facts(school_id))
    if facts is None:
        abort(404)
    if current_user.role == COORDINATOR and current_user.school_id != facts.id:
        abort(403)
    return facts


def _school_view(school_id: int, facts: SchoolFacts | None = None):
    facts = facts or _school_for_view(school_id)
    form = SchoolFilterForm(formdata=request.args or MultiDict())
    form.validate()
    date_from, date_to = _dates(form, today_in(facts.timezone))
    grain = form.grain.data if form.grain.data in stats.GRAINS else "month"
    cats = tuple(c for c in CATEGORIES if c in (form.category.data or [])) or None
    form.category.data = list(cats or CATEGORIES)
    form.date_from.data, form.date_to.data, form.grain.data = date_from, date_to, grain
    scope = Scope(date_from=date_from, date_to=date_to, school_ids=(facts.id,),
                  categories=cats)
    # Saving a school (pupils, targets) moves the data version, like saving a log.
    key = ("school", scope, grain, _locale())
    return facts, form, scope, grain, key


def _board(facts: SchoolFacts, scope: Scope, grain: str, key: tuple):
    return stats.cached(key, lambda: charts.school_dashboard(
        db.session.get(School, facts.id), scope, grain))


@bp.route("/school/<int:school_id>")
@role_required(*STAFF_ROLES, COORDINATOR)
def school(school_id: int):
    """One school's charts and totals, filtered by dates and categories in the URL."""
    facts = _school_for_view(school_id)
    # The whole page per URL and viewer (name, bell, language, the session's CSRF token);
    # the school's local date decides the default range, so it is part of the key.
    return page_cache.cached_page(("school-page", facts.id, today_in(facts.timezone)),
                                  lambda: _school_page(facts))


def _school_page(facts: SchoolFacts) -> str:
    _facts, form, scope, grain, key = _school_view(facts.id, facts)
    query = request.query_string.decode()
    # Heading, filters and board (nine charts' JSON, totals) are the same for every
    # viewer of this school, query and language: rendered once per data version.
    content_html = stats.cached((*key, "html", query), lambda: _school_content(
        facts, form, scope, grain, key, query))
    return render_template("dashboards/school.html", school=facts, content_html=content_html)


def _school_content(facts: SchoolFacts, form: SchoolFilterForm, scope: Scope, grain: str,
                    key: tuple, query: str) -> Markup:
    board = _board(facts, scope, grain, key)
    # Markup: the output of our own autoescaped template, nothing user-typed raw.
    return Markup(render_template(  # noqa: S704  # nosec B704
        "dashboards/_school_content.html", school=db.session.get(School, facts.id),
        form=form, scope=scope, grain=grain, board=board, query=query))


@bp.route("/school/<int:school_id>/<chart_id>.csv")
@role_required(*STAFF_ROLES, COORDINATOR)
def school_csv(school_id: int, chart_id: str):
    """The numbers of one chart of the school dashboard, as CSV."""
    facts, _form, scope, grain, key = _school_view(school_id)
    return _csv(_board(facts, scope, grain, key).charts, chart_id, f"school-{facts.id}")


def _csv(chart_list, chart_id: str, prefix: str) -> Response:
    for chart in chart_list:
        if chart.id == chart_id:
            resp = Response(chart.csv(), mimetype="text/csv")
            resp.headers["Content-Disposition"] = content_disposition(
                f"{prefix}-{chart.id}.csv")
            return resp
    abort(404)


def _city_param(place: str, places) -> int | None:
    """`city:<id>`, or an older link's `city:<name>` in any spelling of the city."""
    tail = place[5:] if place.startswith("city:") else ""
    if tail.isascii() and tail.isdigit() and len(tail) < 10:
        return int(tail)
    key = normalise(tail)
    return next((c.id for c in places if key and key in c.spellings()), None)


def _programme_view():
    form = ProgrammeFilterForm(formdata=request.args or MultiDict())
    places = stats.cities()
    form.place.choices = [("", _("All schools"))]
    countries = sorted({c.country for c in places}, key=lambda k: k != "KZ")
    names = {"KZ": _("Kazakhstan"), "BY": _("Belarus")}
    form.place.choices += [(f"country:{k}", names.get(k, k)) for k in countries]
    form.place.choices += [(f"city:{c.id}", c.display_name) for c in places]
    city_id = _city_param(form.place.data or "", places)
    if city_id is not None:
        form.place.data = f"city:{city_id}"
    form.validate()
    date_from, date_to = _dates(form, today_in())
    place = form.place.data or ""
    country = place[8:] if place.startswith("country:") else None
    category = form.category.data if form.category.data in CATEGORIES else "water"
    form.date_from.data, form.date_to.data, form.category.data = date_from, date_to, category
    scope = Scope(date_from=date_from, date_to=date_to, city_id=city_id, country=country)
    view = stats.cached(("programme", scope, category, _locale()),
                        lambda: charts.overview(scope, category))
    return form, scope, category, view


@bp.route("/programme")
@role_required(*STAFF_ROLES)
def programme():
    """All schools ranked per pupil, totals over time, Kyzylorda and Minsk side by side."""

    def page() -> str:
        form, scope, category, view = _programme_view()
        return render_template("dashboards/programme.html", form=form, scope=scope,
                               category=category, view=view,
                               query=request.query_string.decode())

    # A 200-school ranking table is the costly part: whole page per URL and viewer.
    return page_cache.cached_page(("programme-page", today_in()), page)


@bp.route("/programme/<chart_id>.csv")
@role_required(*STAFF_ROLES)
def programme_csv(chart_id: str):
    """The numbers of one chart of the programme overview, as CSV."""
    _form, _scope, _category, view = _programme_view()
    return _csv(view.charts, chart_id, "programme")


def _public_view():
    today = today_in()
    return stats.cached(("public", today, _locale()), lambda: charts.public_summary(today))


@bp.route("/public")
@public
def public_summary():
    """Programme results for everyone: totals, leading schools, people reached."""
    return page_cache.cached_page(
        ("public-page", today_in()),
        lambda: render_template("dashboards/public.html", view=_public_view()))


@bp.route("/public/<chart_id>.csv")
@public
def public_csv(chart_id: str):
    """The numbers of a public chart, as CSV."""
    return _csv(_public_view().charts, chart_id, "programme-results")
