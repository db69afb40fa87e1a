"""Glossary exchange: TBX-Basic round trip, CSV/XLSX export, CSV/TBX import with dry run."""

import io

import sqlalchemy as sa
from defusedxml import ElementTree as SafeET

from greenapp.models.glossary import GlossaryConcept
from greenapp.services import glossary as svc
from greenapp.services import glossary_exchange as ex
from tests.glossary_helpers import load_full, load_small


def _shape(concepts):
    """Everything a concept carries, in a comparable form."""
    out = {}
    for c in concepts:
        d = svc.to_data(c)
        out[d.key] = (
            d.subject,
            d.status,
            d.note,
            tuple(sorted(d.related)),
            tuple(
                sorted(
                    (t.lang, t.script, t.text, t.pos, t.status, t.context, t.context_source, t.note)
                    for t in d.terms
                )
            ),
            tuple(
                sorted(
                    (x.lang, x.text, x.source_title, x.source_ref, x.source_url)
                    for x in d.definitions
                )
            ),
        )
    return out


def _empty_glossary(db):
    for table in (
        "glossary_relations",
        "glossary_terms",
        "glossary_definitions",
        "glossary_approvals",
        "glossary_comments",
        "glossary_concepts",
    ):
        db.session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608
    db.session.commit()


def test_tbx_export_is_well_formed_tbx_basic(client, db):
    load_small(db)
    resp = client.get("/glossary/export.tbx")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    root = SafeET.fromstring(resp.data)
    ns = "{urn:iso:std:iso:30042:ed-2}"
    assert root.tag == f"{ns}tbx" and root.get("type") == "TBX-Basic"
    entries = root.findall(f".//{ns}conceptEntry")
    assert {e.get("id") for e in entries} == {"waste-sorting", "recycling", "water"}
    rec = next(e for e in entries if e.get("id") == "recycling")
    assert rec.find(f"{ns}descrip[@type='subjectField']").text == "waste"
    en = [
        s
        for s in rec.findall(f"{ns}langSec")
        if s.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    ][0]
    assert (
        en.find(f".//{ns}termNote[@type='administrativeStatus']").text == "preferredTerm-admn-sts"
    )
    assert en.find(f".//{ns}descrip[@type='context']").text == "Paper goes to recycling."


def test_tbx_round_trip_of_the_whole_base_into_an_empty_database(db):
    load_full(db)
    # Give the base some variety first: an approved concept (import must not approve).
    before = _shape(svc.load_concepts())
    tbx = ex.to_tbx(svc.load_concepts())
    _empty_glossary(db)
    assert db.session.scalar(sa.select(sa.func.count(GlossaryConcept.id))) == 0
    items, rows = ex.read_tbx(tbx)
    result = svc.apply(items, None, rows=rows)
    db.session.commit()
    assert result.ok and result.created == len(before)
    assert _shape(svc.load_concepts()) == before


def test_small_base_round_trips_through_tbx_and_csv(db):
    load_small(db)
    before = _shape(svc.load_concepts())
    for fmt in ("tbx", "csv"):
        concepts = svc.load_concepts()
        data = ex.to_tbx(concepts) if fmt == "tbx" else ex.to_csv(concepts).encode()
        _empty_glossary(db)
        if fmt == "tbx":
            items, rows = ex.read_tbx(data)
            errors = []
        else:
            items, rows, errors = ex.read_csv(data)
        assert errors == []
        assert svc.apply(items, None, rows=rows).ok
        db.session.commit()
        assert _shape(svc.load_concepts()) == before, fmt


def test_approved_concept_imports_as_proposed(db):
    load_small(db)
    c = svc.by_key("water")
    c.status = "approved"
    db.session.commit()
    tbx = ex.to_tbx(svc.load_concepts())
    assert b"consolidatedElement" in tbx
    _empty_glossary(db)
    items, rows = ex.read_tbx(tbx)
    svc.apply(items, None, rows=rows)
    db.session.commit()
    assert svc.by_key("water").status == "proposed"


