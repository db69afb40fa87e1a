"""The spreadsheet import through /api/v1/imports: what a script with a token notices.

Upload (the dry run, counted and listed with reasons), commit (all or nothing), a second
upload of the same rows (nothing added), undo (the totals back); the token's scope, the
school's boundary and the file's refusals (problem+json in the reader's language).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

from sqlalchemy import func, select

from greenapp.models.imports import ImportBatch
from greenapp.models.log import EcoLog
from tests.helpers import api_token, bearer

PROBLEM = "application/problem+json"
DAYS = [date.today() - timedelta(days=n) for n in (3, 2, 1)]


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


GOOD = _csv(
    "date,category,quantity,unit,reference",
    f"{DAYS[0]},water,5,L,R-1",
    f"{DAYS[1]},water,6,L,R-2",
    f"{DAYS[2]},water,7,L,",
)


def _upload(api, headers, content: bytes, name: str = "entries.csv", **form):
    # The body is built here (as in test_imports.py): werkzeug's test client spools a
    # large generated body to a temporary file it never closes.
    boundary = "----greenapp-api-import-test"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in form.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return api.post(
        "/api/v1/imports",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _live(db, school_id: int) -> tuple[int, object]:
    return db.session.execute(
        select(func.count(), func.coalesce(func.sum(EcoLog.quantity), 0)).where(
            EcoLog.school_id == school_id, EcoLog.deleted_at.is_(None)
        )
    ).one()


def test_a_script_uploads_commits_reuploads_and_undoes(app, factory, db):
    coordinator = factory.user("coordinator")
    before = _live(db, coordinator.school_id)
    api, auth = app.test_client(), bearer(api_token(coordinator, ("import",)))

    sent = _upload(api, auth, GOOD)
    assert sent.status_code == 201, sent.get_data(as_text=True)
    batch = sent.get_json()
    assert batch["status"] == "preview" and batch["school_id"] == coordinator.school_id
    assert batch["counts"] == {"total": 3, "new": 3, "duplicate": 0, "invalid": 0, "added": 0}
    assert len(batch["sha256"]) == 64 and not batch["needs_columns"]
    assert [r["row"] for r in batch["rows"]["items"]] == [2, 3, 4]
    assert _live(db, coordinator.school_id) == before  # a dry run stores nothing

    read = api.get(f"/api/v1/imports/{batch['id']}?per_page=2", headers=auth).get_json()
    assert read["counts"]["new"] == 3 and read["rows"]["pages"] == 2
    assert read["rows"]["next"].endswith(f"/api/v1/imports/{batch['id']}?page=2&per_page=2")

    done = api.post(f"/api/v1/imports/{batch['id']}/commit", headers=auth)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["count"] == 3 and done.get_json()["batch"]["status"] == "committed"
    count, total = _live(db, coordinator.school_id)
    assert count == before[0] + 3 and total == before[1] + 18

    again = api.post(f"/api/v1/imports/{batch['id']}/commit", headers=auth)
    assert again.status_code == 422 and again.content_type == PROBLEM

    second = _upload(api, auth, GOOD, "same-again.csv").get_json()
    assert second["counts"]["duplicate"] == 3 and second["counts"]["new"] == 0
    assert {r["status"] for r in second["rows"]["items"]} == {"duplicate"}
    assert all(r["reason"] for r in second["rows"]["items"])
    nothing = api.post(f"/api/v1/imports/{second['id']}/commit", headers=auth).get_json()
    assert nothing["count"] == 0
    assert _live(db, coordinator.school_id)[0] == before[0] + 3

    undone = api.post(f"/api/v1/imports/{batch['id']}/undo", headers=auth)
    assert undone.status_code == 200 and undone.get_json()["count"] == 3
    assert undone.get_json()["batch"]["status"] == "undone"
    assert _live(db, coordinator.school_id) == before


def test_invalid_rows_are_listed_first_and_block_the_commit(app, factory, db):
    coordinator = factory.user("coordinator")
    api, auth = (
        app.test_client(),
        bearer(api_token(coordinator, ("import",)), **{"Accept-Language": "ru"}),
    )
    future = date.today() + timedelta(days=5)
    sent = _upload(
        api,
        auth,
        _csv("date,category,quantity,unit", f"{DAYS[0]},water,5,L", f"{future},water,6,L"),
    ).get_json()
    assert sent["counts"]["invalid"] == 1 and sent["counts"]["new"] == 1
    first = sent["rows"]["items"][0]
    assert first["row"] == 3 and first["status"] == "invalid" and "будущ" in first["reason"], first
    refused = api.post(f"/api/v1/imports/{sent['id']}/commit", headers=auth)
    assert (
        refused.status_code == 422
        and "ничего не импортировано" in refused.get_json()["detail"].lower()
    )
    assert _live(db, coordinator.school_id)[0] == 0


def test_scopes_roles_and_other_schools(app, factory, db):
    coordinator = factory.user("coordinator")
    api = app.test_client()
    batch = _upload(api, bearer(api_token(coordinator, ("import",))), GOOD).get_json()

    reader = bearer(api_token(coordinator, ("read",)))
    assert api.get(f"/api/v1/imports/{batch['id']}", headers=reader).status_code == 200
    denied = api.post(f"/api/v1/imports/{batch['id']}/commit", headers=reader)
    assert denied.status_code == 403 and denied.content_type == PROBLEM
    assert _upload(api, reader, GOOD).status_code == 403
    writer = bearer(api_token(coordinator, ("read", "write")))
    assert api.post(f"/api/v1/imports/{batch['id']}/commit", headers=writer).status_code == 403

    outsider = bearer(api_token(factory.user("coordinator"), ("read", "import")))
    for method, path in (("GET", ""), ("POST", "/commit"), ("POST", "/undo")):
        resp = api.open(f"/api/v1/imports/{batch['id']}{path}", method=method, headers=outsider)
        assert resp.status_code == 404 and resp.content_type == PROBLEM, (method, path)
    resident = bearer(api_token(factory.user("resident"), ("read", "import")))
    assert _upload(api, resident, GOOD).status_code == 403
    assert db.session.get(ImportBatch, batch["id"]).status == "preview"
    assert _live(db, coordinator.school_id)[0] == 0


def test_an_admin_names_the_school(app, factory, db):
    coordinator = factory.user("coordinator")
    admin = bearer(api_token(factory.user("admin"), ("import",)))
    api = app.test_client()
    unnamed = _upload(api, admin, GOOD)
    assert unnamed.status_code == 422 and "school_id" in unnamed.get_json()["errors"]
    named = _upload(api, admin, GOOD, school_id=str(coordinator.school_id))
    assert named.status_code == 201 and named.get_json()["school_id"] == coordinator.school_id


def test_refused_files_get_the_pages_reason_in_the_readers_language(app, factory, db):
    coordinator = factory.user("coordinator")
    api = app.test_client()
    en = bearer(api_token(coordinator, ("import",)), **{"Accept-Language": "en"})
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    cases = [
        (b"", "The file is empty."),
        ("Дата;Категория;Количество;Единица\n".encode("cp1251"), "Windows-1251"),
        (bomb.getvalue(), "unpacks to far more data"),
        (
            b"date,category,quantity,unit\n" + b"2020-01-01,water,1,L\n" * 900_000,
            "larger than 16 MB",
        ),
    ]
    for content, reason in cases:
        resp = _upload(api, en, content)
        assert resp.status_code == 422 and resp.content_type == PROBLEM, reason
        assert reason in resp.get_json()["detail"], resp.get_json()
        assert reason in resp.get_json()["errors"]["file"][0]
    missing = api.post("/api/v1/imports", data={}, headers=en, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["errors"]["file"]
    kk = bearer(api_token(coordinator, ("import",)), **{"Accept-Language": "kk"})
    resp = _upload(api, kk, b"")
    assert resp.status_code == 422 and "The file is empty." not in resp.get_json()["detail"]
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_a_retried_upload_with_an_idempotency_key_makes_one_batch(app, factory, db):
    coordinator = factory.user("coordinator")
    api = app.test_client()
    auth = bearer(api_token(coordinator, ("import",)), **{"Idempotency-Key": "upload-1"})
    first = _upload(api, auth, GOOD)
    assert first.status_code == 201, first.get_data(as_text=True)
    second = _upload(api, auth, GOOD)
    assert second.status_code == 201 and second.headers.get("Idempotency-Replayed") == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_the_document_describes_the_import_operations(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    upload = spec["paths"]["/api/v1/imports"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"]["format"] == "binary" and form["required"] == ["file"]
    assert upload["x-scope"] == "import" and {"201", "422"} <= set(upload["responses"])
    one = spec["paths"]["/api/v1/imports/{import_batch_id}"]["get"]
    assert one["x-scope"] == "read | import"
    for action in ("commit", "undo"):
        op = spec["paths"][f"/api/v1/imports/{{import_batch_id}}/{action}"]["post"]
        assert op["x-scope"] == "import" and "404" in op["responses"]
