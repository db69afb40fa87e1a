"""Spreadsheet import of eco-actions: template, dry run, all-or-nothing commit, undo, bad files."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from sqlalchemy import func, select

from greenapp.models.audit import AuditRecord
from greenapp.models.imports import ImportBatch, ImportMapping
from greenapp.models.log import DailySummary, EcoLog
from greenapp.models.school import School
from greenapp.services import bulk_write, quality, summary
from greenapp.services import imports as import_service
from greenapp.services.errors import ValidationFailed
from greenapp.services.units import CATEGORIES
from tests.helpers import meters_read

TODAY = date.today()


def _kk(app, text: str) -> str:
    with app.test_request_context(), force_locale("kk"):
        return gettext(text)


def _totals(db, school_id: int) -> tuple[Decimal, int]:
    """What the dashboards read: the daily summary, and the live entries."""
    summary = db.session.scalar(
        select(func.coalesce(func.sum(DailySummary.quantity), 0)).where(
            DailySummary.owner_type == "school", DailySummary.owner_id == school_id
        )
    )
    live = db.session.scalar(
        select(func.count())
        .select_from(EcoLog)
        .where(EcoLog.school_id == school_id, EcoLog.deleted_at.is_(None))
    )
    return Decimal(summary), live


def _upload(client, content: bytes, name: str = "entries.xlsx", **extra):
    # The body is built here: werkzeug's test client spools a large generated body to a
    # temporary file it never closes (a ResourceWarning, an error in this suite).
    boundary = "----greenapp-import-test"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in extra.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(
        "/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _batch_id(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return int(re.search(r"/imports/(\d+)", resp.headers["Location"]).group(1))


ROWS = 500


def _fill(template: bytes, broken: bool) -> bytes:
    """500 rows in the template's own (Kazakh) words; 7 of them broken when asked."""
    book = load_workbook(io.BytesIO(template))
    sheet, lists = book.worksheets[0], book["lists"]
    cat = [c.value for c in lists["A"] if c.value]  # water energy waste trees outreach
    frac = [c.value for c in lists["B"] if c.value]
    unit = [c.value for c in lists["C"] if c.value]  # L m3 kWh Wh MWh kg g t trees people
    ev = [c.value for c in lists["D"] if c.value]
    for i in range(ROWS):
        day = TODAY - timedelta(days=i + 1)
        if i % 2:
            row = [day, cat[0], None, 10 + i, unit[0], ev[0], f"meter {i}", None]
        else:
            row = [day, cat[2], frac[i % 6], 1.5 + i, unit[5], ev[1], "", f"SLIP-{i}"]
        for col, value in enumerate(row, start=1):
            sheet.cell(row=i + 2, column=col, value=value)
    if broken:
        sheet["A3"] = TODAY + timedelta(days=3)  # future date
        sheet["D4"] = -5  # negative quantity
        sheet["B5"] = "жасыл сиқыр"  # unknown category
        sheet["E6"] = unit[2]  # kWh for water
        sheet["C10"] = None  # waste without a fraction
        sheet["A8"] = "вчера"  # not a date
        sheet["D9"] = "12,,5"  # not a number
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_kazakh_template_dry_run_commit_reupload_and_undo(app, client, factory, login, db):
    coordinator = factory.user("coordinator", locale="kk")
    school = coordinator.school
    meters_read(school)  # the file's water rows are "metered": readings cover their days
    factory.log(coordinator, quantity="7", unit="L")  # typed in the form before the import
    before = _totals(db, school.id)
    login(coordinator)

    resp = client.get("/imports/template.xlsx")
    assert resp.status_code == 200
    template = resp.data
    book = load_workbook(io.BytesIO(template))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[0] == _kk(app, "Date") and header[0] != "Date"
    assert _kk(app, "Quantity") in header
    rules = book.worksheets[0].data_validations.dataValidation
    assert len(rules) == 4 and all(r.type == "list" for r in rules)
    with app.test_request_context(), force_locale("kk"):
        assert book["lists"]["A1"].value == str(
            CATEGORIES and import_service.CATEGORY_LABELS["water"]
        )

    # Dry run: 7 broken rows, each with its reason in Kazakh; nothing stored.
    batch_id = _batch_id(_upload(client, _fill(template, broken=True)))
    page = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.rows_total, batch.rows_invalid, batch.rows_new) == (ROWS, 7, ROWS - 7)
    assert page.count('class="row-invalid"') == 7
    for reason in (
        "The date cannot be in the future.",
        "The quantity must be greater than zero.",
        "Unknown category; choose one from the template's list.",
        "This unit does not fit the category.",
        "Choose which waste fraction was sorted.",
        "Enter the date as YYYY-MM-DD or DD.MM.YYYY.",
    ):
        assert _kk(app, reason) != reason, f"not translated: {reason}"
        assert _kk(app, reason) in page
    # "12,,5": the one number parser (services/numbers.py) names the problem in Kazakh
    mixed = _kk(app, "This number mixes separators; type it like %(example)s.")
    assert mixed.split("%(example)s")[0] in page
    assert _totals(db, school.id) == before
    # Committing a file with invalid rows stores nothing.
    client.post(f"/imports/{batch_id}/commit")
    assert _totals(db, school.id) == before
    checked = client.get(f"/imports/{batch_id}/errors.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(checked.lstrip("\ufeff"))))
    assert len(rows) == ROWS + 1 and sum(1 for r in rows if r[-2] == _kk(app, "invalid")) == 7
    assert any(r[3] == "'-5" for r in rows)  # a leading minus could run as a formula

    # Fixed file: 500 new rows, committed as one batch.
    fixed = _fill(template, broken=False)
    batch_id = _batch_id(_upload(client, fixed))
    assert db.session.get(ImportBatch, batch_id).rows_new == ROWS
    resp = client.post(f"/imports/{batch_id}/commit", follow_redirects=True)
    assert resp.status_code == 200
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.status, batch.rows_added) == ("committed", ROWS)
    quantity, live = _totals(db, school.id)
    expected = sum(Decimal(10 + i) for i in range(1, ROWS, 2)) + sum(
        Decimal("1.5") + i for i in range(0, ROWS, 2)
    )
    assert live == before[1] + ROWS and quantity == before[0] + expected
    assert (
        db.session.scalar(
            select(func.count()).select_from(EcoLog).where(EcoLog.import_batch_id == batch_id)
        )
        == ROWS
    )
    assert (
        db.session.scalar(
            select(EcoLog.external_ref).where(
                EcoLog.import_batch_id == batch_id, EcoLog.external_ref == "SLIP-0"
            )
        )
        == "SLIP-0"
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity_type == "log", AuditRecord.action == "create")
        )
        == ROWS + 1
    )
    # The summaries the dashboards read agree with the entries (set-based upserts).
    assert summary.stored_rows() == summary.recompute_rows()
    assert summary.programme_rows()  # the programme rollup moved too

    # The same file again: every row a duplicate, 0 added.
    again = _batch_id(_upload(client, fixed))
    assert db.session.get(ImportBatch, again).rows_duplicate == ROWS
    client.post(f"/imports/{again}/commit")
    assert db.session.get(ImportBatch, again).rows_added == 0
    assert _totals(db, school.id) == (quantity, live)

    # Undo the batch: totals back to what they were before the import.
    resp = client.post(f"/imports/{batch_id}/undo", follow_redirects=True)
    assert resp.status_code == 200
    assert _totals(db, school.id) == before
    assert db.session.get(ImportBatch, batch_id).status == "undone"
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity_type == "log", AuditRecord.action == "delete")
        )
        == ROWS
    )
    assert summary.stored_rows() == summary.recompute_rows()


