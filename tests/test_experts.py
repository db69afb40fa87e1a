"""Scientists' guides (sanitised Markdown, per language) and economists' savings pages."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from greenapp.models.audit import AuditRecord
from greenapp.models.experts import Guide
from greenapp.models.impact import ImpactFactor, Tariff
from greenapp.services.guides import render

GUIDE = {
    "kind": "tip",
    "category": "water",
    "title": "Fix dripping taps",
    "body": "A dripping tap wastes **30 L** a day.\n\n- check washers\n",
    "languages": ["en", "ru"],
}


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
        "[x](JaVaScRiPt:alert(1))",
    ],
)
def test_markdown_never_lets_script_through(evil):
    html = str(render(f"Hello\n\n{evil}\n\n**bold**"))
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "<img" not in html
    assert not re.search(r"<[^>]*\son\w+=", html)  # no live event handler attribute
    assert not re.search(r"<a[^>]*href=\"?javascript", html, re.IGNORECASE)


def test_scientist_publishes_a_tip_residents_see_it_for_what_they_log(client, factory, login, db):
    login(factory.user("scientist"))
    resp = client.post(
        "/experts/guides/new",
        data={**GUIDE, "body": GUIDE["body"] + "\n<script>alert(1)</script>"},
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    assert "<strong>30 L</strong>" in page and "<script>alert(1)" not in page
    guide = db.session.scalar(select(Guide))
    assert guide.languages == "ru,en"
    assert db.session.scalar(select(AuditRecord).where(AuditRecord.entity_type == "guide"))
    client.post("/auth/logout")
    resident = factory.user("resident")
    factory.log(resident)
    login(resident)
    assert "Fix dripping taps" in client.get("/community/").get_data(as_text=True)


def test_drafts_are_hidden_from_the_public(client, factory, login, db):
    login(factory.user("scientist"))
    client.post("/experts/guides/new", data={**GUIDE, "languages": []})
    guide = db.session.scalar(select(Guide))
    assert guide.languages == ""
    client.post("/auth/logout")
    assert client.get(f"/experts/guides/{guide.id}").status_code == 404
    assert "Fix dripping taps" not in client.get("/experts/guides").get_data(as_text=True)


def test_guide_needs_title_and_text(client, factory, login, db):
    login(factory.user("scientist"))
    page = client.post("/experts/guides/new", data={**GUIDE, "title": "", "body": "x"}).get_data(
        as_text=True
    )
    assert "Give it a title." in page
    assert db.session.scalar(select(Guide)) is None


def _tariffs(db):
    start = date.today() - timedelta(days=800)
    db.session.add_all(
        [
            Tariff(
                city="Kyzylorda",
                country="KZ",
                currency="KZT",
                category="water",
                price_per_unit=Decimal("0.25"),
                valid_from=start,
            ),
            Tariff(
                city="Minsk",
                country="BY",
                currency="BYN",
                category="water",
                price_per_unit=Decimal("0.002"),
                valid_from=start,
            ),
            ImpactFactor(
                country="KZ", category="water", kg_co2e_per_unit=Decimal("0.001"), valid_from=start
            ),
        ]
    )
    db.session.commit()


def test_savings_report_per_school_and_per_pupil_with_csv(client, factory, login, db):
    _tariffs(db)
    school = factory.school(name="Lyceum 3", pupils=100)
    coordinator = factory.user("coordinator", school=school)
    factory.log(coordinator, quantity="400")
    login(factory.user("economist"))
    page = client.get(f"/experts/savings?subject={school.id}").get_data(as_text=True)
    assert "Lyceum 3" in page and "100 KZT" in page and "1 KZT" in page
    resp = client.get(f"/experts/savings.csv?subject={school.id}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["Money saved"] == "100.00" and rows[0]["Currency"] == "KZT"
    assert rows[0]["Money saved per pupil"] == "1.00" and rows[0]["Quantity"] == "400.000"


def test_community_report_and_resident_home_show_money(client, factory, login, db):
    _tariffs(db)
    resident = factory.user("resident")
    factory.log(resident, quantity="1000")
    login(resident)
    home = client.get("/community/").get_data(as_text=True)
    assert "250 KZT" in home and "1 kg CO₂e" in home
    client.post("/auth/logout")
    login(factory.user("admin"))
    page = client.get("/experts/savings?subject=community").get_data(as_text=True)
    assert "250 KZT" in page


def test_what_if_at_todays_tariff(client, factory, login, db):
    _tariffs(db)
    factory.school(city="Kyzylorda", pupils=1000)
    factory.school(city="Kyzylorda", pupils=500)
    factory.school(city="Minsk", country="BY", pupils=700)
    login(factory.user("economist"))
    page = client.get(
        "/experts/what-if?city=Kyzylorda&category=water&percent=10&use_per_pupil=12000"
    ).get_data(as_text=True)
    # 1500 pupils x 12000 L x 10% = 1,800,000 L at 0.25 KZT/L = 450,000 KZT
    assert "1,800,000 L" in page and "450,000 KZT" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "city=Kyzylorda&category=water&percent=150&use_per_pupil=100",
            "Enter a percentage between 0 and 100.",
        ),
        (
            "city=Kyzylorda&category=water&percent=abc&use_per_pupil=100",
            "Enter a percentage between 0 and 100.",
        ),
        (
            "city=Atlantis&category=water&percent=10&use_per_pupil=100",
            "Choose a city from the list.",
        ),
        (
            "city=Kyzylorda&category=water&percent=10&use_per_pupil=-4",
            "Enter the yearly use per pupil",
        ),
    ],
)
def test_what_if_refuses_bad_input_and_keeps_it(client, factory, login, db, query, message):
    factory.school(city="Kyzylorda")
    login(factory.user("economist"))
    page = client.get(f"/experts/what-if?{query}").get_data(as_text=True)
    assert message in page
    assert "<h2>Result</h2>" not in page


def test_guides_are_listed_in_the_readers_language(client, factory, login, db):
    scientist = factory.user("scientist")
    login(scientist)
    client.post(
        "/experts/guides/new", data={**GUIDE, "title": "Только по-русски", "languages": ["ru"]}
    )
    client.post("/experts/guides/new", data={**GUIDE, "title": "Everyone", "languages": ["en"]})
    client.post("/auth/logout")
    page = client.get("/experts/guides").get_data(as_text=True)
    assert "Everyone" in page and "Только по-русски" not in page
    client.post("/language", data={"language": "ru"})
    page = client.get("/experts/guides").get_data(as_text=True)
    assert "Everyone" in page and "Только по-русски" in page
