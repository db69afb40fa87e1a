"""Per-school dashboard, programme overview, and public results.

Caching (greenapp/services/cache.py, the one cache): the heading, filters and figures
of each page are rendered once per scope version and language and shared by every
viewer; the page around them (name, bell, language switch with its CSRF token) is
rendered for each request. A school's page is keyed on that school's scope, so another
school's entry leaves it cached; the programme-wide pages may lag a few seconds behind
the last write and say "as of HH:MM".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from greenapp.dashboards import shell
from greenapp.dashboards.forms import ProgrammeFilterForm, SchoolFilterForm
from greenapp.extensions import db
from greenapp.models.place import normalise
from greenapp.models.school import School
from greenapp.models.user import COORDINATOR, STAFF_ROLES
from greenapp.permissions import public, role_required
from greenapp.services import cache, charts, stats
from greenapp.services.clock import today_in
from greenapp.services.downloads import content_disposition
from greenapp.services.i18n import fmt_quantity, select_timezone
from greenapp.services.stats import Scope
from greenapp.services.units import CATEGORIES

bp = Blueprint("dashboards", __name__)


@bp.app_template_filter("qty2")
def qty2(value) -> str:
    """Money and CO2e: grouped digits and at most 2 decimals, in the reader's locale."""
    return fmt_quantity(Decimal(value or 0).quantize(Decimal("0.01"), ROUND_HALF_UP))


@bp.app_template_global("chart_locale")
def chart_locale() -> dict:
    """Plotly's texts and separators in the page's language (dashboards/_chart.html)."""
    return charts.plotly_locale()


@bp.app_template_global("cached_fragment")
def cached_fragment(what: str, key, caller) -> Markup:
    """`{% call cached_fragment(what, key) %}...{% endcall %}`: the block's HTML, rendered
    once per process for this key and language (cache.cached_local). Only for blocks
    whose output follows from `key` alone (a ranking row from its RankRow)."""
    return cache.cached_local(what, key, lambda: Markup(caller()))  # noqa: S704  # nosec B704


@bp.route("/ping")
@public
def ping():
    """A bare route: the benchmark's floor (the session opened and its user loaded,
    what every signed-in page pays before its own work)."""
    current_user.is_authenticated  # noqa: B018 - loads the user, as every page does
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
    facts = cache.cached(
        "school-facts", cache.school_scope(school_id), school_id, lambda: _load_facts(school_id)
    )
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
    scope = Scope(date_from=date_from, date_to=date_to, school_ids=(facts.id,), categories=cats)
    return facts, form, scope, grain


def _board(facts: SchoolFacts, scope: Scope, grain: str):
    return cache.cached(
        "school-board",
        cache.school_scope(facts.id),
        (scope, grain),
        lambda: charts.school_dashboard(db.session.get(School, facts.id), scope, grain),
    )


@bp.route("/school/<int:school_id>")
@role_required(*STAFF_ROLES, COORDINATOR)
def school(school_id: int):
    """One school's charts and totals, filtered by dates and categories in the URL."""
    facts = _school_for_view(school_id)
    query = request.query_string.decode()
    # Heading, filters and board: the same for every viewer of this school, query,
    # language and local date (which decides the default range). The page around them
    # is cached with them, but for the viewer's corner (shell.py).
    scope, key = cache.school_scope(facts.id), (today_in(facts.timezone), query)
    content = cache.entry("school-page", scope, key, lambda: _school_content(facts, query))
    page = shell.page(
        "dashboards/school.html",
        "school-page",
        scope,
        (key, content.versions),
        lambda: {"school": facts, "content_html": content.value},
    )
    return page.value


def _school_content(facts: SchoolFacts, query: str) -> Markup:
    _facts, form, scope, grain = _school_view(facts.id, facts)
    board = _board(facts, scope, grain)
    # Markup: the output of our own autoescaped template, nothing user-typed raw.
    return Markup(  # noqa: S704  # nosec B704
        render_template(
            "dashboards/_school_content.html",
            school=db.session.get(School, facts.id),
            form=form,
            scope=scope,
            grain=grain,
            board=board,
            query=query,
        )
    )


