"""Guides and tips link their glossary terms to the glossary.

Longest term first, per language, inflected forms through the short stem list in
glossary_text (Kazakh, Russian and Belarusian case endings), never inside a link or
code, and each concept only at its first mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import func, select

from greenapp.extensions import db
from greenapp.models.experts import Guide
from greenapp.models.glossary import LANGS, GlossaryConcept, GlossaryTerm
from greenapp.services.cache import local_memory
from greenapp.services.glossary_text import MIN_STEM, stem

TAG_RE = re.compile(r"(<[^>]*>)")
SKIP_TAGS = {"a", "code", "pre"}
MAX_SUFFIX = 7


@dataclass(frozen=True)
class TermPattern:
    """A compiled pattern for one term and the concept it points to."""

    concept_id: int
    lang: str
    length: int
    regex: re.Pattern


def term_regex(text: str, lang: str) -> str:
    """The pattern source of a term: each long word as stem + a short ending."""
    parts = []
    for word in text.split():
        if lang in ("kk", "ru", "be") and len(word) > MIN_STEM:
            parts.append(re.escape(stem(word, lang)) + rf"\w{{0,{MAX_SUFFIX}}}")
        elif lang == "en":
            parts.append(re.escape(word) + r"(?:s|es)?")
        else:
            parts.append(re.escape(word))
    return r"(?<!\w)" + r"[\s\u00a0]+".join(parts) + r"(?!\w)"


def _version() -> tuple:
    row = db.session.execute(
        select(
            func.count(GlossaryTerm.id),
            func.max(GlossaryTerm.id),
            func.max(GlossaryConcept.updated_at),
        )
        .select_from(GlossaryTerm)
        .join(GlossaryConcept)
    ).one()
    return tuple(str(v) for v in row)


def patterns() -> dict[str, tuple[list[TermPattern], re.Pattern | None]]:
    """Per language: the term patterns (longest first) and one combined pattern."""
    cache = local_memory("glossary-links")
    version = _version()
    if cache.get("version") == version:
        return cache["patterns"]
    rows = db.session.execute(
        select(GlossaryTerm.concept_id, GlossaryTerm.lang, GlossaryTerm.text)
    ).all()
    result: dict[str, tuple[list[TermPattern], re.Pattern | None]] = {}
    for lang in LANGS:
        items = sorted(
            ((cid, text) for cid, lng, text in rows if lng == lang), key=lambda r: -len(r[1])
        )
        pats = [
            TermPattern(cid, lang, len(text), re.compile(term_regex(text, lang), re.IGNORECASE))
            for cid, text in items
        ]
        combined = (
            re.compile("|".join(f"(?:{p.regex.pattern})" for p in pats), re.IGNORECASE)
            if pats
            else None
        )
        result[lang] = (pats, combined)
    cache["version"], cache["patterns"] = version, result
    return result


def _concept_of(match: str, pats: list[TermPattern]) -> int | None:
    for p in pats:
        if p.regex.fullmatch(match):
            return p.concept_id
    return None


def link_html(html: str, langs: list[str] | None = None, exclude: int | None = None) -> Markup:
    """Sanitised HTML with the first mention of each glossary term linked."""
    table = patterns()
    chosen = [lang for lang in (langs or LANGS) if lang in table] or list(LANGS)
    seen: set[int] = set() if exclude is None else {exclude}
    out, skip_depth = [], 0
    for piece in TAG_RE.split(str(html)):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in SKIP_TAGS:
                skip_depth += -1 if piece.startswith("</") else 1
                skip_depth = max(skip_depth, 0)
            out.append(piece)
            continue
        if skip_depth or not piece.strip():
            out.append(piece)
            continue
        for lang in chosen:
            pats, combined = table[lang]
            if combined is None:
                continue
            piece = _link_text(piece, pats, combined, seen)
        out.append(piece)
    # The input was sanitised by nh3; only our own <a> tags were added.
    return Markup("".join(out))  # noqa: S704  # nosec B704


def _link_text(text: str, pats: list[TermPattern], combined: re.Pattern, seen: set[int]) -> str:
    # Text already linked in this segment is cut out so it is not linked twice.
    parts = re.split(r"(<a class=\"gloss\"[^>]*>.*?</a>)", text)
    for i, part in enumerate(parts):
        if part.startswith('<a class="gloss"'):
            continue

        def repl(m: re.Match) -> str:
            cid = _concept_of(m.group(0), pats)
            if cid is None or cid in seen:
                return m.group(0)
            seen.add(cid)
            href = url_for("glossary.concept", concept_id=cid)
            return f'<a class="gloss" href="{escape(href)}" title="glossary">{m.group(0)}</a>'

        parts[i] = combined.sub(repl, part)
    return "".join(parts)


def guides_using(concept: GlossaryConcept) -> list[Guide]:
    """Published guides whose text mentions one of the concept's terms."""
    pats = [re.compile(term_regex(t.text, t.lang), re.IGNORECASE) for t in concept.terms]
    if not pats:
        return []
    guides = db.session.scalars(select(Guide).where(Guide.languages != "").order_by(Guide.title))
    return [g for g in guides if any(p.search(g.body) for p in pats)]
