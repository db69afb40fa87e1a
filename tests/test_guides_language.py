"""Tips reach residents in their own language; English fills only the gaps."""

from greenapp.services import guides


def _tip(scientist, category, lang, title):
    guides.save(
        scientist,
        guides.GuideInput(
            kind="tip", category=category, title=title, body="text", languages=[lang]
        ),
    )


def test_own_language_first_english_only_for_missing_categories(factory, db):
    scientist = factory.user("scientist")
    _tip(scientist, "water", "en", "Read your meter")
    _tip(scientist, "water", "kk", "Есептегішті тексеріңіз")
    _tip(scientist, "waste", "en", "Weigh each bag")
    db.session.commit()
    titles = [g.title for g in guides.tips_for(["water", "waste"], "kk")]
    assert "Есептегішті тексеріңіз" in titles
    assert "Read your meter" not in titles  # Kazakh covers water already
    assert "Weigh each bag" in titles  # no Kazakh waste tip yet: English fills the gap
    english = [g.title for g in guides.tips_for(["water"], "en")]
    assert english == ["Read your meter"]


def test_drafts_are_never_suggested(factory, db):
    scientist = factory.user("scientist")
    guides.save(
        scientist,
        guides.GuideInput(kind="tip", category="water", title="Draft", body="text", languages=[]),
    )
    db.session.commit()
    assert guides.tips_for(["water"], "kk") == []
