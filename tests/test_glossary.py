"""Eco glossary: loading, finding, pages, review by both sides, access."""

from sqlalchemy import func, select

from greenapp.models.glossary import GlossaryApproval, GlossaryConcept, GlossaryTerm
from greenapp.services import glossary as svc
from tests.glossary_helpers import DATA_FILE, load_full, load_small


def _concept(db, key):
    return db.session.scalar(select(GlossaryConcept).where(GlossaryConcept.key == key))


def test_data_file_loads_200_plus_concepts_in_four_languages_honestly(db):
    result = load_full(db)
    assert result.ok and result.created >= 200
    concepts = svc.load_concepts()
    assert len(concepts) >= 200
    assert {c.subject for c in concepts} == {
        "water",
        "energy",
        "waste",
        "biodiversity",
        "air",
        "climate",
        "law",
        "economics",
        "education",
    }
    for c in concepts:
        assert {t.lang for t in c.terms} >= {"kk", "ru", "be", "en"}, c.key
        langs = {d.lang for d in c.definitions}
        assert "en" in langs and langs & {"kk", "ru"}, c.key
        assert all(d.source_title for d in c.definitions), c.key
        assert c.status == "draft"  # nobody has reviewed it yet
    # Unchecked Kazakh and Belarusian terms are never "preferred".
    statuses = db.session.execute(select(GlossaryTerm.lang, GlossaryTerm.status).distinct()).all()
    assert ("kk", "preferred") not in statuses and ("be", "preferred") not in statuses
    # Loading again changes nothing and adds no history.
    again = load_full(db)
    assert again.created == 0 and again.updated == 0 and again.unchanged == result.created


def test_cli_load_command(app, db, tmp_path):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["glossary", "load", str(DATA_FILE)])
    assert out.exit_code == 0, out.output
    assert "new" in out.output
    assert db.session.scalar(select(func.count(GlossaryConcept.id))) >= 200
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  waste:\n  - key: Bad Key\n    en: x\n", encoding="utf-8")
    out = runner.invoke(args=["glossary", "load", str(bad)])
    assert out.exit_code != 0 and "nothing loaded" in out.output


def test_four_spellings_find_the_same_concept_in_the_full_base(db):
    load_full(db)
    for query in ("sortirovka", "сортировка", "сартаванне", "сұрыптау", "suryptau", "sortirovca"):
        hits = svc.search(query)
        assert hits and hits[0].concept.key == "waste-sorting", query


def test_su_and_latin_su_both_find_water(db):
    load_small(db)
    assert svc.search("су")[0].concept.key == "water"
    assert svc.search("su")[0].concept.key == "water"
    assert svc.search("wter")[0].concept.key == "water"  # a typo
    assert svc.search("zzzz") == []


def test_search_page_and_subject_filter(client, db):
    load_small(db)
    page = client.get("/glossary/?q=sartavanne").get_data(as_text=True)
    assert "сартаванне" in page and "/glossary/c/" in page
    page = client.get("/glossary/?q=sartavanne&subject=water").get_data(as_text=True)
    assert "сартаванне" not in page


def test_concept_page_shows_four_languages_side_by_side(client, db):
    load_small(db)
    c = _concept(db, "waste-sorting")
    page = client.get(f"/glossary/c/{c.id}").get_data(as_text=True)
    for text in (
        "қалдықтарды сұрыптау",
        "сортировка отходов",
        "сартаванне адходаў",
        "waste sorting",
        "Разделение отходов по видам.",
        "Art. 320",
    ):
        assert text in page
    assert page.index('lang="kk"') < page.index('lang="ru"') < page.index('lang="be"')


def test_alphabet_page_is_in_kazakh_and_belarusian_order(client, db):
    import re

    from greenapp.services.glossary_text import ALPHABETS

    load_full(db)
    # Code-point order would put Қ Ө Ұ Ү after Я, and Belarusian І before А.
    for lang, must in (
        ("kk", ["А", "Б", "Ж", "К", "Қ", "Л", "О", "Ө", "Т", "Ұ", "Ү", "Ш", "Э"]),
        ("be", ["А", "Б", "Ж", "З", "І", "К", "Л", "У", "Ц"]),
    ):
        page = client.get(f"/glossary/a-z/{lang}").get_data(as_text=True)
        letters = re.findall(r'<h2 class="gl-letter"[^>]*>(.)</h2>', page)
        # Terms in Latin letters (CO2-...) come after the alphabet, as with CLDR's
        # [reorder Cyrl] for these languages.
        order = [x.upper() for x in ALPHABETS[lang]] + ["#"]
        assert letters == sorted(letters, key=order.index)
        assert [x for x in letters if x in must] == must
    kk = client.get("/glossary/a-z/kk").get_data(as_text=True)
    assert kk.index("қайта өңдеу") < kk.index("қалдықтар<")


