"""Dashboards as a Kazakh, Russian or Belarusian reader sees them, on a desktop and a phone.

Charts send nothing to Plotly's cloud and their toolbar speaks the page's language; the
totals and measured-vs-reported tables fit a 390px phone with every number whole; the
programme's wide tables fit 1280px in every language, and on a phone those that scroll
sideways fade at the edge where more of them lies. On the demo data (`flask seed-demo`),
whose long labels and large numbers are what a walk-through found cut.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import built_once

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "green-demo-2026"
COORDINATOR = "coordinator@demo.greenapp.kz"
ADMIN = "admin@demo.greenapp.kz"
PHONE = {"width": 390, "height": 844}

# The toolbar a Kazakh page shows: zoom, pan, zoom in, zoom out, reset axes.
KAZAKH_TOOLBAR = ["Аймақты үлкейту", "Жылжыту", "Үлкейту", "Кішірейту", "Бастапқы масштаб"]


@pytest.fixture
def demo(app):
    """The demo schools, accounts, logs and meter readings on the test database (seeded
    once per test process, then copied back: tests.helpers.built_once)."""

    def seed() -> None:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output

    built_once("demo", seed)


def _sign_in(page, live_server, email: str, lang: str) -> None:
    page.goto(live_server.url("/auth/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert "/auth/login" not in page.url
    _language(page, lang)


def _language(page, lang: str) -> None:
    if page.get_attribute("html", "lang") != lang:
        with page.expect_navigation():
            page.select_option("#language", lang)
    assert page.get_attribute("html", "lang") == lang


def _school_dashboard(page, live_server) -> str:
    """The signed-in coordinator's school dashboard (the navigation's link to it)."""
    href = page.locator("a[href^='/dashboards/school/']").first.get_attribute("href")
    assert href
    return live_server.url(href)


def _draw(page, chart_id: str) -> None:
    chart = page.locator(f"#{chart_id}")
    chart.scroll_into_view_if_needed()
    chart.locator(".main-svg").first.wait_for()


def test_charts_share_nothing_and_their_toolbar_speaks_kazakh(page, live_server, demo):
    outside: list[str] = []
    page.on(
        "request",
        lambda req: None if req.url.startswith(live_server.base) else outside.append(req.url),
    )
    _sign_in(page, live_server, COORDINATOR, "kk")
    page.goto(_school_dashboard(page, live_server))
    _draw(page, "chart-cat-water")
    page.hover("#chart-cat-water .nsewdrag")

    buttons = page.locator("#chart-cat-water .modebar-btn")
    titles = buttons.evaluate_all("bs => bs.map(b => b.getAttribute('data-title'))")
    assert titles == KAZAKH_TOOLBAR
    names = buttons.evaluate_all("bs => bs.map(b => b.getAttribute('data-val') || '')")
    assert "sendDataToCloud" not in " ".join(names + titles)
    assert (
        page.locator(".modebar-btn[data-title*='Share'], .modebar-btn[data-title*='Бөлі']").count()
        == 0
    )
    # no "Produced with Plotly" logo linking out of the app
    assert page.locator(".modebar a[href*='plotly']").count() == 0

    # the value axis in the tables' format: "60 000", never "60k"
    ticks = page.locator("#chart-cat-water .ytick text").all_text_contents()
    assert ticks and not any(re.search(r"[A-Za-z]", t) for t in ticks), ticks
    assert any("\u00a0" in t for t in ticks), ticks

    # zooming by dragging shows Plotly's hint, in Kazakh
    box = page.locator("#chart-cat-water .nsewdrag").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    note = page.locator(".notifier-note").first
    note.wait_for()
    assert "екі рет басыңыз" in note.inner_text()
    assert not re.search(r"[A-Za-z]{3,}", note.inner_text())

    assert outside == [], f"the page reached outside the app: {outside}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_school_tables_fit_a_phone_with_every_number_whole(page, live_server, demo, lang):
    page.set_viewport_size(PHONE)
    _sign_in(page, live_server, COORDINATOR, lang)
    page.goto(_school_dashboard(page, live_server))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Totals: each value (the avoided CO2e beside its long label included) is inside its
    # card, nothing hidden to the right or behind a sideways scroll.
    measured = page.locator("table.measured-table")
    assert measured.count() >= 1, "the demo school has meters: its measured section shows"
    cut = page.evaluate(
        """() => {
          const bad = [];
          for (const table of document.querySelectorAll('table.dash-totals, table.measured-table')) {
            const wrap = table.parentElement;
            if (table.scrollWidth > wrap.clientWidth)
              bad.push(`${table.className}: ${table.scrollWidth} px in a ${wrap.clientWidth} px box`);
            const right = wrap.getBoundingClientRect().right;
            for (const td of table.querySelectorAll('td')) {
              if (!td.textContent.trim()) continue;
              if (td.scrollWidth > td.clientWidth)
                bad.push(`cell cut: ${td.textContent.trim()}`);
              const range = document.createRange();
              range.selectNodeContents(td);
              if (range.getBoundingClientRect().right > right + 0.5)
                bad.push(`past the card: ${td.textContent.trim()}`);
            }
          }
          return bad;
        }"""
    )
    assert cut == []
    # the avoided CO2e of water, as the desktop table shows it, is one unbroken line
    co2 = page.locator("table.dash-totals tbody tr").first.locator("td").nth(3)
    value = co2.inner_text().strip()
    assert re.fullmatch(r"\d{1,3}(\u00a0\d{3})*(,\d+)?", value), value
    rects = co2.evaluate(
        """td => { const r = document.createRange(); const text = [...td.childNodes]
              .find(n => n.nodeType === 3 && n.textContent.trim()); r.selectNodeContents(text);
              return r.getClientRects().length; }"""
    )
    assert rects == 1, "the number is split over lines"


def test_programme_tables_fit_a_desktop_in_every_language(page, live_server, demo):
    _sign_in(page, live_server, ADMIN, "kk")
    for lang in ("kk", "ru", "be", "en"):
        _language(page, lang)
        page.goto(live_server.url("/dashboards/programme"))
        widths = page.evaluate(
            """() => [...document.querySelectorAll('table.ranking, table.cities')].map(t =>
                 [t.className, t.scrollWidth, t.parentElement.clientWidth])"""
        )
        assert len(widths) >= 2
        for name, table, box in widths:
            assert table <= box, f"{lang}: {name} is {table} px in a {box} px box"

    # on a phone the school filter shows its whole choice ("Барлық мектептер")
    _language(page, "kk")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url("/dashboards/programme"))
    place = page.locator("form.dash-filters select").first
    form = page.locator("form.dash-filters").bounding_box()
    assert place.bounding_box()["width"] >= form["width"] * 0.8
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A table wider than the phone scrolls sideways in its box, and the box's edge fades
    # where more of it lies (static/js/app.js, app.css): at first on the right, at the
    # end on the left only. A table that fits has no fade.
    def edges() -> list[tuple[bool, str]]:
        return page.evaluate(
            """() => [...document.querySelectorAll('.table-wrap')].map(w =>
                 [w.scrollWidth > w.clientWidth + 1,
                  ['more-left', 'more-right'].filter(c => w.classList.contains(c)).join(' ')])"""
        )

    at_start = edges()
    assert any(wide for wide, _ in at_start), "no table scrolls sideways on a phone here"
    assert all(marks == ("more-right" if wide else "") for wide, marks in at_start), at_start
    wide = page.locator(".table-wrap.more-right").first.element_handle()  # this box, kept
    assert "gradient" in wide.evaluate("w => getComputedStyle(w).maskImage")
    wide.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    page.wait_for_function("w => w.classList.contains('more-left')", arg=wide)
    assert wide.evaluate("w => w.className") == "table-wrap more-left"
    assert "gradient" in wide.evaluate("w => getComputedStyle(w).maskImage")
