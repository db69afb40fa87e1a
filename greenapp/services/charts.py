"""Plotly figure dicts built on the server from stats aggregates.

Each chart is {"id", "title", "figure", "csv_name"}; `figure` is a plain Plotly
figure dict embedded with |tojson and drawn by static/js/charts.js. `figure_csv`
turns a figure back into the exact numbers it shows (one row per point), so the
CSV download and the chart can never disagree. Titles, axes and legends are
translated here; numbers use the locale's separators (layout.separators).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import format_date, get_locale, pgettext
from flask_babel import gettext as _

from greenapp.models.school import COUNTRY_CURRENCY, School
from greenapp.services import impact, stats
from greenapp.services.downloads import csv_text
from greenapp.services.stats import Scope
from greenapp.services.units import (
    CANONICAL_UNIT,
    CATEGORIES,
    CATEGORY_LABELS,
    EVIDENCE_KINDS,
    EVIDENCE_LABELS,
    FRACTION_LABELS,
    FRACTIONS,
    UNIT_SHORT,
    WASTE,
)

EVIDENCE_COLORS = {"metered": "#1b7a43", "document": "#59a14f", "self": "#b8d8a8"}
CATEGORY_COLORS = {
    "water": "#2f7fc1",
    "energy": "#e8a33d",
    "waste": "#6b8e23",
    "trees": "#1b7a43",
    "outreach": "#8e5ea2",
}
CITY_COLORS = ["#2f7fc1", "#d0573b", "#59a14f", "#8e5ea2"]


def label(text: object) -> str:
    """User text placed in a figure, escaped so Plotly shows it as text.

    Plotly renders a subset of HTML in names, ticks, titles and hover text (<a href>,
    <b>, <br> ...): a school named '<a href=...>' would become a live link.
    """
    return html.escape(str(text), quote=True)


def unescape_label(text: object) -> str:
    """The plain text of a label (for the CSV, which is not HTML)."""
    return html.unescape(str(text))


def num(value: Decimal | int | float | None, places: int = 3) -> int | float:
    """A chart number: the exact value rounded for display (same in the CSV)."""
    q = Decimal(value or 0).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(q) if q == q.to_integral_value() else float(q)


def separators() -> str:
    """Plotly's separators for the locale: decimal symbol then thousands symbol, the
    same as fmt_quantity's in the tables around the chart ("12\u00a0345,6" in kk, ru, be)."""
    locale = str(get_locale() or "en")
    return get_decimal_symbol(locale) + get_group_symbol(locale)


# Value axes: whole numbers with the locale's separators ("60\u00a0000", as in the tables),
# never Plotly's SI suffixes ("60k", Latin letters on a Kazakh page) or exponents.
VALUE_AXIS = {"exponentformat": "none", "separatethousands": True}

# The chart toolbar (static/js/charts.js keeps only these buttons) and the hints Plotly
# shows, each under its own English text, which is Plotly's dictionary key.
PLOTLY_TEXTS = {
    "Zoom": lambda: pgettext("chart toolbar", "Zoom"),
    "Pan": lambda: pgettext("chart toolbar", "Pan"),
    "Zoom in": lambda: pgettext("chart toolbar", "Zoom in"),
    "Zoom out": lambda: pgettext("chart toolbar", "Zoom out"),
    "Reset axes": lambda: pgettext("chart toolbar", "Reset axes"),
    "Double-click to zoom back out": lambda: pgettext(
        "chart toolbar", "Double-click to zoom back out"
    ),
    "Double-click on legend to isolate one trace": lambda: pgettext(
        "chart toolbar", "Double-click on legend to isolate one trace"
    ),
}


def plotly_locale() -> dict:
    """Plotly's locale for the page's language: its UI texts and number separators.

    Given to Plotly as config.locale/locales by static/js/charts.js (read from a JSON
    block of the page: the CSP runs no inline script).
    """
    locale = str(get_locale() or "en")
    return {
        "locale": locale,
        "dictionary": {english: text() for english, text in PLOTLY_TEXTS.items()},
        "format": {
            "decimal": get_decimal_symbol(locale),
            "thousands": get_group_symbol(locale),
        },
    }


def period_label(day: date, grain: str) -> str:
    """A translated period label: 'Mar 2025' or 'week of 3 Mar 2025'."""
    if grain == "month":
        return format_date(day, "LLL yyyy")
    return format_date(day, "d MMM yy")


