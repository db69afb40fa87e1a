"""Scientists' guides and tips: Markdown rendered to sanitised HTML, per language."""

from __future__ import annotations

from dataclasses import dataclass, field

import nh3
from flask_babel import lazy_gettext as _l
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import Select, or_, select

from greenapp.extensions import db
from greenapp.models.experts import GUIDE_BODY_MAX, GUIDE_KINDS, GUIDE_TITLE_MAX, KIND_TIP, Guide
from greenapp.models.user import User
from greenapp.permissions import GUIDE_AUTHORS
from greenapp.services import audit
from greenapp.services.errors import PermissionDenied, ValidationFailed
from greenapp.services.units import CATEGORIES

LANGUAGES = ("kk", "ru", "be", "en")
AUTHORS = GUIDE_AUTHORS  # kept for callers; defined in permissions.py
BODY_MAX = GUIDE_BODY_MAX
AUDITED = ("kind", "category", "title", "body", "languages")
ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# Raw HTML in the Markdown is escaped; nh3 then removes anything not on the list
# (scripts, on* handlers, javascript: links).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def kind_labels() -> dict:
    """Translated names of the kinds."""
    return {"guide": _l("Guide"), "tip": _l("Tip")}


def render(markdown_text: str) -> Markup:
    """Markdown -> HTML that cannot run script."""
    html = _md.render(markdown_text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # Markup: sanitised by nh3 just above.
    return Markup(clean)  # noqa: S704  # nosec B704


@dataclass
class GuideInput:
    """What a scientist typed."""

    kind: str
    category: str
    title: str
    body: str
    languages: list[str] = field(default_factory=list)


def _validate(data: GuideInput) -> dict:
    if data.kind not in GUIDE_KINDS:
        raise ValidationFailed(_l("Choose guide or tip."), "kind")
    if data.category not in CATEGORIES:
        raise ValidationFailed(_l("Choose a category."), "category")
    title = (data.title or "").strip()
    if not title:
        raise ValidationFailed(_l("Give it a title."), "title")
    if len(title) > GUIDE_TITLE_MAX:
        raise ValidationFailed(_l("The title is too long (160 characters at most)."), "title")
    body = (data.body or "").strip()
    if not body:
        raise ValidationFailed(_l("Write the text."), "body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_l("The text is too long."), "body")
    langs = [code for code in LANGUAGES if code in (data.languages or [])]
    if len(langs) != len(set(data.languages or [])):
        raise ValidationFailed(_l("Choose languages from the list."), "languages")
    return {
        "kind": data.kind,
        "category": data.category,
        "title": title,
        "body": body,
        "languages": ",".join(langs),
    }


def save(actor: User, data: GuideInput, guide: Guide | None = None) -> Guide:
    """Create or edit a guide (audited)."""
    if actor.role not in AUTHORS:
        raise PermissionDenied(_l("Only scientists write guides and tips."))
    values = _validate(data)
    if guide is None:
        guide = Guide(author_id=actor.id, **values)
        db.session.add(guide)
        db.session.flush()
        audit.record(
            "guide", guide.id, "create", actor, audit.diff({}, audit.snapshot(guide, AUDITED))
        )
        return guide
    before = audit.snapshot(guide, AUDITED)
    for name, value in values.items():
        setattr(guide, name, value)
    changes = audit.diff(before, audit.snapshot(guide, AUDITED))
    if changes:
        audit.record("guide", guide.id, "update", actor, changes)
    return guide


def _in_language(stmt: Select, lang: str | None) -> Select:
    if lang is None:
        return stmt.where(Guide.languages != "")
    return stmt.where(Guide.languages.contains(lang))


def published(
    lang: str | None = None, category: str | None = None, kind: str | None = None
) -> list[Guide]:
    """Published guides (in a language, if given), by category then title."""
    stmt = _in_language(select(Guide), lang)
    if category:
        stmt = stmt.where(Guide.category == category)
    if kind:
        stmt = stmt.where(Guide.kind == kind)
    return list(db.session.scalars(stmt.order_by(Guide.category, Guide.title)))


def published_for(lang: str) -> list[Guide]:
    """Guides published in the reader's language, or in English as a fallback."""
    stmt = select(Guide).where(or_(Guide.languages.contains(lang), Guide.languages.contains("en")))
    return list(db.session.scalars(stmt.order_by(Guide.category, Guide.title)))


def all_guides() -> list[Guide]:
    """Every guide including drafts (for scientists)."""
    return list(db.session.scalars(select(Guide).order_by(Guide.category, Guide.title)))


def is_visible(guide: Guide, user: User | None) -> bool:
    """Published guides are public; drafts only for their authors' roles."""
    from greenapp.permissions import can_view

    return can_view(guide, user) if user is not None else bool(guide.languages)


def tips_for(categories: list[str], lang: str, limit: int = 5) -> list[Guide]:
    """Tips for the categories someone logs, in their language; English only where
    their language has no tip for that category yet."""
    if not categories:
        return []

    def query(langs: str, cats: list[str]) -> list[Guide]:
        stmt = (
            select(Guide)
            .where(
                Guide.kind == KIND_TIP, Guide.category.in_(cats), Guide.languages.contains(langs)
            )
            .order_by(Guide.updated_at.desc())
            .limit(limit)
        )
        return list(db.session.scalars(stmt))

    own = query(lang, categories)
    missing = [c for c in categories if c not in {g.category for g in own}]
    if lang == "en" or not missing:
        return own
    return (own + query("en", missing))[:limit]
