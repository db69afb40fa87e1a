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
    page.check("input[name=evidence][value=self]")
    with page.expect_navigation():
        page.click("form.log-form button[type=submit]")

    with page.expect_navigation():
        page.click("nav >> text=Dashboard")
    placeholders = page.locator("[data-figure-id]")
    n = placeholders.count()
    assert n >= 3
    totals = page.locator("table.dash-totals").inner_text()
    assert "2,500 L" in totals
    # a chart below the first screen is not drawn, and its box already has its height
    last = placeholders.nth(n - 1)
    assert last.locator(".main-svg").count() == 0
    box = last.bounding_box()
    assert box is not None and box["height"] >= 240
    # scrolled to, every chart draws (plotly.js is fetched on the way), in the same box
    for i in range(n):
        chart = placeholders.nth(i)
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for()
    assert page.evaluate("typeof window.Plotly") == "object"
    assert last.bounding_box()["height"] == box["height"]
    # the water chart's bars carry the number too (Plotly renders the hover data)
    assert page.locator("#chart-cat-water .main-svg").first.is_visible()

    # on a phone no chart is on the first screen: plotly.js is not even downloaded
    page.set_viewport_size({"width": 390, "height": 844})
    scripts: list[str] = []
    page.on("request", lambda req: scripts.append(req.url) if "plotly" in req.url else None)
    page.goto(page.url)
    page.wait_for_load_state("networkidle")
    assert scripts == [] and page.evaluate("typeof window.Plotly") == "undefined"
    page.locator("#chart-cat-water").scroll_into_view_if_needed()
    page.wait_for_selector("#chart-cat-water .main-svg")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
