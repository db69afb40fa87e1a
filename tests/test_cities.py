"""Cities are one table: every spelling of a city is one place with one set of tariffs
(issue 8, item 5)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from greenapp.models.impact import Tariff
from greenapp.models.place import City
from greenapp.models.school import School
from tests.places_helpers import migrated

OLD_NAMES = [
    "Kyzylorda",
    "Кызылорда",
    "Қызылорда",
    "Minsk",
    "Минск",
    "Мінск",
    "Almaty",
    "  almaty ",
]


def _old_data(conn: sa.Connection) -> None:
    now = datetime.now(UTC)
    for i, city in enumerate(OLD_NAMES):
        country = "BY" if "insk" in city or "инск" in city or "інск" in city else "KZ"
        conn.execute(
            sa.text(
                "INSERT INTO schools (name, city, country, address, pupils, joined_on, "
                "timezone, created_at, updated_at) VALUES (:n, :c, :k, '', 10, :j, "
                "'Asia/Qyzylorda', :t, :t)"
            ),
            {"n": f"Old school {i}", "c": city, "k": country, "j": date(2024, 1, 1), "t": now},
        )
    conn.execute(
        sa.text(
            "INSERT INTO users (email, display_name, password_hash, role, active, "
            "public_listing, session_token, created_at, updated_at) VALUES "
            "('r@example.org', 'R', 'x', 'resident', true, true, 'tok', :t, :t)"
        ),
        {"t": now},
    )


@pytest.fixture(scope="module")
def old_db(tmp_path_factory):
    engine = migrated(f"sqlite:///{tmp_path_factory.mktemp('cities') / 'm.db'}", _old_data)
    yield engine
    engine.dispose()


def test_migration_maps_every_spelling_to_one_city(old_db):
    with old_db.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text("SELECT s.name, c.name_en FROM schools s JOIN cities c ON c.id = s.city_id")
            ).all()
        )
        assert [rows[f"Old school {i}"] for i in range(6)] == ["Kyzylorda"] * 3 + ["Minsk"] * 3
        # An unknown name is kept as a city of its own, not lost (both spellings: one).
        assert rows["Old school 6"] == rows["Old school 7"] == "Almaty"
        assert conn.execute(sa.text("SELECT count(*) FROM cities")).scalar() == 3
        names = conn.execute(
            sa.text(
                "SELECT name_kk, name_ru, name_be, currency, timezone FROM cities "
                "WHERE name_en = 'Minsk'"
            )
        ).one()
        assert tuple(names) == ("Минск", "Минск", "Мінск", "BYN", "Europe/Minsk")
        # Residents belong to the Kyzylorda Green Community; old tariffs to their city.
        assert (
            conn.execute(
                sa.text("SELECT c.name_en FROM users u JOIN cities c ON c.id = u.city_id")
            ).scalar()
            == "Kyzylorda"
        )
        assert (
            conn.execute(sa.text("SELECT count(*) FROM tariffs WHERE city_id IS NULL")).scalar()
            == 0
        )


def _data(**kw):
    data = {
        "name": "School 65",
        "city": "Кызылорда",
        "address": "",
        "pupils": "100",
        "joined_on": "2024-09-01",
    }
    data.update(kw)
    return data


def _kzt_tariffs(db):
    db.session.add_all(
        [
            Tariff(
                city="Kyzylorda",
                country="KZ",
                currency="KZT",
                category=c,
                fraction="",
                price_per_unit=Decimal(p),
                source="t",
                valid_from=date(2000, 1, 1),
            )
            for c, p in (("water", "0.2"), ("energy", "30"), ("waste", "10"))
        ]
    )
    db.session.commit()


def test_school_typed_in_russian_gets_money_saved_and_one_city_row(client, login, factory, db):
    _kzt_tariffs(db)
    latin = factory.school(name="Latin spelling", city="Kyzylorda", pupils=100)
    factory.log(
        factory.user("coordinator", school=latin), category="energy", quantity="10", unit="kWh"
    )
    login(factory.user("admin"))
    resp = client.post("/schools/new", data=_data(), follow_redirects=True)
    assert "School saved." in resp.get_data(as_text=True)
    school = db.session.scalar(select(School).where(School.name == "School 65"))
    assert school.city_id == latin.city_id and school.timezone == "Asia/Qyzylorda"
    factory.log(
        factory.user("coordinator", school=school), category="energy", quantity="20", unit="kWh"
    )
    start = (date.today() - timedelta(days=40)).isoformat()
    html = client.get(f"/dashboards/programme?date_from={start}&category=energy").get_data(
        as_text=True
    )
    cities = html.split('class="table cities"')[1].split("</table>")[0]
    assert cities.count('<th scope="row">') == 1  # one city, not two spellings
    assert "900 KZT" in cities  # (10 + 20) kWh x 30
    assert "600 KZT" in html  # School 65's own money saved is not 0
    report = client.get(f"/experts/savings?subject={school.id}&date_from={start}").get_data(
        as_text=True
    )
    assert "600 KZT" in report


def test_unknown_city_is_refused_and_nothing_saved(client, login, factory, db):
    login(factory.user("admin"))
    html = client.post("/schools/new", data=_data(city="Atlantis")).get_data(as_text=True)
    assert "There is no city called “Atlantis”" in html and 'value="Atlantis"' in html
    assert db.session.scalar(select(School)) is None
    assert db.session.scalar(select(City).where(City.name_en == "Atlantis")) is None


def test_city_without_tariffs_warns_the_admin_by_name(client, login, factory, db):
    admin = factory.user("admin")
    login(admin)
    client.post(
        "/cities/",
        data={
            "name_en": "Almaty",
            "name_kk": "Алматы",
            "name_ru": "Алматы",
            "name_be": "Алматы",
            "country": "KZ",
            "aliases": "Alma-Ata",
        },
    )
    resp = client.post("/schools/new", data=_data(city="Alma-Ata"), follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "School saved." in html
    assert "Almaty has no tariff for: Water saved, Energy saved, Waste sorted" in html
    _kzt_tariffs(db)
    resp = client.post(
        "/schools/new", data=_data(name="Other", city="Қызылорда"), follow_redirects=True
    )
    assert "has no tariff" not in resp.get_data(as_text=True)


def test_admin_manages_cities_and_a_spelling_means_one_city(client, login, factory, db):
    factory.school(city="Minsk", country="BY")
    login(factory.user("admin"))
    page = client.get("/cities/").get_data(as_text=True)
    assert "Мінск" in page and "BYN" in page
    html = client.post(
        "/cities/", data={"name_en": "Minsk-2", "name_ru": "Минск", "country": "BY"}
    ).get_data(as_text=True)
    assert "“Минск” already means Minsk." in html
    assert db.session.scalar(select(sa.func.count(City.id))) == 1
    minsk = db.session.scalar(select(City))
    resp = client.post(
        f"/cities/{minsk.id}/edit",
        data={
            "name_en": "Minsk",
            "name_kk": "Минск",
            "name_ru": "Минск",
            "name_be": "Мінск",
            "country": "KZ",
            "aliases": "",
        },
    )
    assert "cannot move to another country" in resp.get_data(as_text=True)
    client.post(
        f"/cities/{minsk.id}/edit",
        data={
            "name_en": "Minsk",
            "name_kk": "Минск қаласы",
            "name_ru": "Минск",
            "name_be": "Мінск",
            "country": "BY",
            "aliases": "Mensk",
        },
    )
    db.session.refresh(minsk)
    assert minsk.name_kk == "Минск қаласы"
    client.post("/language", data={"language": "kk", "next": "/"})
    assert "Минск қаласы" in client.get("/schools/").get_data(as_text=True)


def test_public_page_counts_residents_and_says_so(client, factory, db):
    school = factory.school(pupils=100)
    factory.log(factory.user("coordinator", school=school), category="water", quantity="100")
    factory.log(factory.user("resident"), category="water", quantity="40")
    html = client.get("/dashboards/public").get_data(as_text=True)
    assert "residents of the Green Community" in html
    split = html.split('public-split"')[1].split("</table>")[0]
    water = re.search(r"Water saved \(L\)</th>(.*?)</tr>", split).group(1)
    assert re.findall(r">([\d,.]+)<", water) == ["100", "40", "140"]
    assert "140 L" in html  # the headline total is schools + residents


def test_change_column_says_new_when_previous_period_is_before_joining(client, login, factory, db):
    today = date.today()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    young = factory.school(name="Young School", joined_on=start, pupils=10)
    old = factory.school(name="Old School", joined_on=today - timedelta(days=900), pupils=10)
    for s in (young, old):
        factory.log(
            factory.user("coordinator", school=s),
            category="water",
            quantity="10",
            action_date=start + timedelta(days=1),
        )
    factory.log(
        factory.user("coordinator", school=old),
        category="water",
        quantity="5",
        action_date=start - timedelta(days=5),
    )
    login(factory.user("admin"))
    html = client.get(f"/dashboards/programme?date_from={start}&date_to={today}").get_data(
        as_text=True
    )
    table = html.split('class="table ranking"')[1].split("</table>")[0]
    rows = {
        name: row
        for row in table.split("<tr>")
        for name in ("Young School", "Old School")
        if name in row
    }
    assert (
        ">new<" in rows["Young School"]
        and "%" not in rows["Young School"].split("new")[1].split("</td>")[0]
    )
    assert ">new<" not in rows["Old School"] and "+100%" in rows["Old School"]


def test_programme_city_filter_by_id_and_by_old_name(client, login, factory, db):
    factory.school(name="KZ school", city="Қызылорда")
    minsk = factory.school(name="BY school", city="Мінск", country="BY")
    login(factory.user("admin"))
    for place in (f"city:{minsk.city_id}", "city:Minsk", "city:Минск"):
        html = client.get(f"/dashboards/programme?place={place}").get_data(as_text=True)
        figs = [
            json.loads(m)
            for m in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)
        ]
        assert "BY school" in html and "KZ school" not in html, (place, len(figs))
