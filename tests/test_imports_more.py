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


def _upload(client, content: bytes, name: str = "readings.csv", path: str = "/imports/meters/"):
    # The body is built here (as in test_imports.py): werkzeug's test client spools a large
    # generated body to a temporary file it never closes.
    boundary = "----greenapp-import-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


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
    found = re.findall(
        r'<td class="num" data-label="[^"]*">(\d+)</td>\s*<td[^>]*><span '
        r'class="badge[^"]*">([^<]*)</span></td>\s*<td[^>]*class="reason">'
        r"([^<]*)</td>",
        page,
    )
    return {n: (s, r) for n, s, r in found}


def _live(db, meter) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(MeterReading)
        .where(MeterReading.meter_id == meter.id, MeterReading.deleted_at.is_(None))
    )


@pytest.fixture
def setup(factory, login, db):
    school = factory.school(name="Meter Import School", joined_on=TODAY - timedelta(days=900))
    user = factory.user("coordinator", school=school)
    water = meter_service.add_meter(
        user,
        school,
        meter_service.MeterInput(kind="water", unit="m3", name="Main water meter", serial="W-100"),
    )
    power = meter_service.add_meter(
        user,
        school,
        meter_service.MeterInput(kind="electricity", unit="kWh", name="Power", serial="E-7"),
    )
    db.session.commit()
    login(user)
    return school, user, water, power


def test_dry_run_marks_every_bad_row_with_the_meters_own_reason(app, client, db, setup):
    school, user, water, _power = setup
    meter_service.add_reading(
        user, water, meter_service.ReadingInput(kind="index", reading_date=D[0], value="100")
    )
    db.session.commit()
    content = _csv(
        [
            ["W-100", D[1].isoformat(), "110"],  # 2 new
            ["W-100", D[2].isoformat(), "105"],  # 3 lower than the last (110)
            ["Main water meter", D[0].isoformat(), "90"],  # 4 already stored (same day, index)
            ["NOPE-1", D[3].isoformat(), "5"],  # 5 not a meter of this school
            ["W-100", (TODAY + timedelta(days=3)).isoformat(), "130"],  # 6 future date
            ["W-100", D[3].isoformat(), "abc"],  # 7 not a number
        ]
    )
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
    content = _csv(
        [
            ["W-100", D[0].isoformat(), "100", "", "", "", ""],
            ["W-100", D[1].isoformat(), "112.5", "", "", "", ""],
            # the meter was replaced: old one showed 120, the new one starts at 3
            ["W-100", D[2].isoformat(), "120", "", "", "yes", "3"],
            ["W-100", D[3].isoformat(), "10", "", "", "", ""],
            ["E-7", D[1].isoformat(), "", "350", D[0].isoformat(), "", ""],  # a bill
        ],
        header=(
            "Meter",
            "Date",
            "Index",
            "Consumption from the bill",
            "Bill from",
            "Meter replaced",
            "New meter's starting index",
        ),
    )
    batch_id = _batch_id(_upload(client, content))
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.rows_new, batch.rows_invalid) == (5, 0), _rows(
        client.get(f"/imports/meters/{batch_id}").get_data(as_text=True)
    )
    resp = client.post(f"/imports/meters/{batch_id}/commit", follow_redirects=True)
    assert "Imported 5 readings" in resp.get_data(as_text=True)
    readings = meter_service.readings_of(water.id)
    assert [(r.kind, r.value, r.old_final) for r in readings] == [
        ("index", Decimal("100"), None),
        ("index", Decimal("112.5"), None),
        ("replacement", Decimal("3"), Decimal("120")),
        ("index", Decimal("10"), None),
    ]
    bill = meter_service.readings_of(power.id)[0]
    assert (bill.kind, bill.value, bill.period_start) == ("bill", Decimal("350"), D[0])
    used = sum(iv.quantity for iv in meter_service.intervals(water))
    assert used == Decimal("27000")  # 12.5 + 7.5 + 7 m³, in litres
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.entity_type == "meter_reading")
        )
        >= 5
    )
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


def test_reasons_in_the_readers_language_and_a_template_with_the_schools_meters(
    app, client, db, setup
):
    _school, user, water, _power = setup
    user.locale = "kk"
    db.session.commit()
    template = load_workbook(io.BytesIO(client.get("/imports/meters/template.xlsx").data))
    assert [c.value for c in template["lists"]["A"]] == ["E-7", "W-100"]
    content = _csv(
        [
            ["W-100", (TODAY + timedelta(days=3)).isoformat(), "1"],
            ["W-100", D[0].isoformat(), "1", "", "", "иә", "0"],
        ],
        header=("Meter", "Date", "Index", "Consumption", "From", "Replaced", "New index"),
    )
    batch_id = _batch_id(_upload(client, content))
    rows = _rows(client.get(f"/imports/meters/{batch_id}").get_data(as_text=True))
    assert _kk(app, "The date cannot be in the future.") in rows["2"][1]
    assert rows["3"][0] == _kk(app, "new"), rows["3"]  # «иә» marks a replacement
    assert db.session.get(ImportBatch, batch_id).rows_invalid == 1


