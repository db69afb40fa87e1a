"""Factors and tariffs by date: a new one from today never moves past totals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from greenapp.models.audit import AuditRecord
from greenapp.models.impact import ImpactFactor, Tariff
from greenapp.services.impact import co2e_avoided, money_saved, totals_by_currency
from greenapp.services.stats import Scope


@pytest.fixture
def kz_energy(factory, db):
    school = factory.school(pupils=100)
    coordinator = factory.user("coordinator", school=school)
    last_year = date.today() - timedelta(days=365)
    factory.log(coordinator, category="energy", quantity="100", unit="kWh", action_date=last_year)
    db.session.add(
        ImpactFactor(
            country="KZ",
            category="energy",
            fraction="",
            kg_co2e_per_unit=Decimal("0.6"),
            source="IEA 2022",
            valid_from=date(2020, 1, 1),
        )
    )
    db.session.commit()
    return school, coordinator, last_year


def _year(day: date) -> Scope:
    return Scope(date_from=date(day.year, 1, 1), date_to=date(day.year, 12, 31))


def test_scientist_adds_factor_from_today_and_last_year_does_not_move(
    client, login, factory, db, kz_energy
):
    school, coordinator, last_year = kz_energy
    before = co2e_avoided(_year(last_year), by=("category",))
    assert [r.kg_co2e for r in before] == [Decimal("60")]
    login(factory.user("scientist"))
    today = date.today()
    resp = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "energy",
            "fraction": "",
            "value": "0.9",
            "source": "New grid study 2026",
            "valid_from": today.isoformat(),
        },
    )
    assert resp.status_code == 302
    factory.log(coordinator, category="energy", quantity="10", unit="kWh", action_date=today)
    after = co2e_avoided(_year(last_year), by=("category",))
    assert [r.kg_co2e for r in after] == [Decimal("60")]
    now = co2e_avoided(Scope(date_from=today, date_to=today), by=("category",))
    assert [r.kg_co2e for r in now] == [Decimal("9")]
    rec = db.session.scalar(select(AuditRecord).where(AuditRecord.entity_type == "impact_factor"))
    assert rec.action == "create" and rec.changes["kg_co2e_per_unit"][1] == "0.900000"
    # the dashboard for last year shows the same 60 kg
    login(coordinator)
    html = client.get(
        f"/dashboards/school/{school.id}?date_from={date(last_year.year, 1, 1)}"
        f"&date_to={date(last_year.year, 12, 31)}"
    ).get_data(as_text=True)
    assert "60 kg" in html


def test_factor_from_mid_month_splits_that_month(factory, db, kz_energy):
    _school, coordinator, _ = kz_energy
    first = date.today().replace(day=1) - timedelta(days=40)
    first = first.replace(day=1)
    factory.log(
        coordinator,
        category="energy",
        quantity="10",
        unit="kWh",
        action_date=first + timedelta(days=2),
    )
    factory.log(
        coordinator,
        category="energy",
        quantity="20",
        unit="kWh",
        action_date=first + timedelta(days=20),
    )
    db.session.add(
        ImpactFactor(
            country="KZ",
            category="energy",
            fraction="",
            kg_co2e_per_unit=Decimal("1"),
            source="s",
            valid_from=first + timedelta(days=10),
        )
    )
    db.session.commit()
    rows = co2e_avoided(Scope(date_from=first, date_to=first + timedelta(days=27)), by=("period",))
    assert [r.kg_co2e for r in rows] == [Decimal("26")]  # 10 x 0.6 + 20 x 1


def test_bad_factor_input_changes_nothing(client, login, factory, db):
    login(factory.user("scientist"))
    resp = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "waste",
            "fraction": "",
            "value": "abc",
            "source": "",
            "valid_from": date.today().isoformat(),
        },
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Choose which waste fraction" in html or "Enter a number" in html
    assert db.session.scalar(select(ImpactFactor)) is None


def test_money_never_summed_across_currencies(factory, db):
    kz = factory.school(pupils=10)
    by = factory.school(city="Minsk", country="BY", pupils=10, timezone="Europe/Minsk")
    day = date.today() - timedelta(days=3)
    for school, city, cur, price in ((kz, "Kyzylorda", "KZT", "30"), (by, "Minsk", "BYN", "0.3")):
        factory.log(
            factory.user("coordinator", school=school),
            category="energy",
            quantity="10",
            unit="kWh",
            action_date=day,
        )
        db.session.add(
            Tariff(
                city=city,
                country=school.country,
                currency=cur,
                category="energy",
                fraction="",
                source="t",
                price_per_unit=Decimal(price),
                valid_from=date(2020, 1, 1),
            )
        )
    db.session.commit()
    rows = money_saved(Scope(date_from=day, date_to=day), by=("category",))
    assert totals_by_currency(rows) == {"KZT": Decimal(300), "BYN": Decimal(3)}


def test_economist_edits_tariff_audited(client, login, factory, db):
    tariff = Tariff(
        city="Minsk",
        country="BY",
        currency="BYN",
        category="water",
        fraction="",
        price_per_unit=Decimal("0.002"),
        source="old",
        valid_from=date(2020, 1, 1),
    )
    db.session.add(tariff)
    db.session.commit()
    login(factory.user("economist"))
    resp = client.post(
        f"/impact/tariffs/{tariff.id}/edit",
        data={
            # Tariffs refer to a city row (issue 8, item 5): the form sends its id.
            # ... and says whether the price includes VAT and who pays it (issue 13).
            "city_id": str(tariff.city_id),
            "vat": "incl",
            "consumer_class": "budget",
            "category": "water",
            "fraction": "",
            "value": "0.0025",
            "source": "Minskvodokanal 2023",
            "valid_from": "2020-01-01",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(tariff)
    assert tariff.price_per_unit == Decimal("0.0025")
    rec = db.session.scalar(select(AuditRecord).where(AuditRecord.entity_type == "tariff"))
    assert rec.changes["price_per_unit"] == ["0.002000", "0.002500"]


@pytest.mark.parametrize(
    ("role", "factors", "tariffs"),
    [
        ("admin", 200, 200),
        ("scientist", 200, 403),
        ("economist", 403, 200),
        ("lawyer", 403, 403),
        ("coordinator", 403, 403),
        ("resident", 403, 403),
    ],
)
def test_factor_and_tariff_pages_access(client, login, factory, role, factors, tariffs):
    login(factory.user(role))
    assert client.get("/impact/factors").status_code == factors
    assert client.get("/impact/tariffs").status_code == tariffs
