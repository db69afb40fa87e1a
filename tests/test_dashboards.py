"""Dashboards: chart numbers, CSV downloads, access per role, inert labels."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from html import escape as html_escape

import pytest

from greenapp.models.impact import ImpactFactor, Tariff
from tests.helpers import local_today, meters_read

XSS = "</script><script>alert(1)</script>"


def _month_back(n: int) -> date:
    d = local_today().replace(day=1)
    for _i in range(n):
        d = (d - timedelta(days=1)).replace(day=1)
    return d


def _figures(html: str) -> dict[str, dict]:
    found = re.findall(
        r'<script type="application/json" id="fig-([\w-]+)">(.*?)</script>', html, re.S
    )
    return {name: json.loads(body) for name, body in found}


def _trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t["name"] == name)


@pytest.fixture
def setup(factory, db):
    school = factory.school(name="Lyceum 7", pupils=200, targets={"water": "1000"})
    coordinator = factory.user("coordinator", school=school)
    m1, m2 = _month_back(3), _month_back(2)
    meters_read(school)  # the 100 L are metered: readings cover the day
    factory.log(
        coordinator,
        category="water",
        quantity="100",
        evidence="metered",
        action_date=m1 + timedelta(2),
    )
    factory.log(
        coordinator,
        category="water",
        quantity="250",
        evidence="self",
        action_date=m1 + timedelta(9),
    )
    factory.log(
        coordinator,
        category="water",
        quantity="0.04",
        unit="m3",
        evidence="document",
        action_date=m2 + timedelta(4),
    )
    factory.log(
        coordinator, category="energy", quantity="10", unit="kWh", action_date=m2 + timedelta(4)
    )
    factory.log(
        coordinator,
        category="waste",
        fraction="paper",
        quantity="3.5",
        unit="kg",
        action_date=m2 + timedelta(5),
    )
    db.session.add_all(
        [
            ImpactFactor(
                country="KZ",
                category="energy",
                fraction="",
                source="test",
                kg_co2e_per_unit=Decimal("0.5"),
                valid_from=date(2000, 1, 1),
            ),
            Tariff(
                city="Kyzylorda",
                country="KZ",
                currency="KZT",
                category="energy",
                fraction="",
                price_per_unit=Decimal("30"),
                source="test",
                valid_from=date(2000, 1, 1),
            ),
        ]
    )
    db.session.commit()
    return school, coordinator, m1, m2


def test_chart_numbers_equal_hand_sums(client, login, setup):
    school, coordinator, m1, m2 = setup
    login(coordinator)
    url = f"/dashboards/school/{school.id}?date_from={m1}&date_to={local_today()}"
    html = client.get(url).get_data(as_text=True)
    figs = _figures(html)
    water = figs["cat-water"]
    labels = _trace(water, "Metered reading")["x"]
    i1, i2 = 0, 1  # the range starts at m1
    assert _trace(water, "Metered reading")["y"][i1] == 100
    assert _trace(water, "Self-reported")["y"][i1] == 250
    assert _trace(water, "Document or photo")["y"][i2] == 40
    assert sum(_trace(water, "Metered reading")["y"]) == 100
    assert len(labels) == 4
    fractions = figs["waste-fractions"]["data"][0]
    assert dict(zip(fractions["y"], fractions["x"], strict=True))["Paper and cardboard"] == 3.5
    co2 = figs["co2e"]
    assert sum(_trace(co2, "Energy saved")["y"]) == 5  # 10 kWh x 0.5
    money = figs["money"]
    assert sum(_trace(money, "Energy saved")["y"]) == 300  # 10 kWh x 30 KZT
    # totals: 390 L water, 1.95 L per pupil, evidence split 100/40/250
    assert "390 L" in html and "1.95" in html
    assert "26% / 10% / 64%" in html


def test_partial_range_reads_days_exactly(client, login, setup):
    school, coordinator, m1, _m2 = setup
    login(coordinator)
    # From the 5th of m1: the 100 L on the 3rd is outside, the 250 L on the 10th inside.
    url = (
        f"/dashboards/school/{school.id}?date_from={m1 + timedelta(4)}"
        f"&date_to={local_today()}&category=water"
    )
    figs = _figures(client.get(url).get_data(as_text=True))
    assert set(figs) >= {"cat-water", "targets"}  # no water factor: no CO2e bars
    assert "cat-energy" not in figs
    assert sum(_trace(figs["cat-water"], "Metered reading")["y"]) == 0
    assert sum(_trace(figs["cat-water"], "Self-reported")["y"]) == 250


def test_weekly_series(client, login, setup):
    school, coordinator, m1, _m2 = setup
    login(coordinator)
    url = f"/dashboards/school/{school.id}?date_from={m1}&grain=week&category=water"
    figs = _figures(client.get(url).get_data(as_text=True))
    water = figs["cat-water"]
    total = sum(sum(t["y"]) for t in water["data"])
    assert total == 390
    assert len(water["data"][0]["x"]) >= 8


def test_csv_download_matches_chart(client, login, setup):
    school, coordinator, m1, _m2 = setup
    login(coordinator)
    query = f"date_from={m1}&date_to={local_today()}"
    figs = _figures(client.get(f"/dashboards/school/{school.id}?{query}").get_data(as_text=True))
    for chart_id in ("cat-water", "waste-fractions", "co2e", "targets"):
        resp = client.get(f"/dashboards/school/{school.id}/{chart_id}.csv?{query}")
        assert resp.status_code == 200
        assert resp.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))[1:]
        expected = []
        for t in figs[chart_id]["data"]:
            xs, ys = (t["y"], t["x"]) if t.get("orientation") == "h" else (t["x"], t["y"])
            # figure labels are HTML-escaped for Plotly; the CSV holds the plain text
            expected += [
                [html.unescape(t["name"]), html.unescape(str(x)), str(y)]
                for x, y in zip(xs, ys, strict=True)
            ]
        assert [r[:3] for r in rows] == expected  # then a unit column


def test_target_progress_is_cumulative_percent(client, login, factory):
    """Progress against the yearly target counts from 1 January of the school's own year."""
    today = local_today()
    new_year = today.replace(month=1, day=1)
    school = factory.school(name="Lyceum 8", pupils=200, targets={"water": "1000"})
    coordinator = factory.user("coordinator", school=school)
    factory.log(coordinator, category="water", quantity="100", action_date=new_year)
    factory.log(coordinator, category="water", quantity="290", action_date=today)
    factory.log(
        coordinator,
        category="water",
        quantity="500",  # last year: not counted
        action_date=new_year - timedelta(days=1),
    )
    login(coordinator)
    figs = _figures(
        client.get(f"/dashboards/school/{school.id}?date_from={new_year}").get_data(as_text=True)
    )
    assert _trace(figs["targets"], "Water saved")["y"][-1] == 39.0  # 390 L of 1000 L