def figure(
    traces: list[dict],
    y_title: str,
    x_title: str = "",
    barmode: str = "stack",
    horizontal: bool = False,
    height: int = 320,
) -> dict:
    """A figure dict with a layout that reads well from 390px wide up."""
    layout: dict[str, Any] = {
        "barmode": barmode,
        "height": height,
        "margin": {"l": 56, "r": 12, "t": 12, "b": 40},
        # Above the plot: below it, the legend collided with rotated month labels.
        "legend": {
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 0,
            "font": {"size": 11},
        },
        "separators": separators(),
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {
            "title": {"text": y_title},
            "automargin": True,
            "rangemode": "tozero",
            **VALUE_AXIS,
        },
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    if horizontal:
        layout["xaxis"], layout["yaxis"] = (
            {"title": {"text": y_title}, "automargin": True, "rangemode": "tozero", **VALUE_AXIS},
            {"title": {"text": x_title}, "automargin": True, "autorange": "reversed"},
        )
    if not horizontal:
        layout["xaxis"]["type"] = "category"
    for axis in ("xaxis", "yaxis"):
        layout[axis]["title"]["text"] = label(layout[axis]["title"]["text"])
    return {"data": [_escaped(t) for t in traces], "layout": layout}


TEXT_KEYS = ("name", "text", "hovertext")
TEXT_ARRAYS = ("x", "y", "text", "hovertext")


def _escaped(trace: dict) -> dict:
    """The one place user text enters a figure: names, category ticks, texts escaped."""
    out = dict(trace)
    for key in TEXT_KEYS:
        if isinstance(out.get(key), str):
            out[key] = label(out[key])
    for key in TEXT_ARRAYS:
        if isinstance(out.get(key), list):
            out[key] = [label(v) if isinstance(v, str) else v for v in out[key]]
    return out


def figure_csv(fig: dict, x_name: str, y_name: str) -> str:
    """Every point of every trace as CSV rows: series, x, y, unit (exactly as drawn).

    In the reader's language, UTF-8 with a BOM, and no cell a spreadsheet would run.
    """
    layout = fig.get("layout", {})
    rows = []
    for trace in fig["data"]:
        xs, ys = trace.get("x", []), trace.get("y", [])
        axis = "xaxis" if trace.get("orientation") == "h" else "yaxis"
        unit = unescape_label(layout.get(axis, {}).get("title", {}).get("text", ""))
        if trace.get("orientation") == "h":
            xs, ys = ys, xs
        name = unescape_label(trace.get("name", ""))
        for x, y in zip(xs, ys, strict=False):
            rows.append(
                [name, unescape_label(x) if isinstance(x, str) else x, "" if y is None else y, unit]
            )
    return csv_text([pgettext("CSV column", "Series"), x_name, y_name, _("Unit")], rows)


@dataclass
class Chart:
    """One chart on a dashboard page."""

    id: str
    title: str
    figure: dict
    x_name: str
    y_name: str
    note: str = ""

    def csv(self) -> str:
        """The chart's numbers as CSV."""
        return figure_csv(self.figure, self.x_name, self.y_name)


def unit_of(category: str) -> str:
    """The short translated canonical unit of a category."""
    return str(UNIT_SHORT[CANONICAL_UNIT[category]])


# --- the school dashboard -----------------------------------------------------------


@dataclass
class TotalRow:
    """One category's totals on a school dashboard."""

    category: str
    quantity: Decimal
    per_pupil: Decimal | None
    evidence: dict[str, Decimal]
    kg_co2e: Decimal
    money: dict[str, Decimal]
    target: Decimal | None
    year_quantity: Decimal

    @property
    def evidence_share(self) -> dict[str, int]:
        """Percent of the quantity per evidence kind (whole numbers)."""
        if not self.quantity:
            return dict.fromkeys(self.evidence, 0)
        return {
            k: int((v * 100 / self.quantity).quantize(Decimal(1), ROUND_HALF_UP))
            for k, v in self.evidence.items()
        }

    @property
    def target_percent(self) -> int | None:
        """Percent of the yearly target reached this calendar year."""
        if not self.target:
            return None
        return int((self.year_quantity * 100 / self.target).quantize(Decimal(1)))


@dataclass
class SchoolDashboard:
    """Everything the school dashboard page shows."""

    charts: list[Chart]
    totals: list[TotalRow]
    kg_co2e: Decimal
    money: dict[str, Decimal]
    evidence: dict[str, Decimal] = field(default_factory=dict)


def _per_pupil(q: Decimal, pupils: int) -> Decimal | None:
    return (q / pupils).quantize(Decimal("0.001"), ROUND_HALF_UP) if pupils else None


def school_dashboard(school: School, scope: Scope, grain: str) -> SchoolDashboard:
    """Charts and totals for one school over the scope's dates."""
    cats = scope.categories or CATEGORIES
    labels = [period_label(p, grain) for p in stats.periods(scope.date_from, scope.date_to, grain)]
    index = {p: i for i, p in enumerate(stats.periods(scope.date_from, scope.date_to, grain))}
    series = stats.aggregate(scope, ("period", "category", "evidence"), grain)
    charts: list[Chart] = []
    period_name = _("Month") if grain == "month" else _("Week")
    for cat in cats:
        traces = []
        for ev in EVIDENCE_KINDS:
            ys = [0.0] * len(labels)
            for r in series:
                if r["category"] == cat and r["evidence"] == ev:
                    ys[index[r["period"]]] = num(r["quantity"])
            traces.append(
                {
                    "type": "bar",
                    "name": str(EVIDENCE_LABELS[ev]),
                    "x": labels,
                    "y": ys,
                    "marker": {"color": EVIDENCE_COLORS[ev]},
                }
            )
        y_name = f"{CATEGORY_LABELS[cat]} ({unit_of(cat)})"
        charts.append(
            Chart(
                f"cat-{cat}",
                str(CATEGORY_LABELS[cat]),
                figure(traces, unit_of(cat)),
                period_name,
                y_name,
                _("Bars are split by the kind of evidence."),
            )
        )
    if WASTE in cats:
        fr = stats.aggregate(scope, ("fraction",), grain)
        by_fraction = {r["fraction"]: r["quantity"] for r in fr}
        names = [str(FRACTION_LABELS[f]) for f in FRACTIONS]
        trace = {
            "type": "bar",
            "orientation": "h",
            "name": _("Waste sorted"),
            "y": names,
            "x": [num(by_fraction.get(f, 0)) for f in FRACTIONS],
            "marker": {"color": CATEGORY_COLORS[WASTE]},
        }
        charts.append(
            Chart(
                "waste-fractions",
                _("Waste sorted by fraction"),
                figure([trace], unit_of(WASTE), horizontal=True, height=280),
                _("Fraction"),
                f"{_('Waste sorted')} ({unit_of(WASTE)})",
            )
        )
    charts.append(_target_chart(school, scope, cats))
    co2 = impact.co2e_avoided(scope, ("period", "category"), grain)
    charts.append(
        _impact_chart(
            "co2e",
            _("CO2e avoided"),
            _("kg CO2e"),
            co2,
            labels,
            index,
            cats,
            lambda r: r.kg_co2e,
            period_name,
        )
    )
    money = impact.money_saved(scope, ("period", "category"), grain)
    currency = COUNTRY_CURRENCY.get(school.country, "")
    charts.append(
        _impact_chart(
            "money",
            _("Money saved (%(currency)s)", currency=currency),
            currency,
            [r for r in money if r.currency == currency],
            labels,
            index,
            cats,
            lambda r: r.amount,
            period_name,
        )
    )
    totals = _totals(school, scope, cats)
    return SchoolDashboard(
        charts=charts,
        totals=totals,
        kg_co2e=sum((t.kg_co2e for t in totals), Decimal(0)),
        money=impact.totals_by_currency(money),
    )


def _impact_chart(
    chart_id: str,
    title: str,
    unit: str,
    rows: Sequence[Any],
    labels: list[str],
    index: dict[date, int],
    cats: Sequence[str],
    value,
    period_name: str,
) -> Chart:
    traces = []
    for cat in cats:
        ys = [0.0] * len(labels)
        any_value = False
        for r in rows:
            if r.key["category"] == cat and r.key["period"] in index:
                ys[index[r.key["period"]]] = num(value(r))
                any_value = any_value or bool(value(r))
        if any_value:
            traces.append(
                {
                    "type": "bar",
                    "name": str(CATEGORY_LABELS[cat]),
                    "x": labels,
                    "y": ys,
                    "marker": {"color": CATEGORY_COLORS[cat]},
                }
            )
    return Chart(chart_id, title, figure(traces, unit), period_name, f"{title}")


def _target_chart(school: School, scope: Scope, cats: Sequence[str]) -> Chart:
    """Cumulative percent of each yearly target through the year of date_to."""
    year_start = date(scope.date_to.year, 1, 1)
    year_scope = Scope(
        date_from=year_start,
        date_to=scope.date_to,
        school_ids=scope.school_ids,
        categories=scope.categories,
    )
    months = stats.periods(year_start, scope.date_to, "month")
    labels = [period_label(m, "month") for m in months]
    rows = stats.aggregate(year_scope, ("period", "category"), "month")
    traces = []
    for cat in cats:
        target = school.target_for(cat)
        if not target:
            continue
        per_month = {r["period"]: r["quantity"] for r in rows if r["category"] == cat}
        running, ys = Decimal(0), []
        for m in months:
            running += per_month.get(m, Decimal(0))
            ys.append(num(running * 100 / target, 1))
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": str(CATEGORY_LABELS[cat]),
                "x": labels,
                "y": ys,
                "line": {"color": CATEGORY_COLORS[cat]},
            }
        )
    if traces:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("Yearly target"),
                "x": labels,
                "y": [100.0] * len(labels),
                "line": {"color": "#555", "dash": "dash"},
            }
        )
    title = _("Progress towards the %(year)s targets", year=scope.date_to.year)
    return Chart(
        "targets",
        title,
        figure(traces, _("% of yearly target")),
        _("Month"),
        _("% of yearly target"),
        _("Cumulative since 1 January, in percent of each yearly target."),
    )


