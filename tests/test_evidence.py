"""Evidence files on entries and readings: content-typed, cleaned, limited, access-checked."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image

from greenapp.models.evidence import EvidenceFile
from greenapp.models.log import EcoLog
from greenapp.services.storage import get_storage
from tests.evidence_helpers import (  # noqa: F401
    bomb_png,
    evidence_backend,
    exif_of,
    heic_photo,
    photo_with_gps,
    png_with_alpha,
    s3_bucket,
    s3_server,
    small_pdf,
    windows_exe,
)

# Every test runs twice: local directory and S3 (moto's server on 127.0.0.1).
pytestmark = pytest.mark.usefixtures("evidence_backend")
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _form(**kw) -> dict:
    data = {
        "category": "water",
        "quantity": "120",
        "unit": "L",
        "action_date": YESTERDAY,
        "evidence": "document",
        "fraction": "",
        "note": "rain barrel",
    }
    data.update(kw)
    return data


def _post_log(client, files: list[tuple[bytes, str]], **kw):
    data = _form(**kw)
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/logs/new", data=data, content_type="multipart/form-data")


def _errors(resp) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]*)<', resp.get_data(as_text=True))


@pytest.fixture
def coordinator(factory, login):
    user = factory.user("coordinator", school=factory.school(name="Photo School"))
    login(user)
    return user


def _signed_in(app, user):
    c = app.test_client()
    resp = c.post("/auth/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert resp.status_code == 302
    return c


def test_a_phone_photo_is_stored_without_exif_or_gps_and_upright(app, client, coordinator, db):
    original = photo_with_gps(64, 32, orientation=6)
    assert "gps:2" in exif_of(original)
    resp = _post_log(client, [(original, "IMG_0001.jpg")])
    assert resp.status_code == 302, _errors(resp)
    f = db.session.scalars(db.select(EvidenceFile)).one()
    stored = get_storage().get(f.sha256)
    assert exif_of(stored) == {}
    assert b"Exif" not in stored[:4096]
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert img.size == (32, 64)  # the EXIF rotation was applied, then dropped
    assert (f.width, f.height) == (32, 64)
    shown = client.get(f"/evidence/{f.id}")
    assert shown.status_code == 200 and shown.data == stored
    assert shown.headers["Content-Type"] == "image/jpeg"
    thumb = client.get(f"/evidence/{f.id}/thumb")
    assert thumb.status_code == 200 and exif_of(thumb.data) == {}
    listing = client.get("/logs/").get_data(as_text=True)
    assert f'src="/evidence/{f.id}/thumb"' in listing


def test_another_schools_coordinator_gets_404_and_staff_see_it(
    app, client, coordinator, factory, db
):
    assert _post_log(client, [(photo_with_gps(), "a.jpg")]).status_code == 302
    f = db.session.scalars(db.select(EvidenceFile)).one()
    outsider = factory.user("coordinator", school=factory.school(name="Other School"))
    resident = factory.user("resident")
    for who in (outsider, resident):
        c = _signed_in(app, who)
        assert c.get(f"/evidence/{f.id}").status_code == 404
        assert c.get(f"/evidence/{f.id}/thumb").status_code == 404
    anonymous = app.test_client().get(f"/evidence/{f.id}")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    scientist = _signed_in(app, factory.user("scientist"))
    assert scientist.get(f"/evidence/{f.id}/thumb").status_code == 200


def test_the_scientist_sees_the_thumbnail_in_the_quality_queue_and_on_the_entry(
    app, client, coordinator, factory, db
):
    assert _post_log(client, [(photo_with_gps(), "meter.jpg")]).status_code == 302
    log = db.session.scalars(db.select(EcoLog)).one()
    log.review_status = "flagged"
    db.session.commit()
    f = db.session.scalars(db.select(EvidenceFile)).one()
    scientist = _signed_in(app, factory.user("scientist"))
    queue = scientist.get("/experts/quality").get_data(as_text=True)
    assert f'src="/evidence/{f.id}/thumb"' in queue
    entry = scientist.get(f"/logs/{log.id}").get_data(as_text=True)
    assert f'src="/evidence/{f.id}/thumb"' in entry


def test_a_renamed_executable_is_refused_and_nothing_is_saved(client, coordinator, db):
    resp = _post_log(client, [(windows_exe(), "holiday-photo.jpg")])
    assert resp.status_code == 200
    assert any("is not a photo" in e and "holiday-photo.jpg" in e for e in _errors(resp))
    assert 'value="120"' in resp.get_data(as_text=True)  # what was typed stays
    assert db.session.scalar(db.select(db.func.count(EcoLog.id))) == 0
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0


def test_document_or_photo_needs_a_file(client, coordinator, db):
    resp = _post_log(client, [], evidence="document")
    assert any("needs the document or photo" in e for e in _errors(resp))
    assert db.session.scalar(db.select(db.func.count(EcoLog.id))) == 0
    assert _post_log(client, [], evidence="self").status_code == 302


def test_a_pdf_is_served_only_as_a_sandboxed_download(client, coordinator, db):
    assert _post_log(client, [(small_pdf(), "bill.pdf")]).status_code == 302
    f = db.session.scalars(db.select(EvidenceFile)).one()
    assert f.file_type == "pdf" and f.thumb_sha256 is None
    resp = client.get(f"/evidence/{f.id}")
    assert resp.data == small_pdf()
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["Content-Security-Policy"].startswith("sandbox")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/evidence/{f.id}/thumb").status_code == 404


def test_heic_and_png_are_accepted_and_re_encoded(client, coordinator, db):
    resp = _post_log(client, [(heic_photo(), "IMG_2000.HEIC"), (png_with_alpha(), "s.png")])
    assert resp.status_code == 302, _errors(resp)
    files = db.session.scalars(db.select(EvidenceFile).order_by(EvidenceFile.id)).all()
    assert [(f.width, f.height) for f in files] == [(40, 30), (20, 10)]
    assert all(f.content_type == "image/jpeg" for f in files)


def test_a_decompression_bomb_is_refused(client, coordinator, db):
    resp = _post_log(client, [(bomb_png(), "tiny.png")])
    assert any("too many pixels" in e for e in _errors(resp))
    assert db.session.scalar(db.select(db.func.count(EvidenceFile.id))) == 0


def test_a_50_mb_upload_gets_a_message_in_the_page_not_a_bare_413(client, coordinator, db):
    # The body is built by hand: werkzeug's test client would spool 50 MB to a temp file.
    boundary = "greenappBoundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in _form().items()
    ]
    body = (
        "".join(parts) + f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        'filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    body += b"\xff\xd8\xff" + b"\x00" * (50 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    resp = client.post(
        "/logs/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert resp.status_code == 413
    page = resp.get_data(as_text=True)
    assert "too large to receive" in page
    assert 'name="files"' in page and 'name="quantity"' in page  # the form, to retry
    assert db.session.scalar(db.select(db.func.count(EcoLog.id))) == 0


def test_the_per_file_limit_and_the_school_quota_have_clear_messages(app, client, coordinator, db):
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 500
    resp = _post_log(client, [(photo_with_gps(400, 300), "big.jpg")])
    assert any("larger than" in e for e in _errors(resp))
    app.config["EVIDENCE_MAX_FILE_BYTES"] = 15 * 1024 * 1024
    app.config["EVIDENCE_QUOTA_BYTES"] = 1000
    resp = _post_log(client, [(photo_with_gps(400, 300), "big.jpg")])
    assert any("Not enough storage left" in e for e in _errors(resp))
    assert db.session.scalar(db.select(db.func.count(EcoLog.id))) == 0


def test_deleting_an_entry_keeps_its_files(client, coordinator, db):
    assert _post_log(client, [(photo_with_gps(), "a.jpg")]).status_code == 302
    log = db.session.scalars(db.select(EcoLog)).one()
    f = db.session.scalars(db.select(EvidenceFile)).one()
    assert client.post(f"/logs/{log.id}/delete", data={"version": "1"}).status_code == 302
    assert get_storage().exists(f.sha256)
    assert client.get(f"/evidence/{f.id}").status_code == 200


def test_editing_an_entry_adds_files_and_records_it(client, coordinator, db):
    assert _post_log(client, [], evidence="self").status_code == 302
    log = db.session.scalars(db.select(EcoLog)).one()
    data = _form(evidence="document", version=str(log.version))
    data["files"] = [(io.BytesIO(photo_with_gps()), "later.jpg")]
    resp = client.post(f"/logs/{log.id}/edit", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302, _errors(resp)
    assert (
        db.session.scalar(
            db.select(db.func.count(EvidenceFile.id)).where(EvidenceFile.log_id == log.id)
        )
        == 1
    )
    history = client.get(f"/logs/{log.id}").get_data(as_text=True)
    assert "later.jpg" in history


def test_a_meter_reading_can_carry_a_photo(client, coordinator, db):
    school = coordinator.school
    client.post(
        f"/meters/school/{school.id}/meters", data={"kind": "water", "unit": "m3", "name": "Main"}
    )
    meter_id = client.get(f"/meters/school/{school.id}").get_data(as_text=True)
    meter_id = int(re.search(r'href="/meters/(\d+)"', meter_id).group(1))
    resp = client.post(
        f"/meters/{meter_id}",
        data={
            "kind": "index",
            "reading_date": YESTERDAY,
            "value": "123.4",
            "files": [(io.BytesIO(photo_with_gps()), "dial.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    f = db.session.scalars(db.select(EvidenceFile)).one()
    assert f.reading_id is not None and f.school_id == school.id
    page = client.get(f"/meters/{meter_id}").get_data(as_text=True)
    assert f'src="/evidence/{f.id}/thumb"' in page


def test_an_oversized_post_from_someone_who_may_not_log_is_a_plain_413(app, factory, db):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: CSRF reads the body first
    log_owner = factory.user("coordinator")
    log = factory.log(log_owner)
    body = b"x" * (41 * 1024 * 1024)
    scientist = factory.user("scientist")
    app.config["WTF_CSRF_ENABLED"] = False
    signed = _signed_in(app, scientist)
    app.config["WTF_CSRF_ENABLED"] = True
    for who in (None, scientist):
        c = app.test_client() if who is None else signed
        for path in ("/logs/new", f"/logs/{log.id}/edit", "/meters/1"):
            resp = c.post(path, data=body, content_type="application/octet-stream")
            assert resp.status_code == 413, (who, path, resp.status_code)
            assert 'name="quantity"' not in resp.get_data(as_text=True)
