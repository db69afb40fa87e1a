"""What makes a figure "measured": metered entries need readings, household meters,
meter edit/archive, the scientists' verify/dismiss of flagged readings, heat and gas
priced with their own factors, and a chart legend that fits a phone."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from greenapp.models.log import EcoLog
from greenapp.models.meters import Meter, MeterReading
from greenapp.services import meters as meter_service

YESTERDAY = date.today() - timedelta(days=1)


def _errors(resp) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]*)<', resp.get_data(as_text=True))


def _ok(resp):
    assert resp.status_code == 302, _errors(resp) or resp.status_code
    return resp


def _read(client, meter_id: int, day: date, value: str, kind: str = "index"):
    return client.post(
        f"/meters/{meter_id}", data={"kind": kind, "reading_date": day.isoformat(), "value": value}
    )


def _log(client, **kw):
    data = {
        "category": "water",
        "quantity": "120",
        "unit": "L",
        "action_date": YESTERDAY.isoformat(),
        "evidence": "metered",
        "fraction": "",
        "note": "tap fixed",
    }
    data.update(kw)
    return client.post("/logs/new", data=data)


@pytest.fixture
def coordinator(factory, login):
    school = factory.school(
        name="Proof School", pupils=400, joined_on=date.today() - timedelta(days=800)
    )
    user = factory.user("coordinator", school=school)
    login(user)
    return user


def _school_meter(client, school, kind="water", unit="m3", name="Main water meter") -> Meter:
    _ok(
        client.post(
            f"/meters/school/{school.id}/meters",
            data={"kind": kind, "unit": unit, "name": name, "serial": ""},
        )
    )
    return Meter.query.order_by(Meter.id.desc()).first()


# --- "metered" evidence follows the readings ------------------------------------------


def test_a_typed_claim_cannot_be_metered_without_readings(client, coordinator, db):
    resp = _log(client)
    assert resp.status_code == 200
    [msg] = _errors(resp)
    assert "“Metered reading” needs meter readings" in msg
    assert "Meters page" in msg
    assert 'value="120"' in resp.get_data(as_text=True)  # the typed value is kept
    assert EcoLog.query.count() == 0
    # Waste, trees or outreach have no meter at all.
    resp = _log(client, category="waste", fraction="paper", unit="kg", quantity="3")
    assert "Only water and energy can be metered" in " ".join(_errors(resp))
    assert EcoLog.query.count() == 0


def test_a_metered_entry_needs_readings_around_its_date(client, coordinator, db):
    school = coordinator.school
    meter = _school_meter(client, school)
    day = YESTERDAY - timedelta(days=20)
    _ok(_read(client, meter.id, day, "100"))
    # One reading: no use derived yet, so no metered figure.
    assert _log(client).status_code == 200
    _ok(_read(client, meter.id, YESTERDAY, "103.5"))
    _ok(_log(client))
    assert EcoLog.query.one().evidence == "metered"
    # Outside the read period (before the first reading) it is refused again.
    resp = _log(client, action_date=(day - timedelta(days=3)).isoformat())
    assert "needs meter readings" in " ".join(_errors(resp))
    # An electricity entry is not metered by a water meter.
    resp = _log(client, category="energy", unit="kWh", quantity="5")
    assert "needs meter readings" in " ".join(_errors(resp))
    # An archived meter no longer backs a metered entry.
    _ok(client.post(f"/meters/{meter.id}/archive"))
    assert "needs meter readings" in " ".join(_errors(_log(client, quantity="7")))
    assert EcoLog.query.count() == 1


def test_a_bill_covers_its_period_for_metered_entries(client, coordinator, db):
    meter = _school_meter(
        client, coordinator.school, kind="electricity", unit="kWh", name="Power bill"
    )
    start = YESTERDAY - timedelta(days=30)
    _ok(
        client.post(
            f"/meters/{meter.id}",
            data={
                "kind": "bill",
                "reading_date": YESTERDAY.isoformat(),
                "period_start": start.isoformat(),
                "value": "1800",
            },
        )
    )
    _ok(_log(client, category="energy", unit="kWh", quantity="40", action_date=start.isoformat()))


def test_the_metered_rule_speaks_kazakh(client, coordinator, db):
    client.post("/language", data={"language": "kk", "next": "/"})
    text = " ".join(_errors(_log(client)))
    assert text and "Metered reading" not in text and "Meters page" not in text


# --- household meters ------------------------------------------------------------------


def test_a_resident_keeps_household_meters_only_they_see(client, factory, login, db):
    resident = factory.user("resident")
    login(resident)
    assert client.get("/meters/").headers["Location"].endswith("/meters/home")
    _ok(
        client.post(
            "/meters/home/meters", data={"kind": "water", "unit": "L", "name": "Kitchen tap meter"}
        )
    )
    meter = Meter.query.one()
    assert meter.resident_id == resident.id and meter.school_id is None
    _ok(_read(client, meter.id, YESTERDAY - timedelta(days=7), "1000"))
    _ok(_read(client, meter.id, YESTERDAY, "1630"))
    page = client.get("/meters/home").get_data(as_text=True)
    assert "Kitchen tap meter" in page and "630" in page
    # Household readings back the resident's metered entry.
    _ok(_log(client, quantity="80"))
    assert EcoLog.query.one().resident_id == resident.id

    for role in ("resident", "coordinator", "scientist", "admin"):
        other = factory.user(role, school=factory.school() if role == "coordinator" else None)
        client.post("/auth/logout")
        login(other)
        assert client.get(f"/meters/{meter.id}").status_code == 404, role
        assert "Kitchen tap meter" not in client.get("/meters/").get_data(as_text=True)
    assert _read(client, meter.id, YESTERDAY, "1700").status_code in (403, 404)
    assert MeterReading.query.count() == 2


# --- edit and archive ------------------------------------------------------------------


def test_a_meter_is_renamed_and_archived_and_leaves_the_figures(client, coordinator, db):
    school = coordinator.school
    meter = _school_meter(client, school)
    _ok(
        client.post(f"/meters/{meter.id}/edit", data={"name": "Boiler room water", "serial": "W-9"})
    )
    db.session.refresh(meter)
    assert (meter.name, meter.serial) == ("Boiler room water", "W-9")
    resp = client.post(f"/meters/{meter.id}/edit", data={"name": "  ", "serial": ""})
    assert resp.status_code == 400 and _errors(resp)
    _ok(_read(client, meter.id, YESTERDAY - timedelta(days=5), "10"))
    assert meter_service.school_kinds(school.id) == ["water"]
    _ok(client.post(f"/meters/{meter.id}/archive"))
    assert meter_service.school_kinds(school.id) == []
    resp = _read(client, meter.id, YESTERDAY, "11")
    assert (
        resp.status_code == 400
        and "This meter is archived; bring it back into service" in resp.get_data(as_text=True)
    )
    assert MeterReading.query.count() == 1
    page = client.get(f"/meters/school/{school.id}").get_data(as_text=True)
    assert "Boiler room water" in page and "archived" in page
    _ok(client.post(f"/meters/{meter.id}/archive"))  # back in service
    _ok(_read(client, meter.id, YESTERDAY, "11"))


# --- flagged readings: verify or dismiss ------------------------------------------------


def _flagged(client, meter) -> MeterReading:
    start = date.today() - timedelta(days=60)
    index = 100
    for i in range(5):
        _ok(_read(client, meter.id, start + timedelta(days=10 * i), str(index)))
        index += 10
    _ok(_read(client, meter.id, start + timedelta(days=50), str(index + 500)))
    reading = MeterReading.query.order_by(MeterReading.id.desc()).first()
    assert reading.quality_flag
    return reading


def test_a_scientist_verifies_or_dismisses_a_flagged_reading(
    client, coordinator, factory, login, db
):
    meter = _school_meter(client, coordinator.school)
    reading = _flagged(client, meter)
    before = sum(iv.quantity for iv in meter_service.intervals(meter))
    # The coordinator cannot close their own flag.
    assert (
        client.post(
            f"/meters/reading/{reading.id}/review", data={"verdict": "dismissed"}
        ).status_code
        == 403
    )
    client.post("/auth/logout")
    login(factory.user("scientist"))
    queue = client.get("/experts/quality").get_data(as_text=True)
    assert f"/meters/reading/{reading.id}/review" in queue
    resp = client.post(
        f"/meters/reading/{reading.id}/review",
        data={"verdict": "dismissed", "next": "/experts/quality"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/experts/quality")
    db.session.refresh(reading)
    assert reading.review_status == "dismissed" and reading.reviewed_at is not None
    # The misread index no longer enters the use; the reading stays in the record.
    after = sum(iv.quantity for iv in meter_service.intervals(meter))
    assert before == Decimal(550 * 1000) and after == Decimal(40 * 1000)
    page = client.get(f"/meters/{meter.id}").get_data(as_text=True)
    assert "Dismissed readings" in page
    queue = client.get("/experts/quality").get_data(as_text=True)
    assert f"/meters/reading/{reading.id}/review" not in queue
    # A second verdict is refused with a message, nothing changes.
    client.post(f"/meters/reading/{reading.id}/review", data={"verdict": "verified"})
    db.session.refresh(reading)
    assert reading.review_status == "dismissed"


def test_a_verified_reading_stands(client, coordinator, factory, login, db):
    meter = _school_meter(client, coordinator.school)
    reading = _flagged(client, meter)
    before = meter_service.intervals(meter)
    client.post("/auth/logout")
    login(factory.user("scientist"))
    _ok(client.post(f"/meters/reading/{reading.id}/review", data={"verdict": "verified"}))
    db.session.refresh(reading)
    assert reading.review_status == "verified"
    assert meter_service.intervals(meter) == before
    assert "verified" in client.get(f"/meters/{meter.id}").get_data(as_text=True)


# --- heat and gas are priced with their own factors ------------------------------------


def test_heat_savings_are_priced_with_the_heat_factor_not_electricitys(db, factory):
    from greenapp.models.impact import ImpactFactor

    school = factory.school(name="Heat School", pupils=100, joined_on=date(2025, 1, 1))
    months = [
        meter_service.MeasuredMonth(
            month=date(2025, 1, 1),
            actual=Decimal(900),
            baseline=Decimal(1000),
            baseline_raw=Decimal(1000),
            baseline_month=date(2024, 1, 1),
        )
    ]
    out = meter_service.Measured(kind="heat", unit="kWh", mode="previous_year", months=months)
    meter_service._price(school, out)
    assert out.co2e is None  # no heat factor yet: shown as not priced, not as power
    db.session.add(
        ImpactFactor(
            country=school.country,
            category="energy",
            fraction="heat",
            kg_co2e_per_unit=Decimal("0.25"),
            source="test",
            valid_from=date(2020, 1, 1),
        )
    )
    db.session.commit()
    meter_service._price(school, out)
    assert out.co2e == Decimal(100) * Decimal("0.25")


# --- the chart's legend fits 390 px -----------------------------------------------------


def test_the_measured_chart_legend_is_short_and_one_entry_per_row(app):
    m = meter_service.Measured(kind="water", unit="L", mode="previous_year", months=[])
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        chart = meter_service.measured_chart(m)
    legend = chart.figure["layout"]["legend"]
    assert legend["entrywidthmode"] == "fraction" and legend["entrywidth"] == 1
    names = [t["name"] for t in chart.figure["data"]]
    assert all(len(n) <= 24 for n in names), names
    assert "per pupil" in chart.note or "оқушы" in chart.note


# --- heat by heating degree-days ---------------------------------------------------------


def test_heat_baseline_is_scaled_by_degree_days_from_city_temperatures(client, factory, login, db):
    from greenapp.models.place import City

    city = City.query.filter_by(name_en="Kyzylorda").first()
    if city is None:
        city = City(
            name_en="Kyzylorda",
            name_kk="Қызылорда",
            country="KZ",
            timezone="Asia/Qyzylorda",
            currency="KZT",
        )
        db.session.add(city)
        db.session.commit()
    school = factory.school(name="Warm School", pupils=300, joined_on=date(2025, 1, 1))
    school.city_id = city.id
    db.session.commit()
    scientist = factory.user("scientist")
    coordinator = factory.user("coordinator", school=school)

    # The scientist enters (pastes) the city's monthly means; a bad line refuses all.
    login(scientist)
    resp = client.post(
        "/meters/weather",
        data={"city_id": city.id, "source": "Kazhydromet", "lines": "2024-01; -9.5\n2025-01; x"},
    )
    assert resp.status_code == 400 and "Line 2" in " ".join(_errors(resp))
    assert meter_service.temperatures(city.id) == {}
    _ok(
        client.post(
            "/meters/weather",
            data={
                "city_id": city.id,
                "source": "Kazhydromet",
                "lines": "2024-01; -9.5\n2024-02; -6\n2025-01; -4.5\n2025-02; -6",
            },
        )
    )
    page = client.get("/meters/weather").get_data(as_text=True)
    # January 2024: 31 × (18 − (−9.5)) = 852.5 degree-days.
    assert "852.5" in page
    client.post("/auth/logout")

    # A coordinator may read nothing here and not write.
    login(coordinator)
    assert (
        client.post("/meters/weather", data={"city_id": city.id, "lines": "2024-03; 1"}).status_code
        == 403
    )
    meter = _school_meter(client, school, kind="heat", unit="Gcal", name="Heat")
    for day, value in (
        (date(2024, 1, 1), "100"),
        (date(2024, 2, 1), "150"),
        (date(2024, 3, 1), "190"),
        (date(2025, 1, 1), "400"),
        (date(2025, 2, 1), "440"),
        (date(2025, 3, 1), "478"),
    ):
        _ok(_read(client, meter.id, day, value))
    _ok(
        client.post(
            f"/meters/school/{school.id}/baseline",
            data={"mode": "previous_year", "baseline_pupils": "300", "heat_degree_days": "y"},
        )
    )

    m = meter_service.measured(school, "heat", date(2025, 1, 1), date(2025, 2, 28))
    assert m is not None and m.degree_days
    jan_dd_then = 31 * (Decimal(18) + Decimal("9.5"))
    jan_dd_now = 31 * (Decimal(18) + Decimal("4.5"))
    jan_base = (Decimal(50) * 1163 * jan_dd_now / jan_dd_then).quantize(Decimal("0.001"))
    assert m.months[0].baseline == jan_base
    assert m.months[0].actual == Decimal(40) * 1163
    # February: the same mean both years, but 2024 had 29 days and 2025 has 28.
    feb_base = (Decimal(40) * 1163 * (28 * 24) / (29 * 24)).quantize(Decimal("0.001"))
    assert m.months[1].baseline == feb_base
    assert m.saving == (jan_base - 40 * 1163) + (feb_base - 38 * 1163)
    # Without degree-days the same months compare raw.
    _ok(
        client.post(
            f"/meters/school/{school.id}/baseline",
            data={"mode": "previous_year", "baseline_pupils": "300"},
        )
    )
    m = meter_service.measured(school, "heat", date(2025, 1, 1), date(2025, 2, 28))
    assert not m.degree_days and m.months[0].baseline == Decimal(50) * 1163


def test_a_month_without_a_temperature_is_not_compared():
    assert (
        meter_service.weather_adjusted(
            Decimal(100), None, Decimal(0), date(2025, 1, 1), date(2024, 1, 1)
        )
        is None
    )
    # The baseline month needed no heating, this one did: no ratio, not compared.
    assert (
        meter_service.weather_adjusted(
            Decimal(100), Decimal(5), Decimal(20), date(2025, 5, 1), date(2024, 5, 1)
        )
        is None
    )
    assert (
        meter_service.weather_adjusted(
            Decimal(100), Decimal(21), Decimal(20), date(2025, 7, 1), date(2024, 7, 1)
        )
        == 100
    )


def test_only_the_months_asked_for_are_derived_and_nothing_changes(client, factory, login, db):
    # Joined in June: the baseline year runs June to May, so a January-December range
    # needs baseline months on both sides of the new year.
    school = factory.school(name="June School", pupils=200, joined_on=date(2024, 6, 1))
    login(factory.user("coordinator", school=school))
    meter = _school_meter(client, school)
    index, month = Decimal(100), date(2023, 6, 1)
    while month <= date(2025, 1, 1):
        _ok(_read(client, meter.id, month, str(index)))
        index += 10 + month.month  # a different use every month
        month = meter_service.add_months(month, 1)
    _ok(
        client.post(
            f"/meters/school/{school.id}/baseline",
            data={"mode": "year_before_joining", "baseline_pupils": "200"},
        )
    )
    m = meter_service.measured(school, "water", date(2024, 1, 1), date(2024, 12, 31))
    data = meter_service._school_readings((school.id,), "water")
    full = meter_service.monthly_use(data[0][school.id], data[1])  # no window
    assert m is not None and m.complete_months == 12
    assert {x.baseline_month for x in m.months} == {
        meter_service.add_months(date(2023, 6, 1), i) for i in range(12)
    }
    for x in m.months:
        assert x.actual == full[x.month].quantity
        assert x.baseline == full[x.baseline_month].quantity