def _totals(school: School, scope: Scope, cats: Sequence[str]) -> list[TotalRow]:
    rows = stats.aggregate(scope, ("category", "evidence"))
    co2 = {r.key["category"]: r.kg_co2e for r in impact.co2e_avoided(scope, ("category",))}
    money: dict[str, dict[str, Decimal]] = {}
    for m in impact.money_saved(scope, ("category",)):
        money.setdefault(m.key["category"], {})[m.currency] = m.amount
    year_scope = Scope(
        date_from=date(scope.date_to.year, 1, 1),
        date_to=scope.date_to,
        school_ids=scope.school_ids,
        categories=scope.categories,
    )
    year = {r["category"]: r["quantity"] for r in stats.aggregate(year_scope, ("category",))}
    out = []
    for cat in cats:
        ev = {k: Decimal(0) for k in EVIDENCE_KINDS}
        for r in rows:
            if r["category"] == cat:
                ev[r["evidence"]] += r["quantity"]
        q = sum(ev.values(), Decimal(0))
        out.append(
            TotalRow(
                category=cat,
                quantity=q,
                per_pupil=_per_pupil(q, school.pupils),
                evidence=ev,
                kg_co2e=co2.get(cat, Decimal(0)),
                money={c: a for c, a in money.get(cat, {}).items() if a},
                target=school.target_for(cat),
                year_quantity=year.get(cat, Decimal(0)),
            )
        )
    return out