def test_subject_export_and_spreadsheet_formats(client, db):
    load_small(db)
    csv_text = client.get("/glossary/export.csv?subject=water").get_data(as_text=True)
    assert "вада" in csv_text and "сартаванне" not in csv_text
    xlsx = client.get("/glossary/export.xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.data)).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header[:3] == ["concept", "subject", "concept_status"]
    assert any(r[7] == "сартаванне адходаў" for r in ws.iter_rows(values_only=True))


def test_formula_like_cells_are_neutralised(db):
    load_small(db)
    c = svc.by_key("water")
    c.note = '=HYPERLINK("http://evil")'
    db.session.commit()
    text = ex.to_csv(svc.load_concepts())
    assert "'=HYPERLINK" in text
    items, _rows, errors = ex.read_csv(text.encode())
    assert next(i for i in items if i.key == "water").note.startswith("=HYPERLINK")


def _scientist_client(client, factory, login):
    login(factory.user(role="scientist", country="BY"))
    return client


CSV_OK = (
    "concept,subject,lang,term,usage_status,definition,definition_source\n"
    "bicycle,climate,en,bicycle,admitted,A two-wheeled vehicle.,UNEP\n"
    "bicycle,climate,be,ровар,proposed,,\n"
)


def test_csv_import_dry_run_changes_nothing_then_imports(client, db, factory, login):
    _scientist_client(client, factory, login)
    resp = client.post(
        "/glossary/import",
        data={"file": (io.BytesIO(CSV_OK.encode()), "terms.csv"), "dry_run": "y"},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Nothing was saved" in page
    assert svc.by_key("bicycle") is None
    resp = client.post(
        "/glossary/import",
        data={"file": (io.BytesIO(CSV_OK.encode()), "terms.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    c = svc.by_key("bicycle")
    assert c is not None and c.status == "draft"
    assert {t.text for t in c.terms} == {"bicycle", "ровар"}
    history = svc.history(c)
    assert history and history[0].action == "create" and history[0].actor_id is not None


def test_csv_import_reports_each_bad_row_and_imports_nothing(client, db, factory, login):
    _scientist_client(client, factory, login)
    bad = (
        "concept,subject,lang,term,usage_status\n"
        "good,water,en,good term,admitted\n"
        "bad,space,en,x,admitted\n"
        "bad2,water,xx,y,admitted\n"
        "bad3,water,en,z,preferredish\n"
        "good,water,be,другі радок,preferredish\n"
    )
    resp = client.post(
        "/glossary/import",
        data={"file": (io.BytesIO(bad.encode()), "terms.csv")},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert "nothing was imported" in page
    assert "space" in page and "xx" in page and "preferredish" in page
    for row in (3, 4, 5, 6):  # each bad row is named, the 6th is the 2nd row of "good"
        assert f"<td>{row}</td>" in page
    assert svc.by_key("good") is None


def test_tbx_import_refuses_entity_tricks(client, db, factory, login):
    _scientist_client(client, factory, login)
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE tbx [<!ENTITY a "aaaa">]>'
        b'<tbx><text><body><conceptEntry id="x"><descrip type="subjectField">water'
        b'</descrip><langSec xml:lang="en"><termSec><term>&a;</term></termSec>'
        b"</langSec></conceptEntry></body></text></tbx>"
    )
    resp = client.post(
        "/glossary/import",
        data={"file": (io.BytesIO(evil), "evil.tbx")},
        content_type="multipart/form-data",
    )
    assert "cannot be read" in resp.get_data(as_text=True)
    assert svc.by_key("x") is None


def test_import_rejects_other_files(client, db, factory, login):
    _scientist_client(client, factory, login)
    resp = client.post(
        "/glossary/import",
        data={"file": (io.BytesIO(b"hello"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert ".csv or .tbx" in resp.get_data(as_text=True)