ROLES = ("admin", "scientist", "economist", "lawyer", "coordinator", "other", "resident")


@pytest.mark.parametrize("role", ROLES)
def test_school_dashboard_access(client, login, factory, setup, role):
    school, coordinator, _m1, _m2 = setup
    if role == "coordinator":
        user = coordinator
    elif role == "other":
        user = factory.user("coordinator")
    else:
        user = factory.user(role)
    login(user)
    status = client.get(f"/dashboards/school/{school.id}").status_code
    csv_status = client.get(f"/dashboards/school/{school.id}/cat-water.csv").status_code
    allowed = role not in ("other", "resident")
    assert status == (200 if allowed else 403)
    assert csv_status == (200 if allowed else 403)


@pytest.mark.parametrize("role", ROLES)
def test_programme_access(client, login, factory, setup, role):
    user = (
        setup[1]
        if role == "coordinator"
        else factory.user("coordinator" if role == "other" else role)
    )
    login(user)
    expected = 200 if role in ("admin", "scientist", "economist", "lawyer") else 403
    assert client.get("/dashboards/programme").status_code == expected
    assert client.get("/dashboards/programme/ranking.csv").status_code == expected


def test_anonymous(client, setup):
    school = setup[0]
    assert client.get(f"/dashboards/school/{school.id}").status_code == 302
    assert client.get("/dashboards/programme").status_code == 302
    page = client.get("/dashboards/public")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Lyceum 7" in html or "No entries yet this month" in html
    assert "@example.org" not in html  # no personal data
    assert client.get("/dashboards/public/public-co2e.csv").status_code == 200
    assert client.get("/dashboards/ping").data == b"ok"


def test_programme_ranks_per_pupil_with_co2e_and_money(client, login, factory, db, setup):
    school, coordinator, m1, _m2 = setup
    big = factory.school(name="Big School", pupils=1000)
    big_coord = factory.user("coordinator", school=big)
    factory.log(big_coord, category="water", quantity="500", action_date=m1 + timedelta(2))
    minsk = factory.school(
        name="Minsk Gymnasium", city="Minsk", country="BY", pupils=100, timezone="Europe/Minsk"
    )
    minsk_coord = factory.user("coordinator", school=minsk)
    factory.log(
        minsk_coord, category="energy", quantity="20", unit="kWh", action_date=m1 + timedelta(3)
    )
    db.session.add(
        Tariff(
            city="Minsk",
            country="BY",
            currency="BYN",
            category="energy",
            fraction="",
            price_per_unit=Decimal("0.3"),
            source="t",
            valid_from=date(2000, 1, 1),
        )
    )
    db.session.commit()
    login(factory.user("admin"))
    html = client.get(f"/dashboards/programme?date_from={m1}&category=water").get_data(as_text=True)
    ranking = _figures(html)["ranking"]["data"][0]
    # Lyceum 7: 390 L / 200 = 1.95; Big School: 500 / 1000 = 0.5; Minsk: 0
    assert ranking["y"] == ["Lyceum 7", "Big School", "Minsk Gymnasium"]
    assert ranking["x"] == [1.95, 0.5, 0]
    assert "300 KZT" in html and "6 BYN" in html  # never one summed amount
    only_minsk = client.get("/dashboards/programme?place=city:Minsk").get_data(as_text=True)
    assert _figures(only_minsk)["ranking"]["data"][0]["y"] == ["Minsk Gymnasium"]


def test_label_with_script_is_inert(client, login, factory, setup):
    school, _coord, m1, _m2 = setup
    evil = factory.school(name=XSS, pupils=10)
    factory.log(
        factory.user("coordinator", school=evil),
        category="water",
        quantity="5",
        action_date=m1 + timedelta(1),
    )
    login(factory.user("admin"))
    html = client.get(f"/dashboards/programme?date_from={m1}").get_data(as_text=True)
    assert XSS not in html
    assert "<script>alert(1)" not in html
    # escaped for Plotly, which would otherwise render its HTML subset: shown as text
    assert html_escape(XSS) in _figures(html)["ranking"]["data"][0]["y"]


def test_locale_separators_and_translated_titles(client, login, setup):
    school, coordinator, m1, _m2 = setup
    login(coordinator)
    client.post("/language", data={"language": "ru", "next": "/"})
    html = client.get(f"/dashboards/school/{school.id}?date_from={m1}").get_data(as_text=True)
    fig = _figures(html)["cat-water"]
    assert fig["layout"]["separators"].startswith(",")
