"""Language a native reader trusts: plural forms, dates, one term per concept, demo content
in the reader's language, and a catalog check that catches what a reviewer would."""

import csv
import functools
import importlib.util
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from test_i18n import VisibleText

from greenapp.services import cache, challenges, pipeline, proposals
from tests.helpers import local_today, make_challenge

ROOT = Path(__file__).resolve().parent.parent
TERMS = ROOT / "greenapp" / "translations" / "terms.csv"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")


def _i18n():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _strings_in_the_code() -> dict:
    """What the tool's extract() finds. The code does not change during a run, and the
    tests that edit catalogs run check() twice each: one extraction (~2 s) instead of
    four."""
    return _i18n().extract()


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.chunks)


def page(client, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code)
    return visible(resp.get_data(as_text=True))


def assert_reads_well(text: str, where: str) -> None:
    double = DOUBLE_PERIOD.search(text)
    assert double is None, (where, text[max(0, double.start() - 40) : double.end() + 5])
    assert not ISO_DATE.search(text), (where, ISO_DATE.findall(text))


def use_language(client, lang: str) -> None:
    client.post("/language", data={"language": lang, "next": "/"})


# --- the term list -----------------------------------------------------------------------


def test_every_catalog_uses_the_listed_term_for_each_concept():
    tool = _i18n()
    with TERMS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["concept"] for r in rows} >= {
        "target",
        "evidence",
        "self-reported",
        "CO2e",
        "log",
        "edit",
        "legal review",
    }
    wrong = []
    for lang in tool.LANGS:
        for key, translation in tool.translated(lang).items():
            ids = [key] if isinstance(key, str) else list(key)
            # The context is not shown, nor are the site paths quoted in a message.
            ids = [re.sub(r"/\S*", "", i.split(tool.CONTEXT_SEP)[-1]) for i in ids]
            strings = [translation] if isinstance(translation, str) else list(translation)
            for row in rows:
                if any(re.search(row["en_pattern"], i, re.IGNORECASE) for i in ids):
                    wrong += [
                        (lang, row["concept"], ids[0], s)
                        for s in strings
                        if not re.search(row[f"{lang}_pattern"], s, re.IGNORECASE)
                    ]
    assert wrong == []


# --- the catalog check ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang, text, problem",
    [
        ("ru", "Ваша запись от %(day)s.", "period right after a date"),
        ("be", "Захавана: %(qty)s %(unit)s.", "period right after a date or unit"),
        ("kk", "Мектeп", "Latin look-alike"),  # a Latin "e" inside a Kazakh word
        ("be", "Выберите школу", "Russian-only letter"),
        ("be", "Абъява", "Russian-only letter"),  # Belarusian writes an apostrophe: аб'ява
    ],
)
def test_the_check_names_what_a_reviewer_would_stumble_on(lang, text, problem):
    found = _i18n().text_problems(lang, text)
    assert any(problem in f for f in found), found


def test_good_translations_pass_the_check():
    tool = _i18n()
    assert tool.text_problems("ru", "Ваша запись от %(day)s подтверждена учёным.") == []
    assert tool.text_problems("kk", "%(qty)s %(unit)s сақталды.") == []
    assert tool.text_problems("be", "Сартаванне адходаў у Мінску, CO₂-экв.") == []


def test_a_missing_plural_form_or_a_fuzzy_header_fails_the_check(tmp_path, monkeypatch, capsys):
    tool = _i18n()
    copy = tmp_path / "translations"
    shutil.copytree(tool.TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(tool, "TRANSLATIONS", copy)
    monkeypatch.setattr(tool, "extract", _strings_in_the_code)
    assert tool.check() == 0
    path = copy / "community" / "ru" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="ru")
    message = catalog.get(("%(n)s day left", "%(n)s days left"))
    message.string = message.string[:2]  # "5 дней" forgotten
    catalog.fuzzy = True
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    capsys.readouterr()
    assert tool.check() == 2
    out = capsys.readouterr().out
    assert "2 of 3 plural forms" in out and "fuzzy" in out


# --- rendered pages ------------------------------------------------------------------------