def test_undo_refused_when_a_later_reading_was_typed(app, client, db, setup):
    school, user, water, _power = setup
    batch_id = _batch_id(_upload(client, _csv([["W-100", D[0].isoformat(), "100"]])))
    client.post(f"/imports/meters/{batch_id}/commit")
    meter_service.add_reading(
        user, water, meter_service.ReadingInput(kind="index", reading_date=D[2], value="150")
    )
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
    theirs = meter_service.add_meter(
        outsider,
        other,
        meter_service.MeterInput(kind="water", unit="m3", name="Their meter", serial="T-1"),
    )
    db.session.commit()
    # Another school's meter is not found in this school's file.
    batch_id = _batch_id(_upload(client, _csv([["T-1", D[0].isoformat(), "5"]])))
    assert db.session.get(ImportBatch, batch_id).rows_invalid == 1
    assert _live(db, theirs) == 0
    # A meter batch is not an entries batch: not listed or opened as one.
    assert client.get(f"/imports/{batch_id}").status_code == 404
    assert "readings.csv" not in client.get("/imports/").get_data(as_text=True)
    assert "readings.csv" in client.get("/imports/meters/").get_data(as_text=True)
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
    resp = _upload(client, b"x" * (17 * 1024 * 1024))
    assert resp.status_code == 413 and "16 MB" in resp.get_data(as_text=True)
    resp = _upload(client, b"")
    assert resp.status_code == 400 and "The file is empty" in resp.get_data(as_text=True)
    resp = _upload(client, _csv([["W-100", "x"]], header=("Meter", "Something")))
    assert resp.status_code == 400
    assert "missing" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


# --- admin imports: schools and accounts ------------------------------------------------


@pytest.fixture
def smtp(app):
    from tests.smtp_helpers import run_smtp

    yield from run_smtp(app)


def _admin_upload(client, target: str, content: bytes):
    return _upload(client, content, f"{target}.csv", f"/imports/admin/{target}/")


def _admin_batch(resp) -> int:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
    return int(re.search(r"/imports/admin/(\d+)", resp.headers["Location"]).group(1))


@pytest.fixture
def admin(factory, login):
    user = factory.user("admin")
    login(user)
    return user


def test_schools_dry_run_commit_reupload_and_undo(app, client, db, factory, admin):
    from greenapp.models.school import School

    factory.school(name="Existing School", city="Kyzylorda")
    db.session.commit()
    content = _csv(
        [
            ["School No. 7", "Қызылорда", "640", "2025-09-01", "Abay St 3"],  # 2 new (kk city)
            ["Гимназия 12", "Минск", "820", "01.09.2025", ""],  # 3 new (ru city)
            ["Existing School", "Kyzylorda", "500", "2025-01-01", ""],  # 4 duplicate
            ["Nowhere School", "Atlantis", "100", "2025-01-01", ""],  # 5 unknown city
            ["No Pupils", "Minsk", "", "2025-01-01", ""],  # 6 no pupils
            ["School No. 7", "Kyzylorda", "640", "2025-09-01", ""],  # 7 same as row 2
        ],
        header=("School name", "City", "Pupils", "Joined the programme", "Address"),
    )
    batch_id = _admin_batch(_admin_upload(client, "schools", content))
    page = client.get(f"/imports/admin/{batch_id}").get_data(as_text=True)
    rows = _rows(page)
    assert [rows[n][0] for n in "234567"] == [
        "new",
        "new",
        "duplicate",
        "invalid",
        "invalid",
        "duplicate",
    ]
    assert "Atlantis" in rows["5"][1] and "pupils" in rows["6"][1]
    assert "row 2" in rows["7"][1]
    assert db.session.scalar(select(func.count()).select_from(School)) == 1  # dry run
    # Fixed file: the two bad rows removed.
    good = _csv(
        [
            ["School No. 7", "Қызылорда", "640", "2025-09-01", "Abay St 3"],
            ["Гимназия 12", "Минск", "820", "01.09.2025", ""],
        ],
        header=("Название школы", "Город", "Ученики", "Присоединилась к программе", "Адрес"),
    )
    batch_id = _admin_batch(_admin_upload(client, "schools", good))
    client.post(f"/imports/admin/{batch_id}/commit")
    school = db.session.scalar(select(School).where(School.name == "Гимназия 12"))
    assert school is not None and school.city == "Minsk" and school.pupils == 820
    assert school.joined_on == date(2025, 9, 1)
    # The same file again adds nothing.
    again = _admin_batch(_admin_upload(client, "schools", good))
    assert db.session.get(ImportBatch, again).rows_duplicate == 2
    # A school that already has a coordinator blocks the undo, with a clear message.
    factory.user("coordinator", school=school)
    db.session.commit()
    resp = client.post(f"/imports/admin/{batch_id}/undo", follow_redirects=True)
    assert "Nothing was undone" in resp.get_data(as_text=True)
    assert "Гимназия 12" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(School)) == 3