def test_printable_pair_list(client, db):
    load_small(db)
    page = client.get("/glossary/print/kk-be").get_data(as_text=True)
    assert page.index("қайта өңдеу") < page.index("қалдықтарды сұрыптау") < page.index(">су<")
    assert "сартаванне адходаў" in page
    assert client.get("/glossary/print/kk-xx").status_code == 404


def test_kz_and_by_approval_needed_and_history_shows_both(client, db, factory, login):
    kz = factory.user(role="scientist", country="KZ", display_name="Aigerim KZ")
    by = factory.user(role="scientist", country="BY", display_name="Alesia BY")
    kz2 = factory.user(role="scientist", country="KZ", display_name="Bolat KZ")
    login(kz)
    client.post(
        "/glossary/new",
        data={
            "subject": "waste",
            "term_kk": "компост",
            "status_kk": "proposed",
            "pos_kk": "noun",
            "term_en": "compost",
            "status_en": "admitted",
            "pos_en": "noun",
            "definition_en": "Decomposed organic matter.",
            "source_en": "UNEP",
        },
    )
    c = _concept(db, "compost")
    assert c is not None and c.status == "proposed" and c.created_by_id == kz.id
    client.post(f"/glossary/c/{c.id}/approve")
    db.session.refresh(c)
    assert c.status == "proposed"  # Kazakhstan side only
    client.post("/auth/logout")
    login(kz2)
    client.post(f"/glossary/c/{c.id}/approve")
    db.session.refresh(c)
    assert c.status == "proposed"  # still only Kazakhstan
    client.post("/auth/logout")
    login(by)
    client.post(f"/glossary/c/{c.id}/comment", data={"body": "Belarusian term missing"})
    resp = client.post(f"/glossary/c/{c.id}/approve", follow_redirects=True)
    assert "now approved" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.status == "approved"
    history = client.get(f"/glossary/c/{c.id}/history").get_data(as_text=True)
    assert "Aigerim KZ" in history and "Alesia BY" in history
    assert "Belarusian term missing" in history
    # An edit after approval sends the concept back to review, also in the history.
    client.post(
        f"/glossary/c/{c.id}/edit",
        data={
            "subject": "waste",
            "term_en": "compost",
            "status_en": "admitted",
            "pos_en": "noun",
            "term_be": "кампост",
            "status_be": "proposed",
            "pos_be": "noun",
            "term_kk": "компост",
            "status_kk": "proposed",
            "pos_kk": "noun",
            "definition_en": "Decomposed organic matter.",
            "source_en": "UNEP",
        },
    )
    db.session.refresh(c)
    assert c.status == "proposed" and not c.approvals
    assert {t.text for t in c.terms} == {"компост", "compost", "кампост"}


def test_scientist_without_country_is_told_and_nothing_changes(client, db, factory, login):
    load_small(db)
    c = _concept(db, "water")
    login(factory.user(role="scientist"))
    resp = client.post(f"/glossary/c/{c.id}/approve", follow_redirects=True)
    assert "no country" in resp.get_data(as_text=True)
    db.session.refresh(c)
    assert c.status == "draft" and not c.approvals


def test_admin_sets_reviewer_country(client, db, factory, login):
    sci = factory.user(role="scientist")
    login(factory.user(role="admin"))
    assert client.get("/glossary/reviewers").status_code == 200
    client.post("/glossary/reviewers", data={"user_id": sci.id, "country": "BY"})
    db.session.refresh(sci)
    assert sci.country == "BY"
    client.post("/glossary/reviewers", data={"user_id": sci.id, "country": "XX"})
    db.session.refresh(sci)
    assert sci.country == "BY"


def test_bad_proposal_keeps_input_and_shows_error(client, db, factory, login):
    login(factory.user(role="scientist", country="KZ"))
    resp = client.post(
        "/glossary/new",
        data={
            "subject": "waste",
            "term_en": "",
            "definition_en": "Something",
            "url_en": "javascript:alert(1)",
            "status_en": "admitted",
            "pos_en": "noun",
        },
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "at least one term" in page and "Something" in page
    resp = client.post(
        "/glossary/new",
        data={
            "subject": "waste",
            "term_en": "thing",
            "status_en": "admitted",
            "pos_en": "noun",
            "url_en": "javascript:alert(1)",
        },
    )
    assert "https://" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(GlossaryConcept.id))) == 0


