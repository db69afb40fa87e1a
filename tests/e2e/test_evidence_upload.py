"""A phone-sized Chromium logs an action with a camera photo carrying GPS EXIF."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from greenapp.models.evidence import EvidenceFile
from greenapp.models.log import EcoLog
from greenapp.services.storage import storage_from_config
from tests.e2e.conftest import PASSWORD
from tests.evidence_helpers import exif_of, photo_with_gps

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    """A 390 px wide touch context, like a mid-range phone."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.console_messages = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.console_messages.append(f"{m.type}: {m.text}"))  # type: ignore[attr-defined]
    yield pg
    context.close()


def _sign_in(pg, live_server, user) -> None:
    pg.goto(live_server.url("/auth/login"))
    pg.fill("input[name=email]", user.email)
    pg.fill("input[name=password]", PASSWORD)
    with pg.expect_navigation():
        pg.click("form.form button[type=submit]")


def test_phone_uploads_a_photo_the_stored_copy_has_no_exif_and_access_is_checked(
    phone, live_server, browser, factory, db, tmp_path
):
    coordinator = factory.user("coordinator", school=factory.school(name="Phone School"))
    _sign_in(phone, live_server, coordinator)
    phone.goto(live_server.url("/logs/new"))
    file_input = phone.locator("input[type=file][name=files]")
    assert file_input.get_attribute("capture") == "environment"
    assert "image/*" in file_input.get_attribute("accept")
    # The form fits the phone's width: nothing scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(photo_with_gps(1200, 900))
    assert "gps:2" in exif_of(photo.read_bytes())
    phone.select_option("select[name=category]", "energy")
    phone.fill("input[name=quantity]", "12.5")
    phone.select_option("select[name=unit]", "kWh")
    phone.fill("input[name=action_date]", (date.today() - timedelta(days=1)).isoformat())
    phone.check("input[name=evidence][value=document]")
    file_input.set_input_files(str(photo))
    phone.click("form.log-form button[type=submit]")
    # Sent with progress by static/js/upload.js; the list then shows the thumbnail.
    phone.wait_for_selector(".flash-success")
    thumb = phone.locator("table.logs img[src*='/evidence/']")
    thumb.first.wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(tmp_path / "phone-list.png"), full_page=True)

    log = db.session.scalars(db.select(EcoLog)).one()
    assert log.evidence == "document" and log.quantity == 12.5
    f = db.session.scalars(db.select(EvidenceFile)).one()
    app = live_server.app
    stored = storage_from_config(app.config, app.instance_path).get(f.sha256)
    assert exif_of(stored) == {}
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (900, 1200)  # orientation applied, then EXIF dropped
    # The browser gets exactly the cleaned bytes.
    got = phone.request.get(live_server.url(f"/evidence/{f.id}"))
    assert got.status == 200 and got.body() == stored

    # Another school's coordinator: 404 on the file and its thumbnail.
    outsider = factory.user("coordinator", school=factory.school(name="Other School"))
    other = browser.new_context(viewport=PHONE)
    try:
        pg = other.new_page()
        _sign_in(pg, live_server, outsider)
        assert pg.request.get(live_server.url(f"/evidence/{f.id}")).status == 404
        assert pg.request.get(live_server.url(f"/evidence/{f.id}/thumb")).status == 404
    finally:
        other.close()

    # The scientist sees the thumbnail in the data-quality queue.
    log.review_status = "flagged"
    db.session.commit()
    scientist = factory.user("scientist")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = ctx.new_page()
        _sign_in(pg, live_server, scientist)
        pg.goto(live_server.url("/experts/quality"))
        img = pg.locator(f"img[src='/evidence/{f.id}/thumb']")
        img.wait_for()
        # Drawn, not a broken image: waited for, as a lazy image loads after the page.
        pg.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    finally:
        ctx.close()
