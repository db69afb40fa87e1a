"""User text in Plotly figures is shown as text; signed-in pages are never stored."""

from __future__ import annotations

import json
import re

from greenapp.services.charts import figure, label
from tests.helpers import signed_in_client

LINK = '<a href="https://evil.example">win</a>'


def test_every_string_in_a_figure_is_escaped_in_one_place(app):
    fig = figure(
        [{"type": "bar", "name": LINK, "x": [LINK, 1], "y": [2, 3], "text": ["<b>x</b>"]}],
        y_title="<i>kg</i>",
        x_title="&",
    )
    trace = fig["data"][0]
    assert trace["name"] == label(LINK) and "<a" not in trace["name"]
    assert trace["x"] == ["&lt;a href=&quot;https://evil.example&quot;&gt;win&lt;/a&gt;", 1]
    assert trace["text"] == ["&lt;b&gt;x&lt;/b&gt;"]
    assert fig["layout"]["yaxis"]["title"]["text"] == "&lt;i&gt;kg&lt;/i&gt;"
    assert fig["layout"]["xaxis"]["title"]["text"] == "&amp;"


def test_a_school_named_like_a_link_is_text_in_the_staff_ranking(app, factory, db):
    school = factory.school(name=LINK)
    factory.log(factory.user("coordinator", school=school), quantity="50")
    client = signed_in_client(app, factory.user("admin"))
    page = client.get("/dashboards/programme").get_data(as_text=True)
    blocks = re.findall(
        r'<script type="application/json" id="fig-[^"]+">(.*?)</script>', page, re.S
    )
    figures = [json.loads(b) for b in blocks]
    ticks = [y for f in figures for t in f["data"] for y in t.get("y", []) if isinstance(y, str)]
    assert label(LINK) in ticks
    assert not any("<a " in json.dumps(f["data"]) for f in figures)
    csv = client.get("/dashboards/programme/ranking.csv").get_data(as_text=True)
    assert '"<a href=""https://evil.example"">win</a>"' in csv  # the real name, as text


def test_signed_in_pages_send_no_store_and_anonymous_public_pages_do_not(app, factory, db):
    client = signed_in_client(app, factory.user("resident"))
    for path in ("/community/", "/logs/", "/logs/export.csv", "/community/challenges"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    anonymous = app.test_client()
    assert anonymous.get("/community/challenges").headers.get("Cache-Control") != "no-store"
