"""The eco glossary: loading, editing, reviewing, searching and listing concepts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from greenapp.extensions import db
from greenapp.models.glossary import (
    APPROVED,
    CONCEPT_STATUSES,
    DEFAULT_SCRIPT,
    DRAFT,
    LANGS,
    POS,
    PROPOSED,
    REVIEW_COUNTRIES,
    SCRIPTS_OF,
    SUBJECTS,
    USAGE,
    GlossaryApproval,
    GlossaryComment,
    GlossaryConcept,
    GlossaryDefinition,
    GlossaryTerm,
)
from greenapp.models.user import ADMIN, User
from greenapp.permissions import GLOSSARY_EDITORS, GLOSSARY_REVIEWERS
from greenapp.services import audit, locking
from greenapp.services.errors import Conflict, PermissionDenied, ValidationFailed
from greenapp.services.glossary_text import first_letter, fold, sort_key

ENTITY = "glossary_concept"
EDITORS = GLOSSARY_EDITORS  # role groups are defined in permissions.py
REVIEWERS = GLOSSARY_REVIEWERS
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
COMMENT_MAX = 4000


def subject_labels() -> dict:
    """Translated names of the subject fields."""
    return {
        "water": _l("Water"),
        "energy": _l("Energy"),
        "waste": _l("Waste"),
        "biodiversity": _l("Biodiversity"),
        "air": _l("Air"),
        "climate": _l("Climate"),
        "law": _l("Law"),
        "economics": _l("Economics"),
        "education": _l("Education"),
    }


def usage_labels() -> dict:
    """Translated names of the usage statuses of a term."""
    return {
        "preferred": _l("preferred"),
        "admitted": _l("admitted"),
        "deprecated": _l("deprecated"),
        "proposed": _l("proposed"),
    }


def status_labels() -> dict:
    """Translated names of a concept's review status."""
    return {
        DRAFT: _l("draft, not reviewed"),
        PROPOSED: _l("proposed, waiting for review"),
        APPROVED: _l("approved by both sides"),
    }


def pos_labels() -> dict:
    """Translated names of the parts of speech."""
    return {
        "noun": _l("noun"),
        "verb": _l("verb"),
        "adjective": _l("adjective"),
        "adverb": _l("adverb"),
        "phrase": _l("phrase"),
        "other": _l("other"),
    }


def language_labels() -> dict:
    """The glossary's languages, each named in itself."""
    return {"kk": "Қазақша", "ru": "Русский", "be": "Беларуская", "en": "English"}


# ---- Plain data in and out (data file, CSV, TBX, forms) ---------------------------


@dataclass
class TermData:
    """One term as read from a file or a form."""

    lang: str
    text: str
    script: str = ""
    pos: str = "noun"
    status: str = "proposed"
    context: str = ""
    context_source: str = ""
    note: str = ""


@dataclass
class DefinitionData:
    """One definition as read from a file or a form."""

    lang: str
    text: str
    source_title: str = ""
    source_ref: str = ""
    source_url: str = ""


@dataclass
class ConceptData:
    """A whole concept as read from a file or a form."""

    key: str
    subject: str
    status: str = DRAFT
    note: str = ""
    terms: list[TermData] = field(default_factory=list)
    definitions: list[DefinitionData] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