# --- the programme overview ---------------------------------------------------------


@dataclass(frozen=True)
class SchoolInfo:
    """The plain facts of a school a page shows (safe to cache across requests)."""

    id: int
    name: str
    city: str
    country: str
    pupils: int


@dataclass
class RankRow:
    """One school in the programme ranking for a category."""

    school: SchoolInfo
    quantity: Decimal
    per_pupil: Decimal | None
    previous_per_pupil: Decimal | None
    change_percent: int | None
    kg_co2e: Decimal
    kg_co2e_per_pupil: Decimal | None
    money: dict[str, Decimal]
    evidence_share: dict[str, int]
    # The comparison period starts before the school joined: no fair "change".
    new: bool = False


@dataclass
class CityRow:
    """One city's totals for the side-by-side comparison."""

    city: str  # the city's name in the page's language
    country: str
    pupils: int
    per_pupil: dict[str, Decimal | None]
    kg_co2e: Decimal
    money: dict[str, Decimal]


@dataclass
class Overview:
    """Everything the programme overview shows."""

    ranking: list[RankRow]
    cities: list[CityRow]
    charts: list[Chart]
    kg_co2e: Decimal
    money: dict[str, Decimal]


def overview(scope: Scope, category: str) -> Overview:
    """Ranking per pupil for a category, totals over time and a city comparison."""
    schools = stats.schools_in(scope)
    cat_scope = Scope(**{**scope.__dict__, "categories": (category,)})
    cur = stats.aggregate(cat_scope, ("owner", "evidence"))
    prev = {r["owner"]: r["quantity"] for r in stats.aggregate(cat_scope.previous(), ("owner",))}
    co2 = {r.key["owner"]: r.kg_co2e for r in impact.co2e_avoided(scope, ("owner",))}
    money: dict[int, dict[str, Decimal]] = {}
    for m in impact.money_saved(scope, ("owner",)):
        if m.amount:
            money.setdefault(m.key["owner"], {})[m.currency] = m.amount
    by_owner: dict[int, dict[str, Decimal]] = {}
    for r in cur:  # SQL rows (owner x evidence), indexed once
        by_owner.setdefault(r["owner"], {})[r["evidence"]] = r["quantity"]
    ranking = []
    for s in schools:
        ev = {k: by_owner.get(s.id, {}).get(k, Decimal(0)) for k in EVIDENCE_KINDS}
        q = sum(ev.values(), Decimal(0))
        pp = _per_pupil(q, s.pupils)
        prev_pp = _per_pupil(prev.get(s.id, Decimal(0)), s.pupils)
        change = None
        is_new = s.joined_on > cat_scope.previous().date_from
        if prev_pp and not is_new:
            change = int(((pp or 0) - prev_pp) * 100 / prev_pp)
        share = {
            k: int((v * 100 / q).quantize(Decimal(1), ROUND_HALF_UP)) if q else 0
            for k, v in ev.items()
        }
        kg = co2.get(s.id, Decimal(0))
        info = SchoolInfo(s.id, s.name, s.city_name, s.country, s.pupils)
        ranking.append(
            RankRow(
                info,
                q,
                pp,
                prev_pp,
                change,
                kg,
                _per_pupil(kg, s.pupils),
                money.get(s.id, {}),
                share,
                is_new,
            )
        )
    ranking.sort(key=lambda r: (-(r.per_pupil or 0), r.school.name))
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": str(CATEGORY_LABELS[category]),
        "y": [r.school.name for r in ranking],
        "x": [num(r.per_pupil) for r in ranking],
        "marker": {"color": CATEGORY_COLORS[category]},
    }
    per_pupil_title = _(
        "%(what)s per pupil (%(unit)s)", what=CATEGORY_LABELS[category], unit=unit_of(category)
    )
    charts = [
        Chart(
            "ranking",
            per_pupil_title,
            figure(
                [trace], unit_of(category), horizontal=True, height=max(240, 34 * len(ranking) + 80)
            ),
            _("School"),
            per_pupil_title,
        )
    ]
    labels_p = stats.periods(scope.date_from, scope.date_to, "month")
    labels = [period_label(p, "month") for p in labels_p]
    index = {p: i for i, p in enumerate(labels_p)}
    co2_time = impact.co2e_avoided(scope, ("period", "category"))
    charts.append(
        _impact_chart(
            "co2e-time",
            _("CO2e avoided per month"),
            _("kg CO2e"),
            co2_time,
            labels,
            index,
            scope.categories or CATEGORIES,
            lambda r: r.kg_co2e,
            _("Month"),
        )
    )
    city_rows = _cities(scope, schools)
    cats = scope.categories or CATEGORIES
    city_co2 = {}
    for c2 in impact.co2e_avoided(scope, ("city", "category")):
        city_co2[(c2.key["city"], c2.key["category"])] = c2.kg_co2e
    traces = []
    for i, (city_id, c) in enumerate(city_rows):
        traces.append(
            {
                "type": "bar",
                "name": c.city,
                "x": [str(CATEGORY_LABELS[cat]) for cat in cats],
                "y": [
                    num(_per_pupil(city_co2.get((city_id, cat), Decimal(0)), c.pupils) or 0)
                    for cat in cats
                ],
                "marker": {"color": CITY_COLORS[i % len(CITY_COLORS)]},
            }
        )
    title = _("kg CO2e avoided per pupil, by city")
    charts.append(
        Chart(
            "cities",
            title,
            figure(traces, _("kg CO2e per pupil"), barmode="group"),
            _("Category"),
            title,
        )
    )
    all_money: dict[str, Decimal] = {}
    for _cid, c in city_rows:
        for cur_code, amount in c.money.items():
            all_money[cur_code] = all_money.get(cur_code, Decimal(0)) + amount
    return Overview(
        ranking,
        [c for _cid, c in city_rows],
        charts,
        sum((c.kg_co2e for _cid, c in city_rows), Decimal(0)),
        all_money,
    )