@pytest.fixture
def programme(factory, db):
    """Two Kyzylorda schools, a coordinator, a resident with a verified entry, a challenge
    with two days left and two participants, and a proposal a lawyer has decided."""
    school = factory.school(name="№3 мектеп-лицей")
    factory.school(name="№12 орта мектеп")
    coordinator = factory.user("coordinator", school=school)
    resident = factory.user("resident")
    scientist = factory.user("scientist")
    lawyer = factory.user("lawyer")
    factory.log(coordinator, category="water", quantity="2", unit="m3")
    factory.log(coordinator, category="trees", quantity="5", unit="trees", evidence="document")
    entry = factory.log(resident, category="water", quantity="120", unit="L", evidence="self")
    pipeline.review_log(scientist, entry, "verified", "")
    today = local_today()  # the app's today (Kyzylorda), not the machine's
    challenge = make_challenge(
        db, scientist, end_date=today + timedelta(days=2), start_date=today - timedelta(days=3)
    )
    challenges.join(coordinator, challenge, today)
    challenges.join(resident, challenge, today)
    proposal = proposals.submit(
        resident,
        proposals.ProposalInput(
            kind="proposal",
            title="Bins in every courtyard",
            text="Please put a plastic bin in every courtyard of our district.",
            category="waste",
            district="Орталық",
        ),
    )
    proposals.review(lawyer, proposal, "under_review", "", "")
    proposals.review(
        lawyer,
        proposal,
        "accepted",
        "Environmental Code of the Republic of Kazakhstan, art. 27",
        "Accepted.",
    )
    db.session.commit()
    return {
        "school": school,
        "coordinator": coordinator,
        "resident": resident,
        "lawyer": lawyer,
        "entry": entry,
        "challenge": challenge,
        "proposal": proposal,
    }


PLURALS = {  # "2 days left", "2 participants", "2 schools"
    "kk": ("2 күн қалды", "2 қатысушы", "2 мектеп"),
    "ru": ("осталось 2 дня", "2 участника", "2 школы"),
    "be": ("засталося 2 дні", "2 удзельнікі", "2 школы"),
}


@pytest.mark.parametrize("lang", ["kk", "be", "ru"])
def test_a_coordinators_pages_read_well(client, login, programme, lang):
    use_language(client, lang)
    login(programme["coordinator"])
    school_id = programme["school"].id
    challenge_id = programme["challenge"].id
    texts = {}
    for path in (
        "/logs/",
        "/logs/new",
        "/community/",
        "/community/challenges",
        f"/community/challenges/{challenge_id}",
        f"/schools/{school_id}",
        f"/dashboards/school/{school_id}",
        "/experts/proposals",
        "/community/notifications",
    ):
        texts[path] = page(client, path)
        assert_reads_well(texts[path], (lang, path))
    days, participants, _schools = PLURALS[lang]
    assert days in texts["/community/challenges"]
    assert participants in texts["/community/challenges"]
    assert days in texts[f"/community/challenges/{challenge_id}"]


@pytest.mark.parametrize("lang", ["kk", "be", "ru"])
def test_a_residents_pages_read_well_and_the_notification_date_is_local(
    client, login, programme, lang
):
    use_language(client, lang)
    login(programme["resident"])
    for path in (
        "/community/",
        "/community/challenges",
        "/logs/",
        f"/logs/{programme['entry'].id}",
        f"/experts/proposals/{programme['proposal'].id}",
    ):
        assert_reads_well(page(client, path), (lang, path))
    notes = page(client, "/community/notifications")
    assert_reads_well(notes, (lang, "notifications"))
    year_mark = {"kk": "ж.", "ru": "г.", "be": "г."}[lang]
    assert f"{programme['entry'].action_date.year}\u202f{year_mark}" in notes


@pytest.mark.parametrize("lang", ["kk", "be"])
def test_a_lawyers_pages_read_well(client, login, programme, lang):
    use_language(client, lang)
    login(programme["lawyer"])
    for path in (
        "/experts/",
        "/experts/proposals",
        f"/experts/proposals/{programme['proposal'].id}",
        "/experts/decisions",
    ):
        assert_reads_well(page(client, path), (lang, path))


@pytest.mark.parametrize(
    "lang, two, five",
    [("kk", "2 мектеп", "5 мектеп"), ("ru", "2 школы", "5 школ"), ("be", "2 школы", "5 школ")],
)
def test_school_counts_take_the_right_plural_form(client, factory, db, lang, two, five):
    factory.school()
    factory.school()
    use_language(client, lang)
    assert two in page(client, "/dashboards/public")
    for _ in range(3):
        factory.school()
    # The factory stores schools directly; the admin's form (services/schools.py) moves
    # the programme's cache scope like this.
    cache.invalidate([cache.PROGRAMME])
    db.session.commit()
    use_language(client, lang)
    text = page(client, "/dashboards/public")
    assert five in text and two not in text


