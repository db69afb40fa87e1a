"""Front-end bytes: hashed immutable static URLs, gzip, compressed HTML, lazy charts."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import plotly

from tests.helpers import local_today
from tools import vendor_plotly

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
GZ = {"Accept-Encoding": "gzip, deflate, br"}


def _sha(raw: bytes) -> str:
    """The 12 hex digits a hashed static URL carries."""
    return hashlib.sha256(raw).hexdigest()[:12]


def _digest(rel: str) -> str:
    return _sha((STATIC / rel).read_bytes())


def _dashboard(client, factory, login) -> tuple[str, int]:
    school = factory.school(name="Lyceum 7", targets={"water": "1000"})
    coordinator = factory.user("coordinator", school=school)
    factory.log(
        coordinator, category="water", quantity="120", action_date=local_today() - timedelta(days=3)
    )
    login(coordinator)
    resp = client.get(f"/dashboards/school/{school.id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True), school.id


def test_static_url_names_the_content_and_is_kept_a_year(app, client):
    with app.test_request_context():
        url = app.jinja_env.globals["static_url"]("css/app.css")
    assert url == f"/static/css/app.{_digest('css/app.css')}.css"
    resp = client.get(url, headers=GZ)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(resp.data) == (STATIC / "css/app.css").read_bytes()
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == (STATIC / "css/app.css").read_bytes()


def test_links_and_file_urls_follow_the_mount_point_of_each_request(app, client):
    """Header links and static URLs are built once and kept (greenapp/main/templating.py,
    greenapp/assets.py): behind a proxy that mounts the app under a path, the same app
    serves both, and each page links within its own mount."""
    css = f"css/app.{_digest('css/app.css')}.css"
    for _ in range(2):  # the second round reads what the first one kept
        plain = client.get("/auth/login").get_data(as_text=True)
        mounted = client.get("/auth/login", environ_overrides={"SCRIPT_NAME": "/green"}).get_data(
            as_text=True
        )
        assert f'href="/static/{css}"' in plain and 'href="/auth/register"' in plain
        assert f'href="/green/static/{css}"' in mounted
        assert 'href="/green/auth/register"' in mounted
        assert 'href="/green/glossary/"' in mounted  # the header's navigation
        assert 'href="/auth/register"' not in mounted and 'href="/glossary/"' not in mounted
        assert 'href="/glossary/"' in plain


def test_a_cached_dashboard_links_within_the_mount_it_is_served_under(client, factory, login):
    """The school dashboard's content and the programme's parts are cached as HTML
    (greenapp/services/cache.py); the key carries the mount point, so a page cached for
    one mount is never served, with its links, under another."""
    page, school_id = _dashboard(client, factory, login)  # cached at the root
    assert f'href="/schools/{school_id}"' in page  # in the cached content
    for _ in range(2):  # the second round is served from the cache
        mounted = client.get(
            f"/dashboards/school/{school_id}", environ_overrides={"SCRIPT_NAME": "/green"}
        ).get_data(as_text=True)
        assert f'href="/green/schools/{school_id}"' in mounted
        assert f'action="/green/dashboards/school/{school_id}"' in mounted
        outside = re.findall(r'(?:href|src|action)="/(?!green/)[^"]*"', mounted)
        assert not outside, outside[:5]
    assert 'href="/green/' not in client.get(f"/dashboards/school/{school_id}").get_data(
        as_text=True
    )


def test_an_old_or_unhashed_url_still_works_but_is_revalidated(client):
    for url in ("/static/css/app.css", "/static/css/app.0123456789ab.css"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.data == (STATIC / "css/app.css").read_bytes()
        assert resp.headers["Cache-Control"] == "no-cache"
        again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304


def test_an_edited_file_gets_its_new_url_at_once_only_while_debugging(app, tmp_path):
    """Outside debug a template's static_url() is a dict lookup (files change only with
    a deploy, which restarts the app); under debug (`FLASK_DEBUG=1 make run`) an edited
    stylesheet gets its new URL on the next page, without a restart."""
    from greenapp.assets import Assets

    (tmp_path / "site.css").write_text("body{color:green}")
    served, debugging = Assets(str(tmp_path)), Assets(str(tmp_path), watch=True)
    with app.test_request_context():
        before = served.url("site.css"), debugging.url("site.css")
        assert before[0] == before[1] == f"/static/site.{_sha(b'body{color:green}')}.css"
        (tmp_path / "site.css").write_text("body{color:darkgreen}")
        assert served.url("site.css") == before[0]
        assert debugging.url("site.css") == f"/static/site.{_sha(b'body{color:darkgreen}')}.css"


def test_missing_and_escaping_paths_are_404(client):
    assert client.get("/static/css/nope.css").status_code == 404
    assert client.get("/static/css/nope.0123456789ab.css").status_code == 404
    assert client.get("/static/../greenapp/config.py").status_code == 404
    assert client.get("/static/%2e%2e/greenapp/config.py").status_code == 404


def test_templates_name_static_files_only_through_static_url():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "templates").rglob("*.html")
        if "url_for('static'" in p.read_text() or 'url_for("static"' in p.read_text()
    ]
    assert offenders == []


def test_dashboard_page_is_light_and_its_files_are_immutable(client, factory, login):
    html, _id = _dashboard(client, factory, login)
    refs = re.findall(r'(?:src|href|data-plotly)="(/static/[^"]+)"', html)
    assert len(refs) >= 4
    for ref in refs:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", ref), ref
        resp = client.get(ref, headers=GZ)
        assert resp.status_code == 200, ref
        assert "immutable" in resp.headers["Cache-Control"], ref
    # every script is deferred; plotly.js is not a script tag of the page at all,
    # charts.js fetches it when the first chart nears the viewport
    scripts = re.findall(r"<script [^>]*src=[^>]*>", html)
    assert scripts and all(" defer" in tag for tag in scripts), scripts
    assert not any("plotly" in tag.split("data-plotly")[0] for tag in scripts)
    plotly_url = re.search(r'data-plotly="([^"]+)"', html)[1]
    assert "vendor/plotly-basic.min." in plotly_url


def test_each_chart_box_reserves_its_figures_height(client, factory, login):
    html, _id = _dashboard(client, factory, login)
    cards = re.findall(r'<figure class="chart-card chart-h(\d+)" id="chart-([\w-]+)">', html)
    figures = dict(
        re.findall(r'<script type="application/json" id="fig-([\w-]+)">(.*?)</script>', html, re.S)
    )
    drawn = [(cid, int(h)) for h, cid in cards if cid in figures]
    assert len(drawn) >= 3
    css = (STATIC / "css" / "dashboards.css").read_text()
    for cid, box in drawn:
        height = json.loads(figures[cid])["layout"]["height"]
        assert height <= box < height + 40, cid
        assert f".chart-h{box} .chart {{ height: {box}px; }}" in css, cid
    # no style attribute: the CSP keeps 'unsafe-inline' for plotly's own styles only
    assert ' style="' not in html


def test_html_is_compressed_for_browsers_that_accept_it(client, factory, login):
    _first, school_id = _dashboard(client, factory, login)
    html = client.get(f"/dashboards/school/{school_id}").get_data(as_text=True)
    resp = client.get(f"/dashboards/school/{school_id}", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    assert len(resp.data) < len(html.encode()) / 3
    # the same page, but for the CSRF token (signed with the time: it differs across a second)
    unsigned = re.compile(r'(csrf[^>]*?(?:value|content)=")[^"]*')
    assert unsigned.sub(r"\1", gzip.decompress(resp.data).decode()) == unsigned.sub(r"\1", html)


def test_csv_download_is_intact_with_compression_offered(client, factory, login):
    _html, school_id = _dashboard(client, factory, login)
    plain = client.get(f"/dashboards/school/{school_id}/targets.csv")
    resp = client.get(
        f"/dashboards/school/{school_id}/targets.csv", headers={"Accept-Encoding": "gzip"}
    )
    assert resp.status_code == 200
    body = (
        gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
    )
    assert plain.status_code == 200 and body == plain.data
    assert "attachment" in resp.headers["Content-Disposition"]
    assert body.decode("utf-8-sig").splitlines()[0].count(",") >= 2


def test_vendored_plotly_is_the_recorded_bundle_at_the_python_packages_version():
    assert vendor_plotly.check() is None
    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert f"plotly.js v{vendor_plotly.VERSION}\n".encode() in bundled[:200], (
        "the Python plotly package now bundles another plotly.js: re-vendor "
        "(python tools/vendor_plotly.py fetch)"
    )
    size = (STATIC / "vendor" / "plotly-basic.min.js").stat().st_size
    assert size < 1_300_000  # the basic bundle, not the 4.7 MB full one


def test_charts_send_nothing_to_plotly_and_show_no_logo():
    """The "Share chart" button handed the figure to Plotly's cloud: gone, with no server
    URL to send to and no logo link; the toolbar is a fixed list without it."""
    js = (STATIC / "js" / "charts.js").read_text()
    assert "showSendToCloud: false" in js
    assert 'plotlyServerURL: ""' in js
    assert "displaylogo: false" in js
    toolbar = re.search(r"modeBarButtons: \[\[([^\]]*)\]\]", js)
    assert toolbar, "charts.js names the toolbar's buttons"
    buttons = re.findall(r'"(\w+)"', toolbar[1])
    assert buttons == ["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d", "resetScale2d"]
    # and the page may not post or fetch anywhere else
    from greenapp.ops.headers import CSP

    directives = dict(d.split(" ", 1) for d in CSP.split("; "))
    assert directives["connect-src"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "plotly" not in CSP


def _chart_locale(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="chart-locale">(.*?)</script>', html)
    assert block, "the dashboard gives charts.js Plotly's texts in the page's language"
    return json.loads(block[1])


def test_chart_toolbar_texts_and_separators_follow_the_page_language(client, factory, login):
    from greenapp.services.charts import PLOTLY_TEXTS

    html, school_id = _dashboard(client, factory, login)
    english = _chart_locale(html)
    assert english["locale"] == "en"
    assert english["dictionary"]["Zoom in"] == "Zoom in"
    assert english["format"] == {"decimal": ".", "thousands": ","}
    for lang, zoom_in in (("kk", "Үлкейту"), ("ru", "Увеличить"), ("be", "Павялічыць")):
        client.post("/language", data={"language": lang, "next": "/"})
        html = client.get(f"/dashboards/school/{school_id}").get_data(as_text=True)
        loc = _chart_locale(html)
        assert loc["locale"] == lang
        assert set(loc["dictionary"]) == set(PLOTLY_TEXTS)
        assert loc["dictionary"]["Zoom in"] == zoom_in
        assert not any(re.search(r"[A-Za-z]", text) for text in loc["dictionary"].values())
        # the tables' separators ("1 234,5", a no-break space), on the axes and in hovers
        assert loc["format"] == {"decimal": ",", "thousands": "\u00a0"}
        figures = re.findall(
            r'<script type="application/json" id="fig-[\w-]+">(.*?)</script>', html
        )
        for fig in map(json.loads, figures):
            assert fig["layout"]["separators"] == ",\u00a0"
            value_axes = [
                a for a in (fig["layout"]["xaxis"], fig["layout"]["yaxis"]) if "rangemode" in a
            ]
            assert value_axes and all(a["exponentformat"] == "none" for a in value_axes)