def validate(item: ConceptData) -> list[tuple[str, str]]:
    """Problems of one concept as (field, message); empty when it may be stored."""
    errors: list[tuple[str, str]] = []
    if not KEY_RE.match(item.key or ""):
        errors.append(("key", str(_l("The identifier may hold only a-z, 0-9 and '-'."))))
    if item.subject not in SUBJECTS:
        errors.append(("subject", str(_l("Unknown subject field: %(value)s", value=item.subject))))
    if item.status not in CONCEPT_STATUSES:
        errors.append(("status", str(_l("Unknown status: %(value)s", value=item.status))))
    if not item.terms:
        errors.append(("term", str(_l("A concept needs at least one term."))))
    for t in item.terms:
        if t.lang not in LANGS:
            errors.append(("lang", str(_l("Unknown language: %(value)s", value=t.lang))))
            continue
        if not t.text.strip():
            errors.append(("term", str(_l("A term may not be empty."))))
        elif len(t.text) > 200:
            errors.append(("term", str(_l("A term is at most 200 characters long."))))
        if t.script and t.script not in SCRIPTS_OF[t.lang]:
            errors.append(("script", str(_l("Unknown script: %(value)s", value=t.script))))
        if t.status not in USAGE:
            errors.append(
                ("usage_status", str(_l("Unknown usage status: %(value)s", value=t.status)))
            )
        if t.pos not in POS:
            errors.append(("pos", str(_l("Unknown part of speech: %(value)s", value=t.pos))))
    seen = set()
    for d in item.definitions:
        if d.lang not in LANGS:
            errors.append(("lang", str(_l("Unknown language: %(value)s", value=d.lang))))
        elif d.lang in seen:
            errors.append(("definition", str(_l("Two definitions in one language."))))
        seen.add(d.lang)
        if d.source_url and not d.source_url.startswith(("https://", "http://")):
            errors.append(("source_url", str(_l("A link starts with https:// or http://."))))
    return errors


def _snapshot(c: GlossaryConcept) -> dict[str, Any]:
    return {
        "subject": c.subject,
        "status": c.status,
        "note": c.note,
        "terms": sorted(
            f"{t.lang}|{t.script}|{t.text}|{t.pos}|{t.status}|{t.context}|"
            f"{t.context_source}|{t.note}"
            for t in c.terms
        ),
        "definitions": sorted(
            f"{d.lang}|{d.text}|{d.source_title}|{d.source_ref}|{d.source_url}"
            for d in c.definitions
        ),
        "related": sorted(r.key for r in c.related),
    }


def _snapshot_item(item: ConceptData, related: list[str]) -> dict[str, Any]:
    terms = [_term(t) for t in item.terms]
    defs = [_definition(d) for d in item.definitions if d.text.strip()]
    return {
        "subject": item.subject,
        "note": item.note.strip(),
        "terms": sorted(
            f"{t.lang}|{t.script}|{t.text}|{t.pos}|{t.status}|{t.context}|"
            f"{t.context_source}|{t.note}"
            for t in terms
        ),
        "definitions": sorted(
            f"{d.lang}|{d.text}|{d.source_title}|{d.source_ref}|{d.source_url}" for d in defs
        ),
        "related": related,
    }


def _term(t: TermData) -> GlossaryTerm:
    text = " ".join(t.text.split())
    return GlossaryTerm(
        lang=t.lang,
        script=t.script or DEFAULT_SCRIPT[t.lang],
        text=text,
        pos=t.pos,
        status=t.status,
        context=t.context.strip(),
        context_source=t.context_source.strip(),
        note=t.note.strip(),
        sort_key=sort_key(text, t.lang),
        search_key=fold(text, t.lang),
    )


def _definition(d: DefinitionData) -> GlossaryDefinition:
    return GlossaryDefinition(
        lang=d.lang,
        text=d.text.strip(),
        source_title=d.source_title.strip(),
        source_ref=d.source_ref.strip(),
        source_url=d.source_url.strip(),
    )


def _fill(c: GlossaryConcept, item: ConceptData) -> None:
    c.subject, c.note = item.subject, item.note.strip()
    c.terms = [_term(t) for t in item.terms]
    c.definitions = [_definition(d) for d in item.definitions if d.text.strip()]


def _changed(actor: User | None, c: GlossaryConcept, before: dict[str, Any]) -> bool:
    """Audit an edit; an edited approved concept goes back to review."""
    changes = audit.diff(before, _snapshot(c))
    if not changes:
        return False
    if c.status == APPROVED:
        c.status = PROPOSED
        c.approvals.clear()
        changes["status"] = [APPROVED, PROPOSED]
    audit.record(ENTITY, c.id, "update", actor, changes)
    return True