def test_schools_undo_deletes_unused_schools(app, client, db, admin):
    from greenapp.models.school import School

    content = _csv(
        [["Lyceum 1", "Minsk", "300", "2025-02-01"]],
        header=("School name", "City", "Pupils", "Joined the programme"),
    )
    batch_id = _admin_batch(_admin_upload(client, "schools", content))
    client.post(f"/imports/admin/{batch_id}/commit")
    assert db.session.scalar(select(func.count()).select_from(School)) == 1
    client.post(f"/imports/admin/{batch_id}/undo")
    assert db.session.scalar(select(func.count()).select_from(School)) == 0
    assert db.session.get(ImportBatch, batch_id).status == "undone"


def test_accounts_get_the_confirmation_mail_and_undo_deactivates_unused(
    app, client, db, factory, admin, smtp
):
    from greenapp.models.user import User

    school = factory.school(name="Account School")
    factory.user("resident", email="taken@example.org")
    db.session.commit()
    content = _csv(
        [
            ["aigerim@example.org", "Aigerim", "School coordinator", "Account School", "kk"],
            ["ivan@example.org", "Ivan", "coordinator", "Account School", "Русский"],
            ["taken@example.org", "Someone", "resident", "", ""],  # 4 duplicate
            ["boss@example.org", "Boss", "admin", "", ""],  # 5 refused
            ["bad-address", "X", "resident", "", ""],  # 6 invalid email
            ["lost@example.org", "Lost", "coordinator", "No Such School", ""],  # 7 no school
        ],
        header=("E-mail", "Name", "Role", "School", "Language"),
    )
    batch_id = _admin_batch(_admin_upload(client, "accounts", content))
    rows = _rows(client.get(f"/imports/admin/{batch_id}").get_data(as_text=True))
    assert [rows[n][0] for n in "234567"] == [
        "new",
        "new",
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert "Accounts page" in rows["5"][1]
    assert not smtp.messages
    content = _csv(
        [
            ["aigerim@example.org", "Aigerim", "School coordinator", "Account School", "kk"],
            ["ivan@example.org", "Ivan", "coordinator", "Account School", "Русский"],
        ],
        header=("E-mail", "Name", "Role", "School", "Language"),
    )
    batch_id = _admin_batch(_admin_upload(client, "accounts", content))
    client.post(f"/imports/admin/{batch_id}/commit")
    aigerim = db.session.scalar(select(User).where(User.email == "aigerim@example.org"))
    assert (aigerim.role, aigerim.school_id, aigerim.locale) == ("coordinator", school.id, "kk")
    assert aigerim.email_confirmed_at is None
    messages = smtp.wait(2)
    assert sorted(m["X-Envelope-To"] for m in messages) == [
        "aigerim@example.org",
        "ivan@example.org",
    ]
    from tests.smtp_helpers import link_in, text_of

    for m in messages:  # the confirmation mail, in the account's language, no password
        assert link_in(m, "/auth/confirm")
        assert m["Subject"] != "Confirm your e-mail address for greenapp"
        assert "password" not in text_of(m).lower()
    # Aigerim confirms her address (uses the account); Ivan does not.
    kk_mail = next(m for m in messages if "aigerim" in m["X-Envelope-To"])
    client.get(link_in(kk_mail, "/auth/confirm"))
    resp = client.post(f"/imports/admin/{batch_id}/undo", follow_redirects=True)
    assert "1 account was already used and is kept" in resp.get_data(as_text=True)
    db.session.expire_all()
    ivan = db.session.scalar(select(User).where(User.email == "ivan@example.org"))
    aigerim = db.session.scalar(select(User).where(User.email == "aigerim@example.org"))
    assert (ivan.active, aigerim.active) == (False, True)


def test_coordinators_cannot_import_schools_or_accounts(app, client, db, setup):
    for path in (
        "/imports/admin/schools/",
        "/imports/admin/accounts/",
        "/imports/admin/schools/template.xlsx",
    ):
        assert client.get(path).status_code == 403
    resp = client.post(
        "/imports/admin/schools/",
        data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 403
    page = client.get("/imports/").get_data(as_text=True)
    assert "/imports/meters/" in page and "/imports/admin/" not in page
