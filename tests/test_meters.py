"""Meters and readings: exact derived use, bad input refused, measured saving vs baseline."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from greenapp.models.meters import Meter, MeterReading
from greenapp.services import meters as meter_service

STEP = Decimal("0.001")


def _month(year: int, month: int) -> date:
    return date(year, month, 1)


def _add_meter(client, school, **kw) -> Meter:
    data = {"kind": "water", "unit": "m3", "name": "Main water meter", "serial": "W-1"}
    data.update(kw)
    resp = client.post(f"/meters/school/{school.id}/meters", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return Meter.query.order_by(Meter.id.desc()).first()


def _read(client, meter, day: date, value: str, kind: str = "index", **kw):
    data = {"kind": kind, "reading_date": day.isoformat(), "value": value}
    data.update(kw)
    return client.post(f"/meters/{meter.id}", data=data)


def _ok(resp):
    assert resp.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]*)', resp.get_data(as_text=True)
    )
    return resp


def _errors(resp) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]*)<', resp.get_data(as_text=True))


def _baseline(client, school, mode="year_before_joining", pupils="480"):
    _ok(
        client.post(
            f"/meters/school/{school.id}/baseline", data={"mode": mode, "baseline_pupils": pupils}
        )
    )


@pytest.fixture
def coordinator(factory, login):
    school = factory.school(name="Meter School", pupils=500, joined_on=date(2025, 1, 1))
    user = factory.user("coordinator", school=school)
    login(user)
    return user


# 12 baseline months (2024) and 12 actual months (2025), monthly index readings in m³.
BASELINE_USE = [
    Decimal(x)
    for x in ("41.5", "40", "38.25", "30", "27", "12", "8.5", "9", "33", "39.75", "42", "44.125")
]
ACTUAL_USE = [
    Decimal(x)
    for x in ("36", "35.5", "33", "27.25", "24", "10", "7", "8", "29.5", "34", "37", "38.5")
]
OLD_FINAL_EXTRA = Decimal("0")  # the old meter's last index closes May exactly


def _enter_year_of_readings(client, meter):
    """12 readings for 2024, then 13 for 2025 (the June one a meter replacement)."""
    index = Decimal("1000")
    for i, use in enumerate(BASELINE_USE):  # 1 Jan 2024 .. 1 Dec 2024
        _ok(_read(client, meter, _month(2024, i + 1), str(index)))
        index += use
    for i in range(13):  # 1 Jan 2025 .. 1 Jan 2026
        day = _month(2025 + (i // 12), i % 12 + 1)
        if day == _month(2025, 6):
            # The old meter shows its last index; the new one starts at 5.
            _ok(
                _read(
                    client,
                    meter,
                    day,
                    "5",
                    kind="replacement",
                    old_final=str(index),
                    new_serial="W-2",
                )
            )
            index = Decimal("5")
        else:
            _ok(_read(client, meter, day, str(index)))
        if i < 12:
            index += ACTUAL_USE[i]


def test_thirteen_readings_with_a_replacement_give_the_exact_measured_saving(
    client, coordinator, db
):
    school = coordinator.school
    meter = _add_meter(client, school)
    _enter_year_of_readings(client, meter)
    _baseline(client, school, pupils="480")

    # The test's own arithmetic: litres, baseline per pupil scaled to 500 pupils.
    expected = Decimal(0)
    for base, actual in zip(BASELINE_USE, ACTUAL_USE, strict=True):
        scaled = (base * 1000 * 500 / 480).quantize(STEP, ROUND_HALF_UP)
        expected += scaled - actual * 1000
    baseline_total = sum(
        ((b * 1000 * 500 / 480).quantize(STEP, ROUND_HALF_UP) for b in BASELINE_USE), Decimal(0)
    )
    percent = (expected * 100 / baseline_total).quantize(Decimal("0.1"), ROUND_HALF_UP)

    m = meter_service.measured(school, "water", date(2025, 1, 1), date(2025, 12, 31))
    assert m is not None and m.complete_months == 12
    assert m.saving == expected
    assert m.percent == percent
    # No month is negative although the index fell from ~1330 m³ to 5 m³ in June.
    assert all(x.actual >= 0 for x in m.months)
    assert m.months[5].actual == ACTUAL_USE[5] * 1000

    page = client.get(
        f"/dashboards/school/{school.id}?date_from=2025-01-01&date_to=2025-12-31"
    ).get_data(as_text=True)
    assert "Measured at the meters against the baseline" in page
    shown = re.search(r'class="measured-saving">([^<]+)<', page).group(1)
    assert (
        shown.replace(",", "").split()[0] == str(expected.normalize())
        or Decimal(shown.replace(",", "").split()[0]) == expected
    )
    assert "Reported actions" in page
    csv_text = client.get(
        f"/meters/school/{school.id}/measured.csv?from=2025-01-01&to=2025-12-31"
    ).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == 12
    assert sum(Decimal(r["Measured saving"]) for r in rows) == expected


def test_measured_and_reported_are_shown_side_by_side_never_added(client, coordinator, factory, db):
    from greenapp.models.impact import ImpactFactor, Tariff

    admin = factory.user("admin")
    db.session.add_all(
        [
            ImpactFactor(
                country="KZ",
                category="water",
                fraction="",
                source="test",
                kg_co2e_per_unit=Decimal("0.000344"),
                valid_from=date(2020, 1, 1),
                created_by_id=admin.id,
            ),
            Tariff(
                city="Kyzylorda",
                country="KZ",
                currency="KZT",
                category="water",
                fraction="",
                price_per_unit=Decimal("0.25"),
                source="test",
                valid_from=date(2020, 1, 1),
                created_by_id=admin.id,
            ),
        ]
    )
    db.session.commit()
    school = coordinator.school
    meter = _add_meter(client, school)
    _enter_year_of_readings(client, meter)
    _baseline(client, school)
    factory.log(
        coordinator,
        category="water",
        quantity="777",
        unit="L",
        action_date=date(2025, 3, 5),
        evidence="self",
    )
    m = meter_service.measured(school, "water", date(2025, 1, 1), date(2025, 12, 31))
    rep = meter_service.reported_alongside(school, "water", date(2025, 1, 1), date(2025, 12, 31))
    assert rep.quantity == Decimal("777")
    page = client.get(
        f"/dashboards/school/{school.id}?date_from=2025-01-01&date_to=2025-12-31"
    ).get_data(as_text=True)
    section = page[page.index("Measured at the meters against the baseline") :]
    assert "777 L" in section
    summed = m.saving + rep.quantity
    assert f"{summed:,}".rstrip("0").rstrip(".") not in section
    # Measured CO2e uses the versioned water factor (0.000344 kg/L from 2020).
    assert m.co2e == m.saving * Decimal("0.000344")
    assert m.money == {"KZT": m.saving * Decimal("0.25")}


def test_programme_ranks_schools_by_measured_percent_reduction(client, factory, login, db):
    schools = []
    for name, cut in (
        ("Small Cut School", Decimal("0.95")),
        ("Big Cut School", Decimal("0.70")),
        ("Worse School", Decimal("1.10")),
    ):
        school = factory.school(name=name, pupils=400, joined_on=date(2025, 1, 1))
        coord = factory.user("coordinator", school=school)
        c = client.application.test_client()
        c.post("/auth/login", data={"email": coord.email, "password": "correct-horse-battery"})
        meter = _add_meter(c, school)
        index = Decimal(0)
        for i in range(12):
            _ok(_read(c, meter, _month(2024, i + 1), str(index)))
            index += Decimal(100)
        for i in range(13):
            _ok(_read(c, meter, _month(2025 + i // 12, i % 12 + 1), str(index)))
            index += Decimal(100) * cut
        _ok(
            c.post(
                f"/meters/school/{school.id}/baseline",
                data={"mode": "year_before_joining", "baseline_pupils": "400"},
            )
        )
        schools.append(school)
    admin = factory.user("admin")
    login(admin)
    page = client.get(
        "/dashboards/programme?date_from=2025-01-01&date_to=2025-12-31&category=water"
    ).get_data(as_text=True)
    section = page[page.index("Measured reduction at the meters") :]
    order = [section.index(n) for n in ("Big Cut School", "Small Cut School", "Worse School")]
    assert order == sorted(order)
    assert "30 %" in section and "5 %" in section and "-10 %" in section


def test_a_lower_reading_without_a_replacement_is_refused(client, coordinator, db):
    meter = _add_meter(client, coordinator.school)
    _ok(_read(client, meter, date(2025, 3, 1), "500"))
    resp = _read(client, meter, date(2025, 4, 1), "450")
    assert resp.status_code == 400
    assert any("lower than the last reading" in e for e in _errors(resp))
    assert 'value="450"' in resp.get_data(as_text=True)  # what was typed stays
    assert MeterReading.query.count() == 1


def test_dates_before_the_previous_reading_or_in_the_future_are_refused(client, coordinator, db):
    meter = _add_meter(client, coordinator.school)
    _ok(_read(client, meter, date(2025, 3, 1), "500"))
    resp = _read(client, meter, date(2025, 2, 1), "600")
    assert any("after the previous reading" in e for e in _errors(resp))
    resp = _read(client, meter, date.today() + timedelta(days=2), "600")
    assert any("cannot be in the future" in e for e in _errors(resp))
    resp = _read(client, meter, date(2025, 4, 1), "abc")
    assert any("Enter a number" in e for e in _errors(resp))
    assert MeterReading.query.count() == 1


def test_an_implausible_jump_is_saved_but_flagged(client, coordinator, factory, login, db):
    meter = _add_meter(client, coordinator.school)
    index = 100
    for i in range(5):
        _ok(_read(client, meter, date(2025, 1, 1) + timedelta(days=10 * i), str(index)))
        index += 10
    resp = _ok(_read(client, meter, date(2025, 2, 20), str(index + 500)))
    reading = MeterReading.query.order_by(MeterReading.id.desc()).first()
    assert reading.quality_flag.startswith("jump|")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    # 510 m³ over 10 days against 10 m³ per 10 days: 51,000 L/day vs 1,000 L/day.
    assert "flagged" in page and "Daily use 51,000 L is more than 5 times the usual 1,000 L" in page
    scientist = factory.user("scientist")
    client.post("/auth/logout")
    login(scientist)
    queue = client.get("/experts/quality").get_data(as_text=True)
    assert "Flagged meter readings" in queue and f'href="/meters/{meter.id}"' in queue


def test_district_heat_in_gcal_is_converted_exactly_to_kwh(client, coordinator, db):
    meter = _add_meter(client, coordinator.school, kind="heat", unit="Gcal", name="Heat")
    _ok(_read(client, meter, date(2025, 1, 1), "10.5"))
    _ok(_read(client, meter, date(2025, 2, 1), "12.75"))
    [iv] = meter_service.intervals(meter)
    assert iv.quantity == Decimal("2.25") * 1163 == Decimal("2616.75")


def test_use_is_spread_pro_rata_over_days_and_adds_up_exactly():
    iv = meter_service.Interval(date(2025, 1, 21), date(2025, 3, 11), Decimal("100"))
    parts = meter_service.spread(iv)
    assert [p[0] for p in parts] == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert [p[2] for p in parts] == [11, 28, 10]
    assert sum(p[1] for p in parts) == Decimal("100")
    assert parts[1][1] == Decimal("57.143")  # 100 * 28 / 49, to the litre's thousandth


def test_a_bill_covers_its_period_and_overlaps_are_refused(client, coordinator, db):
    meter = _add_meter(
        client, coordinator.school, kind="electricity", unit="kWh", name="Electricity (bills)"
    )
    _ok(_read(client, meter, date(2025, 1, 31), "3100", kind="bill", period_start="2025-01-01"))
    resp = _read(client, meter, date(2025, 2, 28), "2800", kind="bill", period_start="2025-01-15")
    assert any("overlaps a bill" in e for e in _errors(resp))
    use = meter_service.monthly_use([meter], {meter.id: meter_service.readings_of(meter.id)})
    assert use[date(2025, 1, 1)].quantity == Decimal(3100)
    assert use[date(2025, 1, 1)].covered == 31


def test_another_schools_coordinator_cannot_see_or_add_readings(
    client, coordinator, factory, login, db
):
    meter = _add_meter(client, coordinator.school)
    other = factory.user("coordinator", school=factory.school(name="Other"))
    client.post("/auth/logout")
    login(other)
    assert client.get(f"/meters/{meter.id}").status_code == 404
    assert _read(client, meter, date(2025, 1, 1), "1").status_code == 404
    assert client.get(f"/meters/school/{coordinator.school_id}").status_code == 404
    assert MeterReading.query.count() == 0


def test_meter_pages_speak_kazakh(client, coordinator, db):
    from tests.test_i18n import english_left

    school = coordinator.school
    meter = _add_meter(client, school, name="Негізгі есептегіш", serial="")
    _enter_year_of_readings(client, meter)
    _baseline(client, school)
    client.get(f"/meters/school/{school.id}")  # the English flash messages are shown here
    client.post("/language", data={"language": "kk", "next": "/"})
    client.get("/")  # and the language switch's own message here
    typed = (
        school.name,
        coordinator.display_name,
        "greenapp",
        "CSV",
        "KZT",
    )  # formats, currency codes
    for path in (
        f"/meters/school/{school.id}",
        f"/meters/{meter.id}",
        f"/dashboards/school/{school.id}?date_from=2025-01-01&date_to=2025-12-31",
    ):
        page = client.get(path).get_data(as_text=True)
        assert 'lang="kk"' in page
        left = [c for c in english_left(page) if not any(t in c for t in typed)]
        assert left == [], (path, left)


def test_demo_meters_are_seeded_once_and_ranked(app, db):
    from greenapp.models.school import School
    from greenapp.services import stats

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    count = MeterReading.query.count()
    assert count > 100
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert MeterReading.query.count() == count
    today = date.today()
    start = meter_service.add_months(today.replace(day=1), -12)
    scope = stats.Scope(date_from=start, date_to=today)
    with app.test_request_context():
        ranked = meter_service.programme_ranking("water", start, today, stats.schools_in(scope))
    assert len(ranked) == db.session.query(School).count()
    percents = [r.measured.percent for r in ranked]
    assert percents == sorted(percents, reverse=True) and percents[0] > 0


def test_a_second_writer_of_a_meter_waits_while_a_reading_is_being_saved(factory, db):
    """add_reading checks the new reading against the meter's chain, so it holds the
    meter (a row lock on PostgreSQL, the write lock on SQLite) until it commits: a
    second writer of the same meter (another tab, an import) cannot check against a
    chain that is about to change."""
    import sqlalchemy as sa

    school = factory.school()
    coordinator = factory.user("coordinator", school=school)
    meter = Meter(
        school_id=school.id, kind="water", unit="L", name="Main", created_by_id=coordinator.id
    )
    db.session.add(meter)
    db.session.commit()
    meter_service.add_reading(
        coordinator, meter, meter_service.ReadingInput("index", date.today(), "100")
    )  # not committed: the first writer is still at work
    other = db.engine.connect()
    try:
        with pytest.raises(sa.exc.OperationalError):
            if db.engine.dialect.name == "postgresql":
                other.exec_driver_sql("SET lock_timeout = '200ms'")
                other.execute(
                    sa.text("SELECT id FROM meters WHERE id = :id FOR NO KEY UPDATE"),
                    {"id": meter.id},
                )
            else:
                other.exec_driver_sql("PRAGMA busy_timeout = 200")
                other.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        other.close()
    db.session.rollback()
    meter_service.add_reading(
        coordinator, meter, meter_service.ReadingInput("index", date.today(), "120")
    )
    db.session.commit()  # once the first is done, the next one goes through
    assert [r.value for r in meter_service.readings_of(meter.id)] == [Decimal("120")]
