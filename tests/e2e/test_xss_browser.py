"""In Chromium: stored XSS payloads never run, and the CSP lets the real charts draw.

Payloads are typed into every form of the app by tests/helpers.py; then every page is
opened in the browser (the live app, CSRF on) as several roles and anonymous, one test
each. The `page` fixture fails the test if any alert() fires; a CSP violation in the
console means markup got in (and only the CSP stopped it), so that fails too.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import PAYLOADS, url_for_rule
from tests.test_security_xss import crawled_world

pytestmark = pytest.mark.e2e

BROWSE_AS = ("admin", "coordinator", "resident", "lawyer")
ANONYMOUS = "anonymous"


def _csp_violations(page) -> list[str]:
    return [m for m in page.console_messages if "Content Security Policy" in m or "Refused to" in m]


def _html_pages(app, overrides) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        if rule.rule.endswith((".csv", ".xlsx", ".js")) or rule.endpoint == "ops.healthz":
            continue
        paths.append(url_for_rule(app, rule, overrides))
    return sorted(set(paths))


def _worth_a_browser(answers: dict[str, tuple[int, str, str]], paths: list[str]) -> list[str]:
    """The pages this role is shown (200, HTML: where a payload could run), and of the
    answers it gets elsewhere (a refusal, the sign-in redirect, a file) the first page
    of each kind, so every template it can meet is still opened once. The answers are
    the app's own, from the crawl (tests/test_security_xss.crawled_world): a few
    milliseconds a page, where a browser load costs ~80 ms, and about half of the
    anonymous visitor's and a resident's 89 pages are such answers."""
    shown: list[str] = []
    other: dict[tuple, str] = {}
    for path in paths:
        status, mimetype, where = answers[path]
        if status == 200 and mimetype == "text/html":
            shown.append(path)
        else:
            other.setdefault((status, mimetype, where), path)
    return shown + sorted(other.values())


@pytest.mark.no_service_worker  # what a payload could do is in the page, not the worker
@pytest.mark.parametrize("role", [*BROWSE_AS, ANONYMOUS])
def test_stored_payloads_never_run_in_the_browser(
    app, page, live_server, sign_in, factory, db, role
):
    """One test per role (xdist spreads them over the workers); the seeded database is
    built and crawled once per test process and copied back for the next role
    (crawled_world)."""
    users, overrides, report, crawled = crawled_world(app, factory, db, role)  # forms filled
    assert report.forms.get("logs.new") == len(PAYLOADS), report.forms
    assert not report.leaks, report.leaks
    paths = _html_pages(app, overrides)
    assert len(paths) > 20
    user = None if role == ANONYMOUS else users[role]
    browse = _worth_a_browser(crawled.answers[role], paths)
    if user is not None:
        sign_in(page, user)
    for path in browse:
        page.goto(live_server.url(path))  # waits for the "load" event
    assert not page.alerts, (role, page.alerts)
    assert not _csp_violations(page), (role, _csp_violations(page))
    print(
        f"\nbrowser XSS as {role}: {len(PAYLOADS)} payloads, {report.submissions} "
        f"submissions, {len(browse)} of {len(paths)} pages loaded, 0 alerts"
    )


def _chart_data(factory):
    schools = [factory.school(name=f"Chart School {i}") for i in range(3)]
    for school in schools:
        coordinator = factory.user("coordinator", school=school)
        for d in range(1, 20, 3):
            day = date.today() - timedelta(days=d)
            factory.log(coordinator, quantity=str(100 + d), action_date=day)
            factory.log(
                coordinator, category="energy", unit="kWh", quantity=str(d), action_date=day
            )
    return schools


def test_charts_draw_under_the_csp_without_unsafe_eval(page, live_server, sign_in, factory):
    """What plotly.js needs, checked in Chromium (see README, Security and operations)."""
    _chart_data(factory)
    admin = factory.user("admin")
    sign_in(page, admin)
    response = page.goto(live_server.url("/dashboards/programme"))
    csp = response.headers["content-security-policy"]
    assert "unsafe-eval" not in csp and "script-src 'self'" in csp
    page.locator("[data-figure-id]").first.scroll_into_view_if_needed()  # drawn when seen
    page.wait_for_selector("[data-figure-id] .main-svg")
    drawn = page.locator("[data-figure-id] .main-svg").count()
    assert drawn >= 1
    assert not _csp_violations(page), _csp_violations(page)

    # Without 'unsafe-inline' in style-src, plotly's injected <style>/style attributes are
    # refused: this is why the policy keeps it (for styles only, never for scripts).
    def strict_styles(route):
        resp = route.fetch()
        headers = dict(resp.headers)
        headers["content-security-policy"] = csp.replace(
            "style-src 'self' 'unsafe-inline'", "style-src 'self'"
        )
        route.fulfill(response=resp, headers=headers)

    page.route("**/dashboards/programme*", strict_styles)
    page.console_messages.clear()
    page.goto(live_server.url("/dashboards/programme"))
    page.locator("[data-figure-id]").first.scroll_into_view_if_needed()
    page.wait_for_selector("[data-figure-id] .main-svg")
    page.wait_for_timeout(300)
    style_refusals = [m for m in _csp_violations(page) if "style" in m.lower()]
    assert style_refusals, "plotly no longer needs inline styles: drop 'unsafe-inline'"
    print(
        f"\nCSP probe: {drawn} charts drawn without 'unsafe-eval'; without inline styles "
        f"{len(style_refusals)} refusals, first: {style_refusals[0][:160]}"
    )
    assert not [m for m in _csp_violations(page) if "unsafe-eval" in m or "script" in m]
