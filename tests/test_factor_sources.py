"""Every default factor and tariff matches its published value, carries a checkable
source and a row dated from the year it applies; new rows never move earlier months
(issue 13). Back-dated rows ask first and say what changed (issue 8, item 5)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from greenapp.models.impact import ImpactFactor, Tariff
from greenapp.services.impact import co2e_avoided, money_saved
from greenapp.services.stats import Scope
from tests.places_helpers import migrated

# Issue 13's table, transcribed independently of the migration: the source of record.
# (country, category, fraction, valid_from year) -> (published value, published unit,
#  factor stored per canonical unit)
PUBLISHED_FACTORS = {
    ("KZ", "energy", "", 2022): ("831", "gCO2e/kWh", "0.831"),
    ("KZ", "energy", "", 2023): ("827", "gCO2e/kWh", "0.827"),
    ("KZ", "energy", "", 2024): ("802", "gCO2e/kWh", "0.802"),
    ("BY", "energy", "", 2022): ("439", "gCO2e/kWh", "0.439"),
    ("BY", "energy", "", 2023): ("360", "gCO2e/kWh", "0.36"),
    ("BY", "energy", "", 2024): ("330", "gCO2e/kWh", "0.33"),
    **{
        (c, "water", "", y): (v, "kg CO2e/m³", str(Decimal(v) / 1000))
        for c in ("KZ", "BY")
        for y, v in ((2022, "0.421"), (2023, "0.378"), (2024, "0.339"), (2025, "0.362"))
    },
    **{
        (c, "trees", "", 2022): ("0.060", "metric ton CO2 per urban tree planted (10 years)", "60")
        for c in ("KZ", "BY")
    },
    **{
        (c, "waste", f, 2022): (v, "kg CO2e per kg", v)
        for c in ("KZ", "BY")
        for f, v in (
            ("paper", "4.0"),
            ("plastic", "1.04"),
            ("glass", "0.33"),
            ("metal", "4.63"),
            ("organic", "0.68"),
            ("ewaste", "0.89"),
        )
    },
}
# (city, category, fraction, valid_from) -> (published value, unit, stored per canonical
#  unit, VAT, payer)
PUBLISHED_TARIFFS = {
    ("Kyzylorda", "water", "", date(2023, 7, 5)): (
        "227.77",
        "KZT/m³ including VAT (203.37 without VAT)",
        "0.22777",
        "incl",
        "budget",
    ),
    ("Kyzylorda", "energy", "", date(2024, 1, 1)): (
        "31.45",
        "KZT/kWh",
        "31.45",
        "unknown",
        "budget",
    ),
    ("Minsk", "energy", "", date(2024, 1, 1)): ("0.33734", "BYN/kWh", "0.33734", "excl", "legal"),
    ("Minsk", "energy", "", date(2025, 6, 1)): (
        "0.36433",
        "BYN/kWh without VAT",
        "0.36433",
        "excl",
        "legal",
    ),
    ("Minsk", "water", "", date(2026, 3, 1)): ("3.154", "BYN/m³", "0.003154", "incl", "household"),
    ("Minsk", "waste", "paper", date(2026, 1, 1)): ("0.14", "BYN/kg", "0.14", "none", "legal"),
    ("Minsk", "waste", "plastic", date(2026, 1, 1)): ("0.20", "BYN/kg", "0.2", "none", "legal"),
}
OLD_FACTORS = {
    ("KZ", "energy", ""): "0.636",
    ("BY", "energy", ""): "0.4",
    ("KZ", "water", ""): "0.000344",
    ("KZ", "trees", ""): "22",
    ("KZ", "waste", "paper"): "0.9",
    ("BY", "waste", "metal"): "4",
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    engine = migrated(f"sqlite:///{tmp_path_factory.mktemp('src') / 'm.db'}")
    with engine.connect() as conn:
        factors = conn.execute(sa.text("SELECT * FROM impact_factors")).mappings().all()
        tariffs = (
            conn.execute(
                sa.text("SELECT t.*, c.name_en FROM tariffs t JOIN cities c ON c.id = t.city_id")
            )
            .mappings()
            .all()
        )
    engine.dispose()
    return [dict(r) for r in factors], [dict(r) for r in tariffs]


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def test_every_corrected_factor_matches_the_published_value(seeded):
    factors, _tariffs = seeded
    new = {
        (r["country"], r["category"], r["fraction"], _day(r["valid_from"]).year): r
        for r in factors
        if _day(r["valid_from"]) >= date(2022, 1, 1)
    }
    assert set(new) == set(PUBLISHED_FACTORS)
    for key, (value, unit, stored) in PUBLISHED_FACTORS.items():
        row = new[key]
        assert (row["src_value"], row["src_unit"]) == (value, unit), key
        assert Decimal(row["kg_co2e_per_unit"]).scaleb(-6) == Decimal(stored), key
        assert _day(row["valid_from"]) == date(key[3], 1, 1)
        assert str(key[3]) in row["src_edition"] or key[1] in ("trees", "waste"), key
        for field in (
            "src_publisher",
            "src_title",
            "src_edition",
            "src_conversion",
            "gas_basis",
            "method",
        ):
            assert row[field].strip(), (key, field)


def test_one_method_for_electricity_in_both_countries(seeded):
    factors, _ = seeded
    methods = {
        r["method"]
        for r in factors
        if r["category"] == "energy" and _day(r["valid_from"]) >= date(2022, 1, 1)
    }
    assert len(methods) == 1 and "average" in methods.pop()
    paper = [
        r for r in factors if r["fraction"] == "paper" and _day(r["valid_from"]) >= date(2022, 1, 1)
    ]
    assert all("forest carbon" in r["method"] and r["src_edition"] == "WARM v15" for r in paper)


def test_every_corrected_tariff_matches_the_published_value(seeded):
    _, tariffs = seeded
    new = {
        (r["name_en"], r["category"], r["fraction"], _day(r["valid_from"])): r
        for r in tariffs
        if _day(r["valid_from"]) > date(2020, 1, 1)
    }
    assert set(new) == set(PUBLISHED_TARIFFS)
    for key, (value, unit, stored, vat, payer) in PUBLISHED_TARIFFS.items():
        row = new[key]
        assert (row["src_value"], row["src_unit"]) == (value, unit), key
        assert Decimal(row["price_per_unit"]).scaleb(-6) == Decimal(stored), key
        assert (row["vat"], row["consumer_class"]) == (vat, payer), key
        assert row["src_publisher"] and row["src_title"] and row["src_edition"], key
    estimates = {k for k, r in new.items() if r["estimate_note"]}
    assert {
        ("Minsk", "water", "", date(2026, 3, 1)),
        ("Minsk", "waste", "paper", date(2026, 1, 1)),
    } <= estimates


def test_history_is_not_edited(seeded):
    """The 2020 defaults keep their values and dates; only notes are added."""
    factors, tariffs = seeded
    old = {
        (r["country"], r["category"], r["fraction"]): r
        for r in factors
        if _day(r["valid_from"]) == date(2020, 1, 1)
    }
    for key, value in OLD_FACTORS.items():
        assert Decimal(old[key]["kg_co2e_per_unit"]).scaleb(-6) == Decimal(value)
    assert "Mislabelled" in old[("KZ", "water", "")]["estimate_note"]
    assert sum(1 for r in tariffs if _day(r["valid_from"]) == date(2020, 1, 1)) == 16


def test_a_new_row_leaves_earlier_months_unchanged(client, login, factory, db):
    coordinator = factory.user("coordinator")
    this_month = date.today().replace(day=1)
    early = (this_month - timedelta(days=70)).replace(day=1)
    late = (this_month - timedelta(days=1)).replace(day=1)
    for day in (early, late):
        factory.log(
            coordinator,
            category="energy",
            quantity="100",
            unit="kWh",
            action_date=day + timedelta(days=3),
        )
    db.session.add(
        ImpactFactor(
            country="KZ",
            category="energy",
            fraction="",
            kg_co2e_per_unit=Decimal("0.6"),
            source="old",
            valid_from=date(2020, 1, 1),
        )
    )
    db.session.add(
        Tariff(
            city="Kyzylorda",
            country="KZ",
            currency="KZT",
            category="energy",
            fraction="",
            price_per_unit=Decimal("30"),
            source="old",
            valid_from=date(2020, 1, 1),
        )
    )
    db.session.commit()
    scope = Scope(date_from=early, date_to=date.today())

    def per_month():
        return (
            {r.key["period"]: r.kg_co2e for r in co2e_avoided(scope, ("period",))},
            {r.key["period"]: r.amount for r in money_saved(scope, ("period",))},
        )

    co2_before, money_before = per_month()
    login(factory.user("admin"))
    client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "energy",
            "value": "0.802",
            "source": "Ember 2024",
            "valid_from": late.isoformat(),
            "confirm": "",
        },
    )
    page = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "energy",
            "value": "0.802",
            "source": "Ember 2024",
            "valid_from": late.isoformat(),
            "confirm": _confirm_token(
                client,
                "/impact/factors",
                {
                    "country": "KZ",
                    "category": "energy",
                    "value": "0.802",
                    "source": "Ember 2024",
                    "valid_from": late.isoformat(),
                },
            ),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Figures changed for 1 month" in page
    co2_after, _ = per_month()
    assert co2_after[early] == co2_before[early] == Decimal("60")
    assert co2_after[late] == Decimal("80.2")
    _, money_mid = per_month()
    assert money_mid == money_before


def _confirm_token(client, url, data) -> str:
    html = client.post(url, data={**data, "confirm": ""}).get_data(as_text=True)
    return re.search(r'name="confirm" type="hidden" value="([0-9a-f]+)"', html).group(1)


def test_back_dated_tariff_lists_months_and_changes_nothing_until_confirmed(
    client, login, factory, db
):
    coordinator = factory.user("coordinator")
    city_id = coordinator.school.city_id
    first = (date.today().replace(day=1) - timedelta(days=50)).replace(day=1)
    factory.log(
        coordinator, category="water", quantity="1000", action_date=first + timedelta(days=2)
    )
    factory.log(
        factory.user("resident"),
        category="water",
        quantity="500",
        action_date=first + timedelta(days=35),
    )
    login(factory.user("economist"))
    data = {
        "city_id": str(city_id),
        "category": "water",
        "value": "0.22777",
        "vat": "incl",
        "consumer_class": "budget",
        "source": "Su Zhuiesi 27-НҚ",
        "valid_from": first.isoformat(),
        "src_publisher": "Kyzylorda Su Zhuiesi",
    }
    html = client.post("/impact/tariffs", data=data).get_data(as_text=True)
    assert "it changes the figures already shown for 2 months" in html
    box = html.split('id="confirm-months"')[1].split("</div>")[0]
    month_names = re.findall(r"<li>(.*?)</li>", box)
    assert len(month_names) == 2 and str(first.year) in month_names[0]
    assert "Confirm and save" in html and "Su Zhuiesi 27-НҚ</textarea>" in html  # kept
    assert db.session.scalar(select(Tariff)) is None  # nothing saved yet
    # A different date than the one shown must be confirmed again.
    token = re.search(r'name="confirm" type="hidden" value="([0-9a-f]+)"', html).group(1)
    later = {**data, "valid_from": (first + timedelta(days=33)).isoformat(), "confirm": token}
    assert "Confirm and save" in client.post("/impact/tariffs", data=later).get_data(as_text=True)
    assert db.session.scalar(select(Tariff)) is None
    done = client.post(
        "/impact/tariffs", data={**data, "confirm": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Tariff saved. Figures changed for 2 months:" in done
    tariff = db.session.scalar(select(Tariff))
    assert tariff.vat == "incl" and tariff.src_publisher == "Kyzylorda Su Zhuiesi"
    assert "including VAT" in done and "budget organisations" in done


def test_tariff_from_today_with_no_entries_saves_at_once(client, login, factory, db):
    coordinator = factory.user("coordinator")
    login(factory.user("economist"))
    resp = client.post(
        "/impact/tariffs",
        data={
            "city_id": str(coordinator.school.city_id),
            "category": "energy",
            "value": "31.45",
            "vat": "unknown",
            "consumer_class": "budget",
            "source": "s",
            "valid_from": date.today().isoformat(),
        },
        follow_redirects=True,
    )
    assert "no month's figures changed" in html.unescape(resp.get_data(as_text=True))
    refused = client.post(
        "/impact/tariffs",
        data={
            "city_id": str(coordinator.school.city_id),
            "category": "water",
            "value": "1",
            "vat": "",
            "consumer_class": "budget",
            "source": "s",
            "valid_from": date.today().isoformat(),
        },
    ).get_data(as_text=True)
    assert "Say whether the price includes VAT." in refused


def test_savings_report_says_which_prices_it_used(client, login, factory, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, category="water", quantity="1000")
    db.session.add(
        Tariff(
            city="Kyzylorda",
            country="KZ",
            currency="KZT",
            category="water",
            fraction="",
            price_per_unit=Decimal("0.22777"),
            source="s",
            vat="incl",
            consumer_class="budget",
            valid_from=date(2023, 7, 5),
        )
    )
    db.session.commit()
    login(factory.user("economist"))
    html = client.get(f"/experts/savings?subject={coordinator.school_id}").get_data(as_text=True)
    assert "227.77 KZT" in html
    assert re.search(
        r"Kyzylorda, Water saved: 0\.22777 KZT/L, including VAT, budget "
        r"organisations",
        html,
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "average emissions"), ("ru", "средн"), ("kk", "орташа"), ("be", "сярэдн")],
)
def test_factors_page_shows_sources_and_method_in_every_language(
    client, login, factory, db, lang, words
):
    db.session.add(
        ImpactFactor(
            country="BY",
            category="energy",
            fraction="",
            kg_co2e_per_unit=Decimal("0.33"),
            source="Ember",
            src_publisher="Ember",
            src_title="carbon_intensity_elec",
            src_edition="2024",
            src_value="330",
            src_unit="gCO2e/kWh",
            method="average",
            gas_basis="CO2e, lifecycle",
            valid_from=date(2024, 1, 1),
        )
    )
    db.session.commit()
    login(factory.user("scientist"))
    client.post("/language", data={"language": lang, "next": "/"})
    page = client.get("/impact/factors").get_data(as_text=True)
    assert words in page.lower()
    assert "gCO2e/kWh" in page and "carbon_intensity_elec" in page and "330" in page


def test_a_new_row_with_the_same_rate_changes_no_month(client, login, factory, db):
    coordinator = factory.user("coordinator")
    factory.log(
        coordinator,
        category="energy",
        quantity="10",
        unit="kWh",
        action_date=date.today() - timedelta(days=40),
    )
    db.session.add(
        ImpactFactor(
            country="KZ",
            category="energy",
            fraction="",
            kg_co2e_per_unit=Decimal("0.6"),
            source="old",
            valid_from=date(2020, 1, 1),
        )
    )
    db.session.commit()
    login(factory.user("scientist"))
    page = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "energy",
            "value": "0.600",
            "source": "same value",
            "valid_from": (date.today() - timedelta(days=60)).isoformat(),
            "src_publisher": "x\x00y",
        },
    ).get_data(as_text=True)
    assert "Remove the control characters" in page
    resp = client.post(
        "/impact/factors",
        data={
            "country": "KZ",
            "category": "energy",
            "value": "0.600",
            "source": "same value",
            "valid_from": (date.today() - timedelta(days=60)).isoformat(),
        },
        follow_redirects=True,
    )
    assert "no month's figures changed" in html.unescape(resp.get_data(as_text=True))