def _cities(scope: Scope, schools: list[School]) -> list[tuple[int | None, CityRow]]:
    """One row per city row (not per spelling): figures are grouped by city_id."""
    pupils: dict[int | None, int] = {}
    names: dict[int | None, tuple[str, str]] = {}
    for s in schools:
        pupils[s.city_id] = pupils.get(s.city_id, 0) + s.pupils
        names[s.city_id] = (s.city_name, s.country)
    q = {
        (r["city"], r["category"]): r["quantity"]
        for r in stats.aggregate(scope, ("city", "category"))
    }
    co2: dict[int | None, Decimal] = {}
    for c2 in impact.co2e_avoided(scope, ("city",)):
        co2[c2.key["city"]] = c2.kg_co2e
    money: dict[int | None, dict[str, Decimal]] = {}
    for m in impact.money_saved(scope, ("city",)):
        if m.amount:
            money.setdefault(m.key["city"], {})[m.currency] = m.amount
    out = []
    for city_id, n in sorted(
        pupils.items(), key=lambda kv: (names[kv[0]][1] != "KZ", names[kv[0]][0])
    ):
        name, country = names[city_id]
        out.append(
            (
                city_id,
                CityRow(
                    name,
                    country,
                    n,
                    {cat: _per_pupil(q.get((city_id, cat), Decimal(0)), n) for cat in CATEGORIES},
                    co2.get(city_id, Decimal(0)),
                    money.get(city_id, {}),
                ),
            )
        )
    return out