@bp.route("/school/<int:school_id>/<chart_id>.csv")
@role_required(*STAFF_ROLES, COORDINATOR)
def school_csv(school_id: int, chart_id: str):
    """The numbers of one chart of the school dashboard, as CSV."""
    facts, _form, scope, grain = _school_view(school_id)
    return _csv(_board(facts, scope, grain).charts, chart_id, f"school-{facts.id}")


def _csv(chart_list, chart_id: str, prefix: str) -> Response:
    for chart in chart_list:
        if chart.id == chart_id:
            resp = Response(chart.csv(), mimetype="text/csv")
            resp.headers["Content-Disposition"] = content_disposition(f"{prefix}-{chart.id}.csv")
            return resp
    abort(404)


def _city_param(place: str, places) -> int | None:
    """`city:<id>`, or an older link's `city:<name>` in any spelling of the city."""
    tail = place[5:] if place.startswith("city:") else ""
    if tail.isascii() and tail.isdigit() and len(tail) < 10:
        return int(tail)
    key = normalise(tail)
    return next((c.id for c in places if key and key in c.spellings()), None)


# The programme-wide pages: cached per query, language and local date, may lag.
AS_OF_SLOT = Markup("<!--as-of-->")


def _with_as_of(content: Markup, entry: cache.Entry) -> Markup:
    """The cached content with "as of HH:MM" (the viewer's time zone and language)."""
    minute = int(entry.as_of // 60)  # the line shows minutes: made once per minute
    as_of = cache.cached_local(
        "as-of",
        (minute, select_timezone()),
        lambda: (
            Markup('<p class="as-of muted">%s</p>')
            % escape(_("Figures as of %(time)s", time=format_time(entry.as_of_datetime, "short")))
        ),
    )
    return Markup(str.replace(content, AS_OF_SLOT, as_of, 1))  # noqa: S704  # nosec B704


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
    view = cache.cached(
        "programme-view",
        cache.PROGRAMME,
        (scope, category),
        lambda: charts.overview(scope, category),
        lag=cache.programme_lag(),
    )
    return form, scope, category, view


def _programme_content(query: str) -> Markup:
    form, scope, category, view = _programme_view()
    return Markup(  # noqa: S704  # nosec B704
        render_template(
            "dashboards/_programme_content.html",
            form=form,
            scope=scope,
            category=category,
            view=view,
            query=query,
            as_of_slot=AS_OF_SLOT,
        )
    )


@bp.route("/programme")
@role_required(*STAFF_ROLES)
def programme():
    """All schools ranked per pupil, totals over time, Kyzylorda and Minsk side by side."""
    query = request.query_string.decode()
    key, lag = (today_in(), query), cache.programme_lag()
    entry = cache.entry(
        "programme-page", cache.PROGRAMME, key, lambda: _programme_content(query), lag=lag
    )
    # The page around the content, cached with it (shell.py); "as of" is the content's.
    page = shell.page(
        "dashboards/programme.html",
        "programme-page",
        cache.PROGRAMME,
        (key, entry.versions),
        lambda: {"content_html": entry.value},
        lag=lag,
    )
    return _with_as_of(Markup(page.value), entry)  # noqa: S704  # nosec B704


@bp.route("/programme/<chart_id>.csv")
@role_required(*STAFF_ROLES)
def programme_csv(chart_id: str):
    """The numbers of one chart of the programme overview, as CSV."""
    _form, _scope, _category, view = _programme_view()
    return _csv(view.charts, chart_id, "programme")


def _public_view():
    today = today_in()
    return cache.cached(
        "public-view",
        cache.PROGRAMME,
        today,
        lambda: charts.public_summary(today),
        lag=cache.programme_lag(),
    )


@bp.route("/public")
@public
def public_summary():
    """Programme results for everyone: totals, leading schools, people reached."""
    entry = cache.entry(
        "public-page",
        cache.PROGRAMME,
        today_in(),
        lambda: Markup(  # noqa: S704  # nosec B704
            render_template(
                "dashboards/_public_content.html", view=_public_view(), as_of_slot=AS_OF_SLOT
            )
        ),
        lag=cache.programme_lag(),
    )
    return render_template("dashboards/public.html", content_html=_with_as_of(entry.value, entry))


@bp.route("/public/<chart_id>.csv")
@public
def public_csv(chart_id: str):
    """The numbers of a public chart, as CSV."""
    return _csv(_public_view().charts, chart_id, "programme-results")