@dataclass
class ImportResult:
    """What a load or import did (or would do, on a dry run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # row, column, message

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.errors


def apply(
    items: list[ConceptData],
    actor: User | None,
    dry_run: bool = False,
    rows: list[int] | None = None,
    read_errors: list[tuple[int, str, str]] | None = None,
) -> ImportResult:
    """Create or update concepts by key, all or nothing; audited.

    Import never approves: a concept marked approved elsewhere comes in as proposed,
    because approval means review by both sides in this glossary.
    """
    result = ImportResult(errors=list(read_errors or []))
    for i, item in enumerate(items):
        for column, message in validate(item):
            result.errors.append(((rows or [])[i] if rows else i + 1, column, message))
    keys = [item.key for item in items]
    dupes = {k for k in keys if keys.count(k) > 1}
    for i, item in enumerate(items):
        if item.key in dupes:
            result.errors.append(
                (
                    (rows or [])[i] if rows else i + 1,
                    "key",
                    str(_l("The identifier %(value)s appears twice.", value=item.key)),
                )
            )
            dupes.discard(item.key)
    if result.errors:
        result.errors.sort(key=lambda e: e[0])
        return result
    existing = {
        c.key: c
        for c in db.session.scalars(
            select(GlossaryConcept)
            .where(GlossaryConcept.key.in_(keys))
            .options(
                selectinload(GlossaryConcept.terms),
                selectinload(GlossaryConcept.definitions),
                selectinload(GlossaryConcept.related),
            )
        )
    }
    touched: dict[str, GlossaryConcept] = {}
    for item in items:
        c = existing.get(item.key)
        if c is None:
            c = GlossaryConcept(
                key=item.key,
                status=item.status if item.status != APPROVED else PROPOSED,
                created_by_id=actor.id if actor else None,
            )
            _fill(c, item)
            db.session.add(c)
            db.session.flush()
            audit.record(ENTITY, c.id, "create", actor, audit.diff({}, _snapshot(c)))
            result.created += 1
        else:
            before = _snapshot(c)
            wanted = {**before, **_snapshot_item(item, before["related"])}
            if wanted == before:
                result.unchanged += 1
            else:
                _fill(c, item)
                db.session.flush()
                _changed(actor, c, before)
                result.updated += 1
        touched[item.key] = c
    # Related concepts may point to concepts later in the same file.
    related_keys = {k for item in items for k in item.related}
    known = (
        {
            c.key: c
            for c in db.session.scalars(
                select(GlossaryConcept).where(GlossaryConcept.key.in_(related_keys))
            )
        }
        if related_keys
        else {}
    )
    for item in items:
        c = touched[item.key]
        new_related = [known[k] for k in item.related if k in known and k != item.key]
        if sorted(r.key for r in c.related) != sorted(r.key for r in new_related):
            old_related = sorted(r.key for r in c.related)
            c.related = new_related
            audit.record(
                ENTITY,
                c.id,
                "update",
                actor,
                {"related": [old_related, sorted(r.key for r in new_related)]},
            )
    if dry_run:
        db.session.rollback()
    else:
        db.session.flush()
    return result


def load_concepts() -> list[GlossaryConcept]:
    """Every concept with its terms and definitions (for exports)."""
    stmt = select(GlossaryConcept).order_by(GlossaryConcept.subject, GlossaryConcept.key)
    stmt = stmt.options(
        selectinload(GlossaryConcept.terms),
        selectinload(GlossaryConcept.definitions),
        selectinload(GlossaryConcept.related),
    )
    return list(db.session.scalars(stmt))


def to_data(c: GlossaryConcept) -> ConceptData:
    """A stored concept as plain data (what an export writes)."""
    return ConceptData(
        key=c.key,
        subject=c.subject,
        status=c.status,
        note=c.note,
        terms=[
            TermData(t.lang, t.text, t.script, t.pos, t.status, t.context, t.context_source, t.note)
            for t in c.terms
        ],
        definitions=[
            DefinitionData(d.lang, d.text, d.source_title, d.source_ref, d.source_url)
            for d in c.definitions
        ],
        related=sorted(r.key for r in c.related),
    )


# ---- Editing from the pages ---------------------------------------------------------


def _slug(text: str) -> str:
    s = fold(text, "en").replace(" ", "-")
    return re.sub(r"[^a-z0-9-]", "", s)[:60].strip("-") or "concept"


def _free_key(base: str) -> str:
    key, n = base, 1
    while db.session.scalar(select(GlossaryConcept.id).where(GlossaryConcept.key == key)):
        n += 1
        key = f"{base}-{n}"
    return key


def propose(
    actor: User, item: ConceptData, others: dict[str, list[str]] | None = None
) -> GlossaryConcept:
    """A scientist proposes a new concept (status: proposed)."""
    if actor.role not in EDITORS:
        raise PermissionDenied(_l("Only scientists propose glossary concepts."))
    if not any(t.text.strip() for t in item.terms):
        raise ValidationFailed(_l("Give the concept at least one term."), "term_en")
    heads = {t.lang: t.text for t in item.terms}
    item.key = _free_key(_slug(heads.get("en") or next(iter(heads.values()))))
    item.status = PROPOSED
    heads = {t.lang: t.text for t in item.terms}
    for lang, texts in (others or {}).items():
        if lang not in heads:
            continue
        seen = {heads[lang]}
        for text in (" ".join(x.split()) for x in texts if x.strip()):
            if text not in seen:
                seen.add(text)
                item.terms.append(TermData(lang=lang, text=text))
    _check(item)
    c = GlossaryConcept(key=item.key, status=PROPOSED, created_by_id=actor.id)
    _fill(c, item)
    db.session.add(c)
    db.session.flush()
    audit.record(ENTITY, c.id, "create", actor, audit.diff({}, _snapshot(c)))
    return c


def _check(item: ConceptData) -> None:
    problems = validate(item)
    if problems:
        column, message = problems[0]
        raise ValidationFailed(message, column)


def edit(
    actor: User, c: GlossaryConcept, item: ConceptData, others: dict[str, list[str]] | None = None
) -> bool:
    """Edit a concept's head terms, other terms and definitions. Audited.

    `others` lists, per language, the texts of the terms after the head term: a text
    already there keeps its status, context and note; a new one comes in as proposed;
    one no longer listed is removed. A language missing from `others` is left alone.
    """
    if actor.role not in EDITORS:
        raise PermissionDenied(_l("Only scientists edit glossary concepts."))
    item.key, item.status = c.key, c.status
    _check(item)
    before = _snapshot(c)
    c.subject, c.note = item.subject, item.note.strip()
    for t in item.terms:
        current = c.terms_in(t.lang)
        if current:
            head, new = current[0], _term(t)
            # The form edits text, status and part of speech; context and note stay.
            for name in ("text", "pos", "status", "sort_key", "search_key"):
                setattr(head, name, getattr(new, name))
        elif t.text.strip():
            c.terms.append(_term(t))
    for lang, texts in (others or {}).items():
        current = c.terms_in(lang)
        if not current:
            continue
        head, rest = current[0], current[1:]
        wanted = [" ".join(x.split()) for x in texts if x.strip()]
        wanted = [x for i, x in enumerate(wanted) if x not in wanted[:i] and x != head.text]
        for term in rest:
            if term.text not in wanted:
                c.terms.remove(term)
        kept = {t.text for t in rest}
        for text in wanted:
            if text not in kept:
                c.terms.append(_term(TermData(lang=lang, text=text, pos=head.pos)))
    problems = validate(to_data(c))
    if problems:
        raise ValidationFailed(problems[0][1], problems[0][0])
    for d in item.definitions:
        old = c.definition_in(d.lang)
        if not d.text.strip():
            if old is not None:
                c.definitions.remove(old)
            continue
        new_def = _definition(d)
        if old is None:
            c.definitions.append(new_def)
        else:
            for name in ("text", "source_title", "source_ref", "source_url"):
                setattr(old, name, getattr(new_def, name))
    db.session.flush()
    return _changed(actor, c, before)


def reviewer_country(user: User) -> str | None:
    """The side a user reviews for: their own setting, else their school's country."""
    if getattr(user, "country", None):
        return user.country
    school = getattr(user, "school", None)
    return school.country if school is not None else None


