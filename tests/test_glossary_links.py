"""Guides link their glossary terms; a term's page lists the guides that use it."""

from greenapp.models.experts import Guide
from greenapp.services import glossary as svc
from greenapp.services.glossary_links import link_html
from tests.glossary_helpers import load_small


def _guide(db, author, body, languages="kk"):
    g = Guide(
        kind="guide",
        category="waste",
        title="Сұрыптау туралы",
        body=body,
        languages=languages,
        author_id=author.id,
    )
    db.session.add(g)
    db.session.commit()
    return g


def test_guide_mentioning_suryptau_links_to_the_concept(client, db, factory):
    load_small(db)
    author = factory.user(role="scientist")
    g = _guide(db, author, "Мектепте қалдықтарды **сұрыптауды** бастаңыз. Су да маңызды.")
    concept = svc.by_key("waste-sorting")
    page = client.get(f"/experts/guides/{g.id}").get_data(as_text=True)
    assert f'href="/glossary/c/{concept.id}"' in page
    water = svc.by_key("water")
    assert f'href="/glossary/c/{water.id}"' in page
    # The concept page lists the guide.
    cpage = client.get(f"/glossary/c/{concept.id}").get_data(as_text=True)
    assert f"/experts/guides/{g.id}" in cpage


def test_longest_match_first_and_once(app, db, factory):
    load_small(db)
    html = "<p>Қалдықтарды сұрыптау және тағы сұрыптау.</p>"
    with app.test_request_context("/"):
        out = str(link_html(html, ["kk"]))
    assert out.count('class="gloss"') == 1
    assert ">Қалдықтарды сұрыптау</a>" in out  # the two-word term, not only its tail


def test_never_inside_links_or_code(app, db, factory):
    load_small(db)
    html = (
        '<p><a href="https://example.org">сортировка</a> <code>сортировка</code></p>'
        "<pre>сортировка</pre><p>сортировки отходов</p>"
    )
    with app.test_request_context("/"):
        out = str(link_html(html, ["ru"]))
    assert '<a href="https://example.org">сортировка</a>' in out
    assert "<code>сортировка</code>" in out and "<pre>сортировка</pre>" in out
    assert ">сортировки отходов</a>" in out  # an inflected form, outside links


def test_guide_text_stays_escaped(client, db, factory):
    load_small(db)
    author = factory.user(role="scientist")
    g = _guide(db, author, "<script>alert(1)</script> вода", languages="ru")
    page = client.get(f"/experts/guides/{g.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert 'class="gloss"' in page
