"""axe-core in Chromium on the main pages: 0 serious and 0 critical violations.

axe-core comes inside the pinned PyPI package axe-playwright-python (its axe.min.js),
so nothing is fetched at run time. Pages are checked after Plotly has drawn, as users
see them, anonymous and signed in, in English and in Kazakh.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")


def _axe_js() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def _check(page, url: str) -> list[str]:
    page.goto(url)
    charts = page.locator("[data-figure-id]")
    if charts.count():
        # Charts draw only when scrolled near (static/js/charts.js): bring each into view so
        # axe also checks the drawn Plotly controls.
        for i in range(charts.count()):
            charts.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "n => document.querySelectorAll('.chart .main-svg').length >= n",
            arg=charts.count(),
            timeout=60000,
        )
    page.evaluate(_axe_js() + "\n;true")  # CDP evaluation: the CSP stays on
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for v in result["violations"]:
        if v["impact"] in BLOCKING:
            targets = [n["target"] for n in v["nodes"]][:3]
            found.append(f"{url}: {v['id']} ({v['impact']}) {v['help']} at {targets}")
    return found


def _world(factory):
    school = factory.school(name="№3 мектеп-лицей")
    coordinator = factory.user("coordinator", school=school)
    for days, cat, qty, unit in (
        (3, "water", "2.5", "m3"),
        (40, "energy", "120", "kWh"),
        (70, "trees", "4", "trees"),
    ):
        factory.log(
            coordinator,
            category=cat,
            quantity=qty,
            unit=unit,
            action_date=date.today() - timedelta(days=days),
        )
    return school, coordinator


def test_main_pages_have_no_serious_or_critical_axe_violations(page, live_server, sign_in, factory):
    school, coordinator = _world(factory)
    problems: list[str] = []
    checked = 0
    for path in (
        "/",
        "/auth/login",
        "/auth/register",
        "/community/challenges",
        "/dashboards/public",
        "/experts/decisions",
    ):
        problems += _check(page, live_server.url(path))
        checked += 1
    sign_in(page, coordinator)
    for path in ("/logs/", "/logs/new", f"/dashboards/school/{school.id}", "/community/"):
        problems += _check(page, live_server.url(path))
        checked += 1
    page.context.clear_cookies()
    sign_in(page, factory.user("admin", locale="kk"))
    for path in ("/dashboards/programme", "/schools/", "/experts/savings", "/impact/tariffs"):
        problems += _check(page, live_server.url(path))
        checked += 1
    assert checked >= 10
    assert not problems, "\n".join(problems)


def test_the_skip_link_is_the_first_stop_and_lands_on_the_content(page, live_server):
    page.goto(live_server.url("/community/challenges"))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    outline = page.evaluate(
        "() => { const a = document.querySelector('.topbar a');"
        " a.focus({focusVisible: true}); return getComputedStyle(a).outlineStyle; }"
    )
    assert outline != "none"