def approve(actor: User, c: GlossaryConcept) -> str:
    """Record a scientist's approval; approved once both KZ and BY have approved."""
    if actor.role not in REVIEWERS:
        raise PermissionDenied(_l("Only scientists review glossary concepts."))
    country = reviewer_country(actor)
    if country not in REVIEW_COUNTRIES:
        raise ValidationFailed(
            _l(
                "Your profile has no country (Kazakhstan or Belarus) "
                "yet; ask university staff to set it."
            )
        )
    # The page may be older than the other country's approval (two scientists at once):
    # lock and re-read the concept and its approvals before counting them.
    locking.lock(c)
    if any(a.user_id == actor.id for a in c.approvals):
        raise Conflict(_l("You have already approved this concept."))
    c.approvals.append(GlossaryApproval(user_id=actor.id, country=country))
    before = c.status
    if {a.country for a in c.approvals} >= set(REVIEW_COUNTRIES):
        c.status = APPROVED
    elif c.status == DRAFT:
        c.status = PROPOSED
    db.session.flush()
    changes: dict[str, Any] = {"approved_by_country": [None, country]}
    if c.status != before:
        changes["status"] = [before, c.status]
    audit.record(ENTITY, c.id, "approve", actor, changes)
    return c.status


def add_comment(actor: User, c: GlossaryConcept, body: str) -> GlossaryComment:
    """A reviewer's comment on a concept (kept in its history too)."""
    if actor.role not in EDITORS:
        raise PermissionDenied(_l("Only scientists comment on glossary concepts."))
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_l("Write the comment."), "body")
    if len(body) > COMMENT_MAX:
        raise ValidationFailed(_l("The comment is too long (4000 characters at most)."), "body")
    comment = GlossaryComment(author_id=actor.id, body=body)
    c.comments.append(comment)
    db.session.flush()
    audit.record(ENTITY, c.id, "comment", actor, {"comment": [None, body]})
    return comment