def test_tables_use_the_short_date_and_sentences_the_long_one(client, login, programme):
    use_language(client, "ru")
    login(programme["coordinator"])
    day = date.today() - timedelta(days=1)
    table = page(client, "/logs/")
    assert day.strftime("%d.%m.%Y") in table
    months = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ]
    school = page(client, f"/schools/{programme['school'].id}")
    joined = programme["school"].joined_on
    assert f"{joined.day} {months[joined.month - 1]} {joined.year}\u202fг." in school


def test_the_joined_the_programme_message_writes_the_date_the_local_way(client, login, factory):
    school = factory.school(joined_on=date(2026, 5, 5))
    login(factory.user("coordinator", school=school))
    use_language(client, "be")
    text = visible(
        client.post(
            "/logs/new",
            data={
                "category": "water",
                "quantity": "1",
                "unit": "m3",
                "evidence": "self",
                "action_date": "2026-05-01",
            },
        ).get_data(as_text=True)
    )
    assert "5 мая 2026\u202fг." in text
    assert "2026-05-05" not in text


# --- demo content --------------------------------------------------------------------------


def test_a_minsk_coordinator_sees_the_demo_in_belarusian(app, client, login, db):
    from sqlalchemy import select

    from greenapp.models.user import User
    from greenapp.services.demo import DEMO_PASSWORD

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    minsk = db.session.scalar(
        select(User).where(User.email == "coordinator.minsk@demo.greenapp.by")
    )
    assert minsk.locale == "be"
    login(minsk, password=DEMO_PASSWORD)
    listing = page(client, "/community/challenges")
    for title in ("Месяц эканоміі вады", "Школы эканомяць энергію", "Сартуем пластык"):
        assert title in listing
    assert "Water saving month" not in listing and "Месяц экономии воды" not in listing
    guides = page(client, "/experts/guides")
    for title in (
        "Як эканоміць ваду дома і ў школе",
        "Энергія: святло, рэжым чакання і ацяпленне",
        "Сартаванне адходаў у Мінску",
        "Як пасадзіць ліпу або клён",
        "Як гаварыць з суседзямі пра ваду і адходы",
    ):
        assert title in guides
    decisions = page(client, "/experts/decisions")
    assert "Адрамантаваць водаразборную калонку" in decisions
    assert "Накіравана ў аддзел жыллёва-камунальнай гаспадаркі" in decisions
    # The same stored challenge reads in Kazakh and English for other readers.
    visitor = app.test_client()
    use_language(visitor, "kk")
    assert "Су үнемдеу айы" in page(visitor, "/community/challenges")
    use_language(visitor, "en")
    assert "Water saving month" in page(visitor, "/community/challenges")


def test_the_programmes_cities_are_written_in_the_readers_language(client, login, factory):
    factory.school(city="Kyzylorda")
    factory.school(city="Minsk", country="BY", timezone="Europe/Minsk")
    login(factory.user("admin"))
    use_language(client, "kk")
    text = page(client, "/schools/")
    assert "Қызылорда" in text and "Минск" in text and "Kyzylorda" not in text
    use_language(client, "be")
    assert "Мінск" in page(client, "/schools/")


def test_a_template_header_fails_the_check_until_headers_writes_a_review_header(
    tmp_path, monkeypatch, capsys
):
    from babel.messages.catalog import Catalog

    tool = _i18n()
    copy = tmp_path / "translations"
    shutil.copytree(tool.TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(tool, "TRANSLATIONS", copy)
    monkeypatch.setattr(tool, "extract", _strings_in_the_code)
    for lang in tool.LANGS:  # an area started with Babel's template header
        path = copy / "newarea" / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        with path.open("wb") as fh:
            write_po(fh, Catalog(locale=lang, project="greenapp"))
    capsys.readouterr()
    assert tool.check() > 0
    assert "newarea catalog: header still marked fuzzy" in capsys.readouterr().out
    tool.headers(["newarea"])
    assert tool.check() == 0
    head = (copy / "newarea" / "be" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert "Language-Team: Belarusian" in head and "#, fuzzy" not in head
