"""Green Community in a real browser: join a challenge and watch progress move; a
scientist rejects an implausible entry and its owner sees why; a proposal is forwarded
with a legal basis and the author's bell shows it; an economist downloads the report."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from greenapp.models.impact import Tariff
from tests.e2e.conftest import ARTIFACTS
from tests.helpers import make_challenge

pytestmark = pytest.mark.e2e
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _post(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _log(page, live_server, quantity: str) -> None:
    page.goto(live_server.url("/logs/new"))
    page.select_option("select[name=category]", "water")
    page.fill("input[name=quantity]", quantity)
    page.select_option("select[name=unit]", "L")
    page.fill("input[name=action_date]", YESTERDAY)
    _post(page, "form.log-form button[type=submit]")


def _sign_out(page) -> None:
    _post(page, "header form[action$='/auth/logout'] button")


def test_resident_progress_quality_review_and_proposal_decision(
    page, live_server, sign_in, factory, db
):
    challenge = make_challenge(db, factory.user("scientist"), title="Water week", target="300")
    resident = factory.user("resident", display_name="Aliya")
    sign_in(page, resident)
    page.goto(live_server.url(f"/community/challenges/{challenge.id}"))
    _post(page, "text=Join the challenge")
    bar = page.locator("li.is-me progress")
    assert bar.get_attribute("value") == "0"
    for qty in ("10", "12", "9", "11", "10"):
        _log(page, live_server, qty)
    page.goto(live_server.url(f"/community/challenges/{challenge.id}"))
    assert bar.get_attribute("value") == "17"  # 52 of 300 L
    _log(page, live_server, "800")  # far above her usual 10 L: flagged, no badge yet
    page.goto(live_server.url(f"/community/challenges/{challenge.id}"))
    assert bar.get_attribute("value") == "100"
    assert page.locator(".bell .bell-count").count() == 0
    _sign_out(page)

    scientist = factory.user("scientist")
    sign_in(page, scientist)
    page.goto(live_server.url("/experts/quality"))
    card = page.locator("ul.proposal-list li").first
    assert "800 L" in card.inner_text()
    card.locator("input[value=rejected]").check()
    _post(page, "ul.proposal-list li button[type=submit]")
    assert page.locator(".flash-error", has_text="Say why").is_visible()
    card = page.locator("ul.proposal-list li").first
    card.locator("input[value=rejected]").check()
    card.locator("textarea").fill("8 m3 typed as litres? Please re-read the meter.")
    _post(page, "ul.proposal-list li button[type=submit]")
    _sign_out(page)

    sign_in(page, resident)
    page.goto(live_server.url("/community/notifications"))
    assert "re-read the meter" in page.content()
    page.goto(live_server.url(f"/community/challenges/{challenge.id}"))
    assert page.locator("li.is-me progress").get_attribute("value") == "17"

    page.goto(live_server.url("/experts/proposals/new"))
    page.fill("input[name=title]", "Fountains in the central park")
    page.fill(
        "textarea[name=text]",
        "<script>alert('x')</script> Two fountains would cut bottled-water plastic.",
    )
    page.fill("input[name=district]", "Central")
    _post(page, "form.form button[type=submit]")
    proposal_url = page.url
    _sign_out(page)

    lawyer = factory.user("lawyer")
    sign_in(page, lawyer)
    page.goto(proposal_url)
    page.select_option("select[name=status]", "under_review")
    _post(page, "form.form button[type=submit]")
    page.select_option("select[name=status]", "forwarded")
    _post(page, "form.form button[type=submit]")
    assert page.locator(".error", has_text="legal basis").is_visible()
    page.fill("textarea[name=legal_basis]", "Law on Local Government, art. 27")
    page.fill("textarea[name=decision_text]", "Forwarded to the parks department.")
    _post(page, "form.form button[type=submit]")
    _sign_out(page)

    sign_in(page, resident)
    page.goto(proposal_url)
    assert page.locator(".bell .bell-count").inner_text() == "3"
    assert "forwarded to the city administration" in page.content()


def test_economist_downloads_the_savings_report(page, live_server, sign_in, factory, db):
    school = factory.school(name="Lyceum 3", pupils=100)
    db.session.add(
        Tariff(
            city="Kyzylorda",
            country="KZ",
            currency="KZT",
            category="water",
            price_per_unit=Decimal("0.25"),
            valid_from=date.today() - timedelta(days=400),
        )
    )
    db.session.commit()
    factory.log(factory.user("coordinator", school=school), quantity="400")
    sign_in(page, factory.user("economist"))
    page.goto(live_server.url(f"/experts/savings?subject={school.id}"))
    with page.expect_download() as info:
        page.click("text=Download CSV")
    with open(info.value.path(), encoding="utf-8") as fh:
        text = fh.read()
    assert "Lyceum 3" in text and "100.00" in text and "KZT" in text
    # On a phone the report's rows become cards: nothing to scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url(f"/experts/savings?subject={school.id}"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    card = page.locator("table.stack tbody tr").first
    assert card.evaluate("tr => getComputedStyle(tr).display") == "block"
    money = card.locator("td[data-label='Money saved']")
    assert money.inner_text() == "100 KZT"
    assert money.evaluate("td => getComputedStyle(td, '::before').content") == '"Money saved"'
    page.screenshot(path=str(ARTIFACTS / "savings-phone.png"), full_page=True)