def set_country(actor: User, user: User, country: str | None) -> None:
    """University staff set the side a scientist reviews for (audited on the user)."""
    if actor.role != ADMIN:
        raise PermissionDenied(_l("Only university staff set a reviewer's country."))
    country = country or None
    if country is not None and country not in REVIEW_COUNTRIES:
        raise ValidationFailed(_l("Choose Kazakhstan or Belarus."), "country")
    if user.country != country:
        audit.record("user", user.id, "update", actor, {"country": [user.country, country]})
        user.country = country


def history(c: GlossaryConcept) -> list:
    """The concept's audit records, oldest first."""
    return audit.history(ENTITY, c.id)


# ---- Finding and listing --------------------------------------------------------------


@dataclass
class Hit:
    """A search result: the concept, the term that matched and how well."""

    concept: GlossaryConcept
    term: GlossaryTerm
    score: float


def _score(q_fold: str, q_raw: str, key: str, raw: str) -> float:
    if not q_fold and not q_raw:
        return 0.0
    if raw == q_raw or (q_fold and key == q_fold):
        return 100.0
    words, raw_words = key.split(), raw.split()
    if q_raw and (raw.startswith(q_raw) or any(w.startswith(q_raw) for w in raw_words)):
        return 95.0 - min(len(raw) - len(q_raw), 40) / 10
    if q_fold and (key.startswith(q_fold) or any(w.startswith(q_fold) for w in words)):
        return 94.0 - min(len(key) - len(q_fold), 40) / 10
    if not q_fold or len(q_fold) < 3:
        return 0.0
    best = fuzz.ratio(q_fold, key)
    for w in words:
        best = max(best, fuzz.ratio(q_fold, w) - 2)
    if len(q_fold.split()) > 1:
        best = max(best, fuzz.token_sort_ratio(q_fold, key) - 1)
    return float(best)