def _csv(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_overlapping_csv_adds_only_the_new_rows(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    d1, d2, d3 = (TODAY - timedelta(days=n) for n in (3, 2, 1))
    first = _csv("Дата;Категория;Количество;Единица", f"{d1};Water saved;5;L", f"{d2};water;6;L")
    batch = _batch_id(_upload(client, ("\ufeff" + first).encode(), "a.csv"))
    client.post(f"/imports/{batch}/commit")
    overlap = _csv("date,category,quantity,unit", f"{d2},water,6,L", f"{d3},water,7,L")
    batch = _batch_id(_upload(client, overlap.encode(), "b.csv"))
    assert db.session.get(ImportBatch, batch).rows_duplicate == 1
    client.post(f"/imports/{batch}/commit")
    assert db.session.get(ImportBatch, batch).rows_added == 1
    assert _totals(db, coordinator.school_id) == (Decimal(18), 3)


def test_cp1251_csv_is_detected_and_named(client, factory, login, db):
    login(factory.user("coordinator"))
    text = _csv("Дата;Категория;Количество;Единица", f"{TODAY};Экономия воды;5;L")
    resp = _upload(client, text.encode("cp1251"), "bills.csv")
    assert resp.status_code == 400
    assert "Windows-1251" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_zip_bomb_disguised_as_xlsx_is_refused_unopened(client, factory, login, db):
    login(factory.user("coordinator"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    assert len(buf.getvalue()) < 1024 * 1024
    resp = _upload(client, buf.getvalue(), "budget.xlsx")
    assert resp.status_code == 400
    assert "unpacks to far more data" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_bad_files_get_a_message_on_the_page(client, factory, login, db):
    login(factory.user("coordinator"))
    cases = [
        (b"", "empty.csv", "The file is empty."),
        (b"MZ\x90\x00\x03\x00\x00\x00" * 100, "setup.xlsx", "This file is not a spreadsheet."),
        (b"date,category\n", "head.csv", "header row but no entries"),
        (b"\n\n;;;\n", "blank.csv", "The file is empty."),
    ]
    for content, name, message in cases:
        resp = _upload(client, content, name)
        assert resp.status_code == 400, name
        assert message in resp.get_data(as_text=True), name
    big = b"date,category,quantity,unit\n" + b"2020-01-01,water,1,L\n" * 2_500_000  # 50 MB
    resp = _upload(client, big, "big.csv")
    assert resp.status_code == 413
    assert "larger than 16 MB" in resp.get_data(as_text=True)
    many = "date,category,quantity,unit\n" + "".join(
        f"{TODAY - timedelta(days=1)},water,{n},L\n" for n in range(1, 100_002)
    )
    resp = _upload(client, many.encode(), "many.csv")
    assert resp.status_code == 400
    assert "more than 100" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_commit_is_all_or_nothing(app, client, factory, login, db, monkeypatch):
    coordinator = factory.user("coordinator")
    login(coordinator)
    rows = [f"{TODAY - timedelta(days=n)},water,{n},L" for n in range(1, 6)]
    batch = _batch_id(
        _upload(client, _csv("date,category,quantity,unit", *rows).encode(), "five.csv")
    )
    stored = {}

    def fail_after_storing(school, ids, values):
        # The entries, their audit and the summaries are written by now: the failure
        # of the last step must take all of them back.
        stored["logs"] = db.session.scalar(select(func.count()).select_from(EcoLog))
        raise ValidationFailed("the database said no", "quantity")

    monkeypatch.setattr(bulk_write, "flag_implausible", fail_after_storing)
    client.post(f"/imports/{batch}/commit")
    assert stored["logs"] == 5
    db.session.expire_all()
    assert _totals(db, coordinator.school_id) == (Decimal(0), 0)
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.entity_type == "log")
        )
        == 0
    )
    assert db.session.get(ImportBatch, batch).status == "preview"


def test_only_own_school_and_admin_choice(client, factory, login, db):
    coordinator = factory.user("coordinator")
    other = factory.user("coordinator")
    login(other)
    body = _csv("date,category,quantity,unit", f"{TODAY - timedelta(days=1)},water,3,L")
    foreign = _batch_id(_upload(client, body.encode(), "x.csv"))
    client.post("/auth/logout")
    login(coordinator)
    assert client.get(f"/imports/{foreign}").status_code == 404
    assert client.post(f"/imports/{foreign}/commit").status_code == 404
    # A coordinator's school_id field is ignored: the import goes to their own school.
    mine = _batch_id(_upload(client, body.encode(), "x.csv", school_id=other.school_id))
    assert db.session.get(ImportBatch, mine).school_id == coordinator.school_id
    client.post("/auth/logout")
    admin = factory.user("admin")
    login(admin)
    chosen = _batch_id(_upload(client, body.encode(), "y.csv", school_id=other.school_id))
    client.post(f"/imports/{chosen}/commit")
    client.post(f"/imports/{foreign}/commit")  # the same row: a duplicate now
    assert _totals(db, other.school_id) == (Decimal(3), 1)
    resident = factory.user("resident")
    client.post("/auth/logout")
    login(resident)
    assert client.get("/imports/").status_code == 403


def test_formulas_read_as_saved_values_and_merged_cells_refused(app, client, factory, login, db):
    from openpyxl import Workbook

    login(factory.user("coordinator"))
    book = Workbook()
    sheet = book.active
    sheet.append(["date", "category", "quantity", "unit"])
    sheet.append([TODAY - timedelta(days=2), "water", "=2+3", "L"])  # no saved value
    sheet.append([TODAY - timedelta(days=1), "water", 0.1 + 0.2, "L"])
    out = io.BytesIO()
    book.save(out)
    batch = db.session.get(ImportBatch, _batch_id(_upload(client, out.getvalue())))
    assert (batch.rows_invalid, batch.rows_new) == (1, 1)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Quantity: " in page and "Enter a number." in page, page[:200]
    # The file holds 0.3 for 0.1 + 0.2 (openpyxl writes 15 digits); read through
    # Decimal(repr(x)) it stays 0.3, with no binary-float tail.
    assert '<td data-label="quantity">0.3</td>' in page
    client.post(f"/imports/{batch.id}/commit")
    assert db.session.get(ImportBatch, batch.id).status == "preview"  # invalid row: refused
    sheet.merge_cells("A2:A3")
    out = io.BytesIO()
    book.save(out)
    resp = _upload(client, out.getvalue())
    assert resp.status_code == 400 and "merged cells" in resp.get_data(as_text=True)


def test_unrecognised_columns_are_mapped_once_and_remembered(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    day = TODAY - timedelta(days=2)
    body = _csv("Күні;Түрі;Мөлшері;Өлшем;Шот №", f"{day};water;12;L;B-1", f"{day};water;13;L;B-2")
    resp = _upload(client, body.encode(), "bills.csv")
    batch_id = _batch_id(resp)
    # The dry run cannot read the rows yet: it sends the user to the mapping form.
    resp = client.get(f"/imports/{batch_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/imports/{batch_id}/columns"
    )
    page = client.get(f"/imports/{batch_id}/columns").get_data(as_text=True)
    assert "Some column names were not recognised" in page and "Шот №" in page
    # A required field left out: a message next to it, nothing remembered.
    resp = client.post(
        f"/imports/{batch_id}/columns",
        data={"action_date": 0, "category": 1, "quantity": -1, "unit": 3},
    )
    assert resp.status_code == 400
    assert "Choose the column that holds this." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0
    # Two fields from one column: refused.
    resp = client.post(
        f"/imports/{batch_id}/columns",
        data={"action_date": 0, "category": 1, "quantity": 2, "unit": 2},
    )
    assert "Each column can be used for one field only." in resp.get_data(as_text=True)
    resp = client.post(
        f"/imports/{batch_id}/columns",
        data={"action_date": 0, "category": 1, "quantity": 2, "unit": 3, "external_ref": 4},
    )
    assert resp.status_code == 302
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.rows_new, batch.rows_invalid) == (2, 0)
    page = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    assert page.count('class="row-new"') == 2
    client.post(f"/imports/{batch_id}/commit")
    assert (
        db.session.scalar(
            select(EcoLog.external_ref).where(
                EcoLog.import_batch_id == batch_id, EcoLog.quantity_entered == 13
            )
        )
        == "B-2"
    )

    # Next month's file with the same headers: the school's mapping is used at once,
    # and the form opens pre-filled with it.
    later = _csv("Күні;Түрі;Мөлшері;Өлшем;Шот №", f"{TODAY - timedelta(days=1)};water;9;L;B-3")
    again = _batch_id(_upload(client, later.encode(), "bills-2.csv"))
    assert client.get(f"/imports/{again}").status_code == 200
    assert db.session.get(ImportBatch, again).rows_new == 1
    form = client.get(f"/imports/{again}/columns").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="quantity".*?<option selected value="2">', form, re.S)
    # Another school does not see or use this school's mapping.
    client.post("/auth/logout")
    login(factory.user("coordinator"))
    other = _batch_id(_upload(client, later.encode(), "bills-2.csv"))
    assert client.get(f"/imports/{other}").status_code == 302


def test_bulk_quality_check_flags_like_the_form(client, factory, login, db):
    coordinator = factory.user("coordinator")
    for n in range(6):  # the school's usual value: 10 L a day
        factory.log(
            coordinator, quantity="10", unit="L", action_date=TODAY - timedelta(days=20 + n)
        )
    login(coordinator)
    day = TODAY - timedelta(days=5)
    body = _csv(
        "date,category,quantity,unit,reference", f"{day},water,200,L,BIG", f"{day},water,20,L,SMALL"
    )
    batch = _batch_id(_upload(client, body.encode(), "q.csv"))
    client.post(f"/imports/{batch}/commit")
    status = dict(
        db.session.execute(
            select(EcoLog.external_ref, EcoLog.review_status).where(EcoLog.import_batch_id == batch)
        ).all()
    )
    assert status == {"BIG": "flagged", "SMALL": "ok"}
    big = db.session.scalar(select(EcoLog).where(EcoLog.external_ref == "BIG"))
    # The same rule as the form: more than 5 x the median of the 7 peers (10 L x 6, 20 L).
    assert quality.usual_value(big) == (7, Decimal(10))
    reviews = db.session.scalars(
        select(AuditRecord).where(AuditRecord.entity_type == "log", AuditRecord.action == "review")
    ).all()
    assert [(r.entity_id, r.changes) for r in reviews] == [
        (big.id, {"review_status": ["ok", "flagged"]})
    ]
    assert summary.stored_rows() == summary.recompute_rows()


def test_commit_checks_again_what_changed_since_the_dry_run(client, factory, login, db):
    coordinator = factory.user("coordinator")
    login(coordinator)
    d1, d2 = TODAY - timedelta(days=40), TODAY - timedelta(days=3)
    first = _batch_id(
        _upload(client, _csv("date,category,quantity,unit", f"{d2},water,4,L").encode(), "a.csv")
    )
    client.post(f"/imports/{first}/commit")
    body = _csv("date,category,quantity,unit", f"{d1},water,5,L", f"{d2},water,4,L")
    batch = _batch_id(_upload(client, body.encode(), "b.csv"))
    assert db.session.get(ImportBatch, batch).rows_duplicate == 1
    # The first import is undone after the dry run: its row is new again at commit.
    client.post(f"/imports/{first}/undo")
    # The school's joined date moves after the first row's date: that row is refused.
    school = db.session.get(School, coordinator.school_id)
    joined = school.joined_on
    school.joined_on = TODAY - timedelta(days=10)
    db.session.commit()
    page = client.post(f"/imports/{batch}/commit", follow_redirects=True).get_data(as_text=True)
    assert "1 row is invalid" in page and "nothing was imported" in page
    assert db.session.get(ImportBatch, batch).status == "preview"
    assert _totals(db, coordinator.school_id) == (Decimal(0), 0)
    school.joined_on = joined
    db.session.commit()
    client.post(f"/imports/{batch}/commit")
    assert db.session.get(ImportBatch, batch).rows_added == 2
    assert _totals(db, coordinator.school_id) == (Decimal(9), 2)


@pytest.mark.slow
def test_hundred_thousand_rows_commit_and_undo_as_one_batch(client, factory, login, db):
    coordinator = factory.user("coordinator")
    factory.log(coordinator, quantity="3", unit="L")
    before = _totals(db, coordinator.school_id)
    login(coordinator)
    kinds = ["water,,{q},L", "energy,,{q},kWh", "waste,paper,{q},kg"]
    rows = [
        f"{TODAY - timedelta(days=1 + n % 700)}," + kinds[n % 3].format(q=1 + n % 50) + f",R{n}"
        for n in range(100_000)
    ]
    body = _csv("date,category,fraction,quantity,unit,reference", *rows).encode()
    batch = _batch_id(_upload(client, body, "year.csv"))
    assert db.session.get(ImportBatch, batch).rows_new == 100_000
    client.post(f"/imports/{batch}/commit")
    assert db.session.get(ImportBatch, batch).rows_added == 100_000
    assert _totals(db, coordinator.school_id)[1] == before[1] + 100_000
    assert summary.stored_rows() == summary.recompute_rows()
    client.post(f"/imports/{batch}/undo")
    assert _totals(db, coordinator.school_id) == before
    assert summary.stored_rows() == summary.recompute_rows()


def test_bulk_path_without_a_batch_returns_ids_in_row_order(app, factory, db):
    from greenapp.services import pipeline
    from greenapp.services.log_rules import LogInput, validate

    coordinator = factory.user("coordinator")
    school = coordinator.school
    with app.test_request_context():
        rows = [
            (
                validate(
                    LogInput(
                        category="water",
                        quantity=str(q),
                        unit="L",
                        action_date=TODAY - timedelta(days=q),
                        evidence="document",
                    ),
                    school,
                ),
                f"API-{q}",
            )
            for q in (3, 1, 2)
        ]
        ids = pipeline.create_logs_bulk(coordinator, school, rows)
        db.session.commit()
    refs = [db.session.get(EcoLog, i).external_ref for i in ids]
    assert refs == ["API-3", "API-1", "API-2"]
    assert _totals(db, school.id) == (Decimal(6), 3)
    assert summary.stored_rows() == summary.recompute_rows()


def test_a_csv_with_old_mac_line_ends_is_read_row_by_row(client, factory, login, db):
    """Excel's "CSV (Macintosh)" ends lines with a lone CR: each line is a row (a CR
    inside a line used to stop the reader with a 500)."""
    login(factory.user("coordinator"))
    d1, d2 = (TODAY - timedelta(days=n) for n in (2, 1))
    mac = f"date,category,quantity,unit\r{d1},water,5,L\r{d2},water,6,L\r".encode()
    batch = db.session.get(ImportBatch, _batch_id(_upload(client, mac, "mac.csv")))
    assert (batch.rows_total, batch.rows_new, batch.rows_invalid) == (2, 2, 0)
    stray = _upload(client, b"\r0\r\n", "stray.csv")  # a 500 before
    assert stray.status_code == 400  # refused with its message next to the file
    assert "The file has a header row but no entries." in stray.get_data(as_text=True)
