"""Languages: complete catalogs, a stored choice, and no English left on a Kazakh page."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ALLOWED_LATIN = {"greenapp", "English", "CSV", "XLSX"}  # the brand, English's own name
# in the switcher, and the names of file formats


class VisibleText(HTMLParser):
    """Collects the text a person sees (and reads aloud), skipping scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.chunks.append(data.strip())


def english_left(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [c for c in parser.chunks if any(w not in ALLOWED_LATIN for w in LATIN_WORD.findall(c))]


def test_every_string_is_translated_in_every_language():
    result = subprocess.run(
        [sys.executable, "tools/i18n.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_language_choice_is_stored_on_the_account(client, factory, login, db):
    user = factory.user("resident")
    login(user)
    resp = client.post("/language", data={"language": "ru", "next": "/logs/"})
    assert resp.headers["Location"] == "/logs/"
    db.session.refresh(user)
    assert user.locale == "ru"
    assert 'lang="ru"' in client.get("/logs/").get_data(as_text=True)


def test_language_switch_refuses_an_offsite_next(client):
    resp = client.post("/language", data={"language": "kk", "next": "//evil.example"})
    assert resp.headers["Location"] == "/"


def test_accept_language_is_used_for_visitors(client):
    page = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert 'lang="ru"' in page.get_data(as_text=True)
    page = client.get("/", headers={"Accept-Language": "de-DE"})
    assert 'lang="en"' in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/logs/", "/logs/new", "/", "/auth/password"])
def test_kazakh_pages_have_no_english_left(client, factory, login, path):
    school = factory.school(name="Қызылорда №12 мектеп", city="Қызылорда", address="Абай даңғылы")
    coordinator = factory.user("coordinator", school=school, display_name="Дана")
    factory.log(coordinator, category="water", quantity="1.5", unit="m3")
    factory.log(coordinator, category="waste", fraction="plastic", quantity="2", unit="kg")
    client.post("/language", data={"language": "kk", "next": "/"})
    login(coordinator)  # the welcome message is then in Kazakh too
    page = client.get(path).get_data(as_text=True)
    assert 'lang="kk"' in page
    assert english_left(page) == []


def test_numbers_follow_the_locale(client, factory, login):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, category="water", quantity="1.5", unit="m3")
    factory.log(coordinator, category="energy", quantity="2.5", unit="kWh")
    login(coordinator)
    english = client.get("/logs/").get_data(as_text=True)
    assert "1,500" in english and "2.5" in english
    client.post("/language", data={"language": "ru", "next": "/"})
    russian = client.get("/logs/").get_data(as_text=True)
    assert "1\xa0500" in russian and "2,5" in russian


def test_language_chosen_before_signing_in_is_kept(client, factory, login, db):
    user = factory.user("resident")
    client.post("/language", data={"language": "be", "next": "/"})
    login(user)
    db.session.refresh(user)
    assert user.locale == "be"
    assert 'lang="be"' in client.get("/logs/").get_data(as_text=True)


def test_the_plausibility_limit_is_written_the_local_way(client, factory, login):
    login(factory.user("coordinator"))
    client.post("/language", data={"language": "ru", "next": "/"})
    page = client.post(
        "/logs/new",
        data={
            "category": "water",
            "quantity": "5000",
            "unit": "m3",
            "evidence": "self",
            "action_date": "2026-01-05",
        },
    ).get_data(as_text=True)
    assert "1\xa0000\xa0000" in page