def test_reading_is_public_proposing_needs_a_scientist(client, db, factory, login):
    load_small(db)
    c = _concept(db, "water")
    for url in (
        "/glossary/",
        "/glossary/a-z/be",
        f"/glossary/c/{c.id}",
        f"/glossary/c/{c.id}/history",
        "/glossary/print/be-kk",
        "/glossary/export.csv",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/glossary/new").status_code == 302  # to sign in
    assert client.post(f"/glossary/c/{c.id}/approve").status_code == 302
    login(factory.user(role="resident"))
    assert client.get("/glossary/new").status_code == 403
    assert client.get("/glossary/import").status_code == 403
    assert client.post(f"/glossary/c/{c.id}/approve").status_code == 403
    assert client.post(f"/glossary/c/{c.id}/comment", data={"body": "x"}).status_code == 403


def test_navigation_has_glossary_for_visitors(client):
    page = client.get("/glossary/").get_data(as_text=True)
    assert 'href="/glossary/"' in page


def test_pages_in_kazakh(client, db):
    load_small(db)
    client.post("/language", data={"language": "kk", "next": "/glossary/"})
    page = client.get("/glossary/").get_data(as_text=True)
    assert "Эко-глоссарий" in page and "Терминді табу" in page
    assert "Eco glossary" not in page


def test_edit_other_terms_keeps_known_ones_and_adds_new_as_proposed(client, db, factory, login):
    load_small(db)
    c = _concept(db, "waste-sorting")
    login(factory.user(role="scientist", country="KZ"))
    form = client.get(f"/glossary/c/{c.id}/edit").get_data(as_text=True)
    assert "sorting</textarea>" in form  # the English short form is listed
    data = {"subject": "waste"}
    for lang, head in (
        ("kk", "қалдықтарды сұрыптау"),
        ("ru", "сортировка отходов"),
        ("be", "сартаванне адходаў"),
        ("en", "waste sorting"),
    ):
        data.update({f"term_{lang}": head, f"status_{lang}": "proposed", f"pos_{lang}": "noun"})
    data["status_en"] = data["status_ru"] = "admitted"
    data["definition_ru"], data["source_ru"] = "Разделение отходов по видам.", "ЭК РК"
    data["definition_en"], data["source_en"] = "Separating waste by type.", "EC RK"
    data["others_en"] = "sorting\nwaste separation"
    data["others_ru"] = ""  # the Russian short form is removed
    data["others_kk"], data["others_be"] = "сұрыптау", "сартаванне"
    resp = client.post(f"/glossary/c/{c.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.refresh(c)
    en = {t.text: t.status for t in c.terms if t.lang == "en"}
    assert en == {
        "waste sorting": "admitted",
        "sorting": "deprecated",
        "waste separation": "proposed",
    }
    assert [t.text for t in c.terms if t.lang == "ru"] == ["сортировка отходов"]
    history = client.get(f"/glossary/c/{c.id}/history").get_data(as_text=True)
    assert "waste separation" in history


def test_two_scientists_approving_at_once_leave_the_concept_approved(db, factory):
    """The Kazakh scientist's page was loaded before the Belarusian one approved: her
    approval re-reads the concept's approvals under a lock, so the second side's
    approval makes it approved instead of leaving it "proposed" with both approvals."""
    import sqlalchemy as sa

    kz = factory.user(role="scientist", country="KZ")
    by = factory.user(role="scientist", country="BY")
    load_small(db)
    c = _concept(db, "waste-sorting")
    assert c is not None and c.status == "draft" and list(c.approvals) == []  # her page
    with db.engine.begin() as other:  # meanwhile the Belarusian scientist approves
        other.execute(
            sa.text(
                "INSERT INTO glossary_approvals (concept_id, user_id, country, at) "
                "VALUES (:c, :u, 'BY', CURRENT_TIMESTAMP)"
            ),
            {"c": c.id, "u": by.id},
        )
        other.execute(
            sa.text("UPDATE glossary_concepts SET status = 'proposed' WHERE id = :c"), {"c": c.id}
        )
    assert svc.approve(kz, c) == "approved"
    db.session.commit()
    status = db.session.scalar(select(GlossaryConcept.status).where(GlossaryConcept.id == c.id))
    assert status == "approved"
    assert db.session.scalar(select(func.count()).select_from(GlossaryApproval)) == 2
