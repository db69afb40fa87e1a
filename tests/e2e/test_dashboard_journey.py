"""A coordinator's logs reach the school dashboard, whose charts really draw."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.e2e


def test_logged_actions_show_on_the_dashboard_with_charts_drawn(
    page, live_server, sign_in, factory
):
    coordinator = factory.user("coordinator")
    sign_in(page, coordinator)
    page.click("text=Log an eco-action")
    page.select_option("select[name=category]", "water")
    page.fill("input[name=quantity]", "2.5")
    page.select_option("select[name=unit]", "m3")
    page.fill("input[name=action_date]", (date.today() - timedelta(days=1)).isoformat())
    page.check("input[name=evidence][value=metered]")
    with page.expect_navigation():
        page.click("form.log-form button[type=submit]")

    page.click("nav >> text=Dashboard")
    page.wait_for_selector(".chart .main-svg")  # Plotly has drawn into the page
    drawn = page.locator(".chart .main-svg").count()
    placeholders = page.locator("[data-figure-id]").count()
    assert placeholders >= 3 and drawn >= placeholders  # every chart has its SVG
    totals = page.locator("table.dash-totals").inner_text()
    assert "2,500 L" in totals
    # the water chart's bars carry the number too (Plotly renders the hover data)
    assert page.locator("#chart-cat-water .main-svg").first.is_visible()

    # on a phone the same page draws without sideways scrolling of the page
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector(".chart .main-svg")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
