"""Offline entry in a real browser: the service worker keeps the log form, entries typed
with no network wait in IndexedDB, and are sent once (and only once) when it returns."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from greenapp.models.log import EcoLog

pytestmark = pytest.mark.e2e

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
PHOTO = Path(__file__).resolve().parents[2] / "static" / "img" / "icons" / "icon-192.png"
QUEUE_JS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("greenapp-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const req = open.result.transaction("entries").objectStore("entries").getAll();
    req.onsuccess = () => { open.result.close(); resolve(req.result); };
  };
})"""
REQUEUE_JS = """(items) => new Promise((resolve, reject) => {
  const open = indexedDB.open("greenapp-offline", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction("entries", "readwrite");
    items.forEach((item) => tx.objectStore("entries").put(item));
    tx.oncomplete = () => { open.result.close(); resolve(items.length); };
  };
})"""


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(EcoLog))


def _ready_offline(page, live_server) -> None:
    """Open the form online once (the worker installs and keeps it), then go offline and
    open it again: the kept copy answers."""
    page.goto(live_server.url("/logs/new"))
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker, which keeps this page
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    page.context.set_offline(True)
    page.reload()
    assert page.locator("form.log-form").is_visible()


def _queue(page, quantity: str, note: str) -> None:
    page.select_option("select[name=category]", "water")
    page.fill("input[name=quantity]", quantity)
    page.select_option("select[name=unit]", "L")
    page.fill("input[name=action_date]", YESTERDAY)
    page.check("input[name=evidence][value=self]")
    page.fill("textarea[name=note]", note)
    page.click("form.log-form button[type=submit]")
    page.wait_for_function(
        "(note) => document.querySelector('textarea[name=note]').value !== note", arg=note
    )


def test_three_entries_logged_offline_are_sent_once_when_the_network_returns(
    page, live_server, sign_in, factory, db
):
    coordinator = factory.user("coordinator")
    sign_in(page, coordinator)
    _ready_offline(page, live_server)
    for n in (1, 2, 3):
        _queue(page, str(n * 10), f"offline entry {n}")
    banner = page.locator("#offline-queue")
    assert banner.is_visible()
    # the count is read back from IndexedDB after the form is cleared: wait for it
    expect(page.locator(".offline-count")).to_have_text("3 entries waiting to send")
    expect(page.locator(".offline-status")).to_contain_text("Saved on this device")
    assert _count(db) == 0
    kept = page.evaluate(QUEUE_JS)
    assert len(kept) == 3 and len({item["uuid"] for item in kept}) == 3

    page.context.set_offline(False)  # the `online` event sends them
    expect(page.locator(".offline-status")).to_contain_text("have been sent")
    assert _count(db) == 3
    notes = set(db.session.scalars(select(EcoLog.note)))
    assert notes == {"offline entry 1", "offline entry 2", "offline entry 3"}
    assert page.evaluate(QUEUE_JS) == []
    assert page.locator(".offline-line").is_hidden()

    # The same three sent again (a lost answer, a second tab): nothing is added.
    page.evaluate(REQUEUE_JS, kept)
    page.reload()
    expect(page.locator(".offline-status")).to_contain_text("have been sent")
    assert page.evaluate(QUEUE_JS) == []
    assert _count(db) == 3
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


def test_an_expired_session_asks_to_sign_in_and_keeps_the_queue(
    page, live_server, sign_in, factory, db
):
    coordinator = factory.user("coordinator")
    sign_in(page, coordinator)
    _ready_offline(page, live_server)
    _queue(page, "7", "typed before the session ended")
    page.context.clear_cookies()  # the session is gone (expired, or signed out elsewhere)
    page.context.set_offline(False)
    expect(page.locator(".offline-status")).to_contain_text("Sign in again")
    expect(page.locator(".offline-count")).to_have_text("1 entry waiting to send")
    expect(page.locator(".offline-signin a")).to_be_visible()
    assert _count(db) == 0
    assert len(page.evaluate(QUEUE_JS)) == 1

    with page.expect_navigation():
        page.click(".offline-signin a")
    page.fill("input[name=email]", coordinator.email)
    page.fill("input[name=password]", "correct-horse-battery")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.url.endswith("/logs/new")
    expect(page.locator(".offline-status")).to_contain_text("have been sent")
    assert _count(db) == 1
    assert page.evaluate(QUEUE_JS) == []


def test_a_rejected_entry_comes_back_with_the_servers_message_in_russian(
    page, live_server, sign_in, factory, db
):
    coordinator = factory.user("coordinator", locale="ru")
    sign_in(page, coordinator)
    _ready_offline(page, live_server)
    _queue(page, "-3", "a typo")
    _queue(page, "4", "fine")
    page.context.set_offline(False)
    item = page.locator(".offline-rejected li")
    item.wait_for()
    text = item.inner_text()
    assert "Не принято" in text and "больше нуля" in text, text
    # The refused entry can show before the queue's next entry is sent: wait until
    # nothing else waits, then the good one has gone through.
    expect(page.locator(".offline-line")).to_be_hidden()
    assert _count(db) == 1

    with page.expect_navigation():
        item.locator("a.offline-open").click()
    # The form is filled from IndexedDB after the page has loaded: wait for it.
    expect(page.locator("input[name=quantity]")).to_have_value("-3")
    expect(page.locator("textarea[name=note]")).to_have_value("a typo")
    expect(page.locator(".field.has-error")).to_contain_text("больше нуля")
    page.fill("input[name=quantity]", "3")
    with page.expect_navigation():
        page.click("form.log-form button[type=submit]")
    expect(page.locator(".offline-status")).to_contain_text("отправлены")
    expect(page.locator(".offline-rejected li")).to_have_count(0)
    assert _count(db) == 2
    assert page.evaluate(QUEUE_JS) == []
    quantities = sorted(db.session.scalars(select(EcoLog.quantity_entered)))
    assert [str(q.normalize()) for q in quantities] == ["3", "4"]
    assert re.search("[а-я]", page.inner_text(".offline-status"))


def test_a_photo_chosen_offline_is_sent_with_its_entry(page, live_server, sign_in, factory, db):
    from greenapp.models.evidence import EvidenceFile

    sign_in(page, factory.user("coordinator"))
    _ready_offline(page, live_server)
    page.fill("input[name=quantity]", "3")
    page.select_option("select[name=unit]", "L")
    page.fill("input[name=action_date]", YESTERDAY)
    page.check("input[name=evidence][value=document]")
    page.set_input_files("input[type=file]", str(PHOTO))
    page.click("form.log-form button[type=submit]")
    expect(page.locator(".offline-count")).to_have_text("1 entry waiting to send")
    page.context.set_offline(False)
    expect(page.locator(".offline-status")).to_contain_text("have been sent")
    assert _count(db) == 1
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 1