FUZZY_CUTOFF = 75.0


def search(query: str, subject: str | None = None, limit: int = 40) -> list[Hit]:
    """Concepts whose terms match the query in any language, script or small typo."""
    q_raw = " ".join((query or "").lower().split())
    if not q_raw:
        return []
    q_fold = fold(q_raw)
    stmt = select(
        GlossaryTerm.id, GlossaryTerm.concept_id, GlossaryTerm.text, GlossaryTerm.search_key
    )
    if subject in SUBJECTS:
        stmt = stmt.join(GlossaryConcept).where(GlossaryConcept.subject == subject)
    best: dict[int, tuple[float, int]] = {}
    for term_id, concept_id, text, key in db.session.execute(stmt):
        score = _score(q_fold, q_raw, key or "", text.lower())
        if score >= FUZZY_CUTOFF and score > best.get(concept_id, (0.0, 0))[0]:
            best[concept_id] = (score, term_id)
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:limit]
    if not ranked:
        return []
    concepts = {
        c.id: c
        for c in db.session.scalars(
            select(GlossaryConcept)
            .where(GlossaryConcept.id.in_([cid for cid, _ in ranked]))
            .options(selectinload(GlossaryConcept.terms))
        )
    }
    hits = []
    for cid, (score, term_id) in ranked:
        c = concepts[cid]
        term = next(t for t in c.terms if t.id == term_id)
        hits.append(Hit(c, term, score))
    return hits


@dataclass
class IndexEntry:
    """One line of an A-Z list: a term and its concept."""

    term: GlossaryTerm
    concept: GlossaryConcept
    letter: str


def alphabet_index(lang: str, subject: str | None = None) -> list[IndexEntry]:
    """Every term of a language in that language's alphabetical order."""
    stmt = (
        select(GlossaryTerm)
        .where(GlossaryTerm.lang == lang)
        .order_by(GlossaryTerm.sort_key, GlossaryTerm.id)
        .options(selectinload(GlossaryTerm.concept).selectinload(GlossaryConcept.terms))
    )
    if subject in SUBJECTS:
        stmt = stmt.join(GlossaryConcept).where(GlossaryConcept.subject == subject)
    return [IndexEntry(t, t.concept, first_letter(t.text, lang)) for t in db.session.scalars(stmt)]


def get(concept_id: int) -> GlossaryConcept | None:
    """One concept with everything its page shows."""
    return db.session.get(
        GlossaryConcept,
        concept_id,
        options=[
            selectinload(GlossaryConcept.terms),
            selectinload(GlossaryConcept.definitions),
            selectinload(GlossaryConcept.approvals),
            selectinload(GlossaryConcept.comments),
            selectinload(GlossaryConcept.related),
        ],
    )


def by_key(key: str) -> GlossaryConcept | None:
    """A concept by its stable identifier."""
    return db.session.scalar(select(GlossaryConcept).where(GlossaryConcept.key == key))


def counts() -> dict[str, int]:
    """Concepts per subject field (one SQL aggregate)."""
    stmt = select(GlossaryConcept.subject, db.func.count()).group_by(GlossaryConcept.subject)
    return {s: n for s, n in db.session.execute(stmt)}