# --- the public summary ---------------------------------------------------------------


@dataclass
class PublicSummary:
    """Programme totals and this month's leaders, without personal data."""

    totals: dict[str, Decimal]  # schools and residents together
    kg_co2e: Decimal  # schools and residents together
    people_reached: Decimal
    leaders: list[tuple[str, str, Decimal]]
    charts: list[Chart]
    schools: int
    # The Green Community's residents, also shown on their own.
    school_totals: dict[str, Decimal] = field(default_factory=dict)
    resident_totals: dict[str, Decimal] = field(default_factory=dict)
    school_kg_co2e: Decimal = Decimal(0)
    resident_kg_co2e: Decimal = Decimal(0)


def public_summary(today: date) -> PublicSummary:
    """Totals of the last 12 months, schools and Green Community residents together
    and each on its own, and this month's leading schools by CO2e per pupil."""
    start = stats.month_start(today.replace(year=today.year - 1, day=1))
    start = stats.next_month(start)
    scope = Scope(date_from=start, date_to=today)
    residents = Scope(date_from=start, date_to=today, owner_type=stats.OWNER_RESIDENT)
    school_totals = {r["category"]: r["quantity"] for r in stats.aggregate(scope, ("category",))}
    resident_totals = {
        r["category"]: r["quantity"] for r in stats.aggregate(residents, ("category",))
    }
    totals = {
        c: school_totals.get(c, Decimal(0)) + resident_totals.get(c, Decimal(0))
        for c in {*school_totals, *resident_totals}
    }
    school_co2 = impact.co2e_avoided(scope, ("period", "category"))
    resident_co2 = impact.co2e_avoided(residents, ("period", "category"))
    merged: dict[tuple, impact.Co2eRow] = {}
    for r in (*school_co2, *resident_co2):  # aggregate rows (months x categories)
        k = (r.key["period"], r.key["category"])
        row = merged.setdefault(k, impact.Co2eRow(key=dict(r.key)))
        row.quantity += r.quantity
        row.kg_co2e += r.kg_co2e
    co2 = list(merged.values())
    month_scope = Scope(date_from=today.replace(day=1), date_to=today)
    per_school = {r.key["owner"]: r.kg_co2e for r in impact.co2e_avoided(month_scope, ("owner",))}
    schools = stats.schools_in(scope)
    leaders = sorted(
        (
            (
                s.name,
                s.city_name,
                _per_pupil(per_school.get(s.id, Decimal(0)), s.pupils) or Decimal(0),
            )
            for s in schools
        ),
        key=lambda t: (-t[2], t[0]),
    )[:3]
    leaders = [t for t in leaders if t[2] > 0]
    labels_p = stats.periods(start, today, "month")
    chart = _impact_chart(
        "public-co2e",
        _("CO2e avoided per month, schools and residents"),
        _("kg CO2e"),
        co2,
        [period_label(p, "month") for p in labels_p],
        {p: i for i, p in enumerate(labels_p)},
        CATEGORIES,
        lambda r: r.kg_co2e,
        _("Month"),
    )
    return PublicSummary(
        totals,
        sum((r.kg_co2e for r in co2), Decimal(0)),
        totals.get("outreach", Decimal(0)),
        leaders,
        [chart],
        len(schools),
        school_totals,
        resident_totals,
        sum((r.kg_co2e for r in school_co2), Decimal(0)),
        sum((r.kg_co2e for r in resident_co2), Decimal(0)),
    )
