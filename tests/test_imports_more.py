"""Spreadsheet imports beyond entries: meter readings (coordinators) with dry run,
all-or-nothing commit, re-upload adding nothing, undo, and access."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from sqlalchemy import func, select

from greenapp.models.audit import AuditRecord
from greenapp.models.imports import ImportBatch
from greenapp.models.meters import MeterReading
from greenapp.services import meters as meter_service

TODAY = date.today()
D = [TODAY - timedelta(days=n) for n in (40, 30, 20, 10)]


def _kk(app, text: str, **kw) -> str:
    with app.test_request_context(), force_locale("kk"):
        return gettext(text, **kw)


def _upload(client, content: bytes, name: str = "readings.csv"):
    return client.post("/imports/meters/", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _batch_id(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
    return int(re.search(r"/imports/meters/(\d+)", resp.headers["Location"]).group(1))


def _csv(rows: list[list[object]], header=("Meter", "Date", "Index")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """{row number: (status, reason)} from the dry-run page."""
    found = re.findall(r'<td class="num" data-label="[^"]*">(\d+)</td>\s*<td[^>]*><span '
                       r'class="badge[^"]*">([^<]*)</span></td>\s*<td[^>]*class="reason">'
                       r'([^<]*)</td>', page)
    return {n: (s, r) for n, s, r in found}


def _live(db, meter) -> int:
    return db.session.scalar(select(func.count()).select_from(MeterReading).where(
        MeterReading.meter_id == meter.id, MeterReading.deleted_at.is_(None)))


@pytest.fixture
def setup(factory, login, db):
    school = factory.school(name="Meter Import School", joined_on=TODAY - timedelta(days=900))
    user = factory.user("coordinator", school=school)
    water = meter_service.add_meter(user, school, meter_service.MeterInput(
        kind="water", unit="m3", name="Main water meter", serial="W-100"))
    power = meter_service.add_meter(user, school, meter_service.MeterInput(
        kind="electricity", unit="kWh", name="Power", serial="E-7"))
    db.session.commit()
    login(user)
    return school, user, water, power


def test_dry_run_marks_every_bad_row_with_the_meters_own_reason(app, client, db, setup):
    school, user, water, _power = setup
    meter_service.add_reading(user, water, meter_service.ReadingInput(
        kind="index", reading_date=D[0], value="100"))
    db.session.commit()
    content = _csv([
        ["W-100", D[1].isoformat(), "110"],             # 2 new
        ["W-100", D[2].isoformat(), "105"],             # 3 lower than the last (110)
        ["Main water meter", D[0].isoformat(), "90"],   # 4 already stored (same day, index)
        ["NOPE-1", D[3].isoformat(), "5"],              # 5 not a meter of this school
        ["W-100", (TODAY + timedelta(days=3)).isoformat(), "130"],  # 6 future date
        ["W-100", D[3].isoformat(), "abc"],             # 7 not a number
    ])
    batch_id = _batch_id(_upload(client, content))
    page = client.get(f"/imports/meters/{batch_id}").get_data(as_text=True)
    rows = _rows(page)
    assert rows["2"][0] == "new"
    assert rows["3"][0] == "invalid" and "110" in rows["3"][1]
    assert rows["4"][0] == "duplicate"
    assert rows["5"][0] == "invalid" and "no meter" in rows["5"][1]
    assert rows["6"][0] == "invalid" and "future" in rows["6"][1]
    assert rows["7"][0] == "invalid"
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.rows_new, batch.rows_duplicate, batch.rows_invalid) == (1, 1, 4)
    assert _live(db, water) == 1  # the dry run stored nothing
    assert "Import 1 new reading" not in page  # no commit button with invalid rows
    # Committing anyway refuses and stores nothing.
    client.post(f"/imports/meters/{batch_id}/commit")
    assert _live(db, water) == 1
    # The error file has every row and its reason.
    errors = client.get(f"/imports/meters/{batch_id}/errors.csv").get_data(as_text=True)
    assert errors.count("\n") == 7 and "future" in errors


def test_commit_reupload_and_undo(app, client, db, setup):
    school, user, water, power = setup
    content = _csv([
        ["W-100", D[0].isoformat(), "100", "", "", "", ""],
        ["W-100", D[1].isoformat(), "112.5", "", "", "", ""],
        # the meter was replaced: old one showed 120, the new one starts at 3
        ["W-100", D[2].isoformat(), "120", "", "", "yes", "3"],
        ["W-100", D[3].isoformat(), "10", "", "", "", ""],
        ["E-7", D[1].isoformat(), "", "350", D[0].isoformat(), "", ""],  # a bill
    ], header=("Meter", "Date", "Index", "Consumption from the bill", "Bill from",
               "Meter replaced", "New meter's starting index"))
    batch_id = _batch_id(_upload(client, content))
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.rows_new, batch.rows_invalid) == (5, 0), _rows(
        client.get(f"/imports/meters/{batch_id}").get_data(as_text=True))
    resp = client.post(f"/imports/meters/{batch_id}/commit", follow_redirects=True)
    assert "Imported 5 readings" in resp.get_data(as_text=True)
    readings = meter_service.readings_of(water.id)
    assert [(r.kind, r.value, r.old_final) for r in readings] == [
        ("index", Decimal("100"), None), ("index", Decimal("112.5"), None),
        ("replacement", Decimal("3"), Decimal("120")), ("index", Decimal("10"), None)]
    bill = meter_service.readings_of(power.id)[0]
    assert (bill.kind, bill.value, bill.period_start) == ("bill", Decimal("350"), D[0])
    used = sum(iv.quantity for iv in meter_service.intervals(water))
    assert used == Decimal("27000")  # 12.5 + 7.5 + 7 m³, in litres
    assert db.session.scalar(select(func.count()).select_from(AuditRecord).where(
        AuditRecord.entity_type == "meter_reading")) >= 5
    # The same file again: everything a duplicate, nothing to import.
    again = _batch_id(_upload(client, content))
    page = client.get(f"/imports/meters/{again}").get_data(as_text=True)
    assert "Nothing new in this file" in page
    assert db.session.get(ImportBatch, again).rows_duplicate == 5
    # Undo: every reading of the batch goes; the derived use is back to nothing.
    resp = client.post(f"/imports/meters/{batch_id}/undo", follow_redirects=True)
    assert "5 readings removed" in resp.get_data(as_text=True)
    assert _live(db, water) == 0 and _live(db, power) == 0
    assert meter_service.intervals(water) == []
    assert db.session.get(ImportBatch, batch_id).status == "undone"


def test_undo_refused_when_a_later_reading_was_typed(app, client, db, setup):
    school, user, water, _power = setup
    batch_id = _batch_id(_upload(client, _csv([["W-100", D[0].isoformat(), "100"]])))
    client.post(f"/imports/meters/{batch_id}/commit")
    meter_service.add_reading(user, water, meter_service.ReadingInput(
        kind="index", reading_date=D[2], value="150"))
    db.session.commit()
    resp = client.post(f"/imports/meters/{batch_id}/undo", follow_redirects=True)
    assert "remove it first" in resp.get_data(as_text=True)
    assert _live(db, water) == 2
    assert db.session.get(ImportBatch, batch_id).status == "committed"


def test_kazakh_template_headers_are_understood(app, client, db, setup):
    _school, _user, water, _power = setup
    with app.test_request_context(), force_locale("kk"):
        from greenapp.services import imports_meters
        content = imports_meters.template_xlsx()
        header = [str(imports_meters.FIELD_LABELS[f]) for f in imports_meters.FIELDS]
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == header
    assert header[0] != "Meter (serial number or name)"  # really Kazakh
    sheet.append(["W-100", D[0], 100.1])  # a date cell and a float cell
    out = io.BytesIO()
    book.save(out)
    batch_id = _batch_id(_upload(client, out.getvalue(), "kk.xlsx"))
    client.post(f"/imports/meters/{batch_id}/commit")
    assert meter_service.readings_of(water.id)[0].value == Decimal("100.1")


def test_access_other_school_and_roles(app, client, db, factory, login, setup):
    school, _user, water, _power = setup
    other = factory.school(name="Other")
    outsider = factory.user("coordinator", school=other)
    theirs = meter_service.add_meter(outsider, other, meter_service.MeterInput(
        kind="water", unit="m3", name="Their meter", serial="T-1"))
    db.session.commit()
    # Another school's meter is not found in this school's file.
    batch_id = _batch_id(_upload(client, _csv([["T-1", D[0].isoformat(), "5"]])))
    assert db.session.get(ImportBatch, batch_id).rows_invalid == 1
    assert _live(db, theirs) == 0
    # The other coordinator cannot see or commit this school's batch.
    client.post("/auth/logout")
    login(outsider)
    assert client.get(f"/imports/meters/{batch_id}").status_code == 404
    assert client.post(f"/imports/meters/{batch_id}/commit").status_code == 404
    # Admins and residents do not import meter readings.
    for role in ("admin", "resident"):
        client.post("/auth/logout")
        login(factory.user(role))
        assert client.get("/imports/meters/").status_code == 403


def test_an_empty_file_and_missing_columns_get_a_message(app, client, db, setup):
    resp = _upload(client, b"")
    assert resp.status_code == 400 and "The file is empty" in resp.get_data(as_text=True)
    resp = _upload(client, _csv([["W-100", "x"]], header=("Meter", "Something")))
    assert resp.status_code == 400
    assert "missing" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
