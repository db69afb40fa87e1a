"""Browser journeys: a live server on the test database and Debian's chromium.

Fixtures for every e2e test file (mark the tests with @pytest.mark.e2e):

- ``live_server``: the app served by werkzeug in a thread on a free 127.0.0.1 port, on
  the same test database as the ``app`` fixture (so ``factory`` prepares its data) and
  with CSRF ENABLED, as a real browser submits tokens. ``live_server.url("/logs/")``.
- ``browser``: one chromium for the whole run (session scope; one per xdist worker).
- ``page``: a fresh browser context and page per test. Any ``alert()`` that fires
  fails the test (XSS guard); ``confirm()`` dialogs are accepted. Console messages are
  in ``page.console_messages`` (CSP violations show up there).
- ``sign_in(page, user, password=PASSWORD)``: signs in through the real login form.

When a journey fails, a screenshot is saved to tests/e2e/artifacts/<test>.png.
Without Debian's chromium-headless-shell or chromium the journeys skip locally and FAIL when CI=true.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from greenapp import create_app
from tests.helpers import PASSWORD  # the factory's password

# Debian's chromium-headless-shell when it is installed, else Debian's chromium (E2E_CHROMIUM
# names another). Both are built from Debian's chromium source, same version, same Blink
# and V8; the headless shell is Chromium without the browser's user interface, the
# build Playwright itself runs for headless tests. Measured on the 23 browser tests
# (2 workers): Chromium's CPU fell from 70 s to 48 s, the whole machine's from 119 to
# 100 CPU-seconds. Walks and screenshots by hand use the full chromium.
CHROMIUM_BUILDS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
CHROMIUM = os.environ.get("E2E_CHROMIUM") or next(
    (path for path in CHROMIUM_BUILDS if os.path.exists(path)), CHROMIUM_BUILDS[-1]
)
# Chromium features turned off. Chromium keeps only the last --disable-features it is
# given, so this repeats the list Playwright passes itself (playwright 1.65's
# chromiumSwitches: no network traffic at start-up, stable routing) and adds:
# - WebUIOmniboxPopup, WebUIOmniboxAimPopup: every browser context (one per test) opened
#   a window whose address-bar popup is a web page of its own, rendered in a renderer
#   process of its own (chrome://omnibox-popup.top-chrome/). Nobody types in a headless
#   address bar; it cost about 1 s of CPU per context, 40 % of Chromium's CPU in a walk
#   of 6 contexts and 54 page loads (27 s of CPU in a whole `make test`).
DISABLED_FEATURES = (
    # Playwright's own
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    # ours
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the item so the page fixture can see a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    message = (
        f"Browser journeys need Debian's chromium-headless-shell or chromium at {CHROMIUM} "
        "(apt-get install chromium-headless-shell chromium); it is missing."
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class _QuietHandler(WSGIRequestHandler):
    """Keep werkzeug's access log out of the test output."""

    def log_request(self, *args, **kwargs) -> None:
        return None


@dataclass
class LiveServer:
    """A running server: its base URL and the Flask app it serves."""

    app: Flask
    base: str
    server: BaseWSGIServer = field(repr=False)

    def url(self, path: str = "/") -> str:
        """Absolute URL of a path on this server."""
        return self.base + path


@pytest.fixture
def live_app(app: Flask) -> Flask:
    """A second app instance on the test database, with CSRF on like production."""
    overrides = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
    }
    return create_app("testing", overrides)


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    """Serve live_app on a free port of 127.0.0.1 for the length of one test."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    # serve_forever looks for shutdown() every poll_interval: at its default of 0.5 s, each
    # test's teardown waited a quarter of a second on average, the core idle.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield LiveServer(app=live_app, base=f"http://127.0.0.1:{server.server_port}", server=server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            from greenapp.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _playwright():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright):
    """One Debian chromium for the whole run."""
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser, live_server: LiveServer, request) -> Iterator:
    """A fresh context and page; fails the test if any alert() fires."""
    # A journey marked no_service_worker runs without the offline service worker: each
    # navigation then skips its fetch handler (about 15 % of a page load's time here),
    # for tests that only look at pages (the offline journeys keep it).
    workers = "block" if request.node.get_closest_marker("no_service_worker") else "allow"
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", service_workers=workers
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.alerts = []  # type: ignore[attr-defined]
    pg.console_messages = []  # type: ignore[attr-defined]

    def on_dialog(dialog) -> None:
        if dialog.type == "confirm":
            dialog.accept()
            return
        pg.alerts.append(f"{dialog.type}: {dialog.message}")  # type: ignore[attr-defined]
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on(
        "console",
        lambda msg: pg.console_messages.append(  # type: ignore[attr-defined]
            f"{msg.type}: {msg.text}"
        ),
    )
    yield pg
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the failure
            print(f"screenshot failed: {exc}")
    context.close()
    assert not pg.alerts, f"a dialog fired during the journey: {pg.alerts}"  # type: ignore[attr-defined]


@pytest.fixture
def sign_in(live_server: LiveServer) -> Callable:
    """Sign a user in through the real login form and wait for the landing page."""

    def do(pg, user, password: str = PASSWORD) -> None:
        pg.goto(live_server.url("/auth/login"))
        pg.fill("input[name=email]", user.email)
        pg.fill("input[name=password]", password)
        with pg.expect_navigation():
            pg.click("form.form button[type=submit]")
        assert "/auth/login" not in pg.url, f"sign-in failed for {user.email}: {pg.url}"

    return do
