"""Core journeys in a real browser: log eco-actions, switch to Kazakh, register."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from greenapp.models.log import EcoLog
from greenapp.models.user import User

pytestmark = pytest.mark.e2e

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _log_form(
    page, *, category: str, quantity: str, unit: str, note: str, fraction: str = ""
) -> None:
    page.select_option("select[name=category]", category)
    if fraction:
        page.select_option("select[name=fraction]", fraction)
    page.fill("input[name=quantity]", quantity)
    page.select_option("select[name=unit]", unit)
    page.fill("input[name=action_date]", YESTERDAY)
    page.check("input[name=evidence][value=self]")
    page.fill("textarea[name=note]", note)
    with page.expect_navigation():
        page.click("form.log-form button[type=submit]")


def test_coordinator_logs_actions_and_sees_them_in_the_list(
    page, live_server, sign_in, factory, db
):
    coordinator = factory.user("coordinator")
    sign_in(page, coordinator)
    assert page.url.endswith("/logs/")

    page.click("text=Log an eco-action")
    # A quantity below zero is refused; what was typed stays in the form.
    _log_form(page, category="water", quantity="-3", unit="m3", note="pupils' meter reading")
    assert page.locator(".error", has_text="greater than zero").is_visible()
    assert page.input_value("input[name=quantity]") == "-3"
    assert page.input_value("textarea[name=note]") == "pupils' meter reading"
    assert page.input_value("select[name=unit]") == "m3"
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 0

    page.fill("input[name=quantity]", "1.5")
    with page.expect_navigation():
        page.click("form.log-form button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    assert "/logs/" in page.url
    # the note shows once: the address loses ?saved=, and a reload says nothing
    assert "saved=" not in page.url
    page.reload()
    assert page.locator(".flash-success").count() == 0
    assert page.locator("table.logs tbody tr").count() == 1

    page.click("text=Log an eco-action")
    _log_form(
        page,
        category="waste",
        fraction="paper",
        quantity="12",
        unit="kg",
        note="paper collection day",
    )

    rows = page.locator("table.logs tbody tr")
    assert rows.count() == 2
    table = page.inner_text("table.logs")
    assert "1,500 L" in table and "1.5 m³" in table
    assert "12 kg" in table
    totals = page.inner_text("section.totals")
    assert "1,500 L" in totals and "12 kg" in totals
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(EcoLog)) == 2


# Words that may stay Latin on a Kazakh page: data the test itself made, unit symbols,
# the language names in the language select, the product's brand and file formats.
ALLOWED_LATIN = {
    "kg",
    "kwh",
    "l",
    "m",
    "greenapp",
    "english",
    "school",
    "csv",
    "xlsx",
}  # file format names stay as they are


def test_kazakh_interface_has_no_english_left_on_the_logs_page(page, live_server, sign_in, factory):
    school = factory.school(name="Mektep 7")
    coordinator = factory.user("coordinator", school=school, display_name="Dana")
    factory.log(coordinator, category="energy", quantity="42", unit="kWh", note="")
    sign_in(page, coordinator)
    with page.expect_navigation():
        page.select_option("#language", "kk")
    assert page.get_attribute("html", "lang") == "kk"
    page.goto(live_server.url("/logs/"))
    text = page.inner_text("body")
    words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)}
    words -= ALLOWED_LATIN | {"mektep", "dana"}
    assert not words, f"English left on the Kazakh logs page: {sorted(words)}"
    # the form to log an action too
    page.goto(live_server.url("/logs/new"))
    words = {w.lower() for w in re.findall(r"[A-Za-z]{2,}", page.inner_text("body"))}
    words -= ALLOWED_LATIN | {"mektep", "dana"}
    assert not words, f"English left on the Kazakh log form: {sorted(words)}"


def test_a_resident_registers_and_lands_on_their_logs(page, live_server, db):
    page.goto(live_server.url("/"))
    page.click("text=Join as a resident")
    page.fill("input[name=email]", "aliya@example.org")
    page.fill("input[name=display_name]", "Aliya")
    page.fill("input[name=district]", "Shugyla")
    page.fill("input[name=password]", "a-long-pass-phrase")
    page.fill("input[name=confirm]", "a-different-phrase")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.locator(".error", has_text="The passwords differ.").is_visible()
    assert page.input_value("input[name=display_name]") == "Aliya"
    page.fill("input[name=password]", "a-long-pass-phrase")
    page.fill("input[name=confirm]", "a-long-pass-phrase")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.locator("h1", has_text="Check your e-mail").is_visible()
    # the confirmation mail (kept in memory under testing) carries the link
    sent = live_server.app.extensions["greenapp_outbox"][-1]
    link = re.search(
        r"http://\S+/auth/confirm/\S+", sent.get_body(preferencelist=("plain",)).get_content()
    ).group(0)
    page.goto(link)
    assert page.locator(".flash-success").is_visible()
    page.click("main a.btn-primary")
    page.fill("input[name=email]", "aliya@example.org")
    page.fill("input[name=password]", "a-long-pass-phrase")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.url.endswith("/logs/")
    assert page.locator(".flash-success").is_visible()
    assert "Aliya" in page.inner_text("header")
    user = db.session.scalar(select(User).where(User.email == "aliya@example.org"))
    assert user is not None and user.role == "resident" and user.district == "Shugyla"
