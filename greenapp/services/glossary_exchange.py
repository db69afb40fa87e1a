"""The glossary in and out: the YAML data file, TBX-Basic, CSV and XLSX.

TBX follows ISO 30042:2019 (TBX-Basic dialect, DCA style): one <conceptEntry> per
concept with its subjectField, a <langSec> per language (kk-Latn / be-Latn terms get a
langSec of their own) holding the definition with its source and the terms with part of
speech, administrative status, context and note. Two choices outside TBX-Basic's
pick-lists, both written so that other tools can ignore them:
- TBX has no "proposed" term status: a proposed term simply has no administrativeStatus
  (nobody has ruled on it); preferred / admitted / deprecated map to the
  *Term-admn-sts values.
- The concept's review status is written as <admin type="elementWorkingStatus">
  (starterElement = draft, workingElement = proposed, consolidatedElement = approved).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# Writing only: parsing goes through defusedxml below.
from xml.etree.ElementTree import Element, SubElement, tostring  # nosec B405

import yaml
from defusedxml import ElementTree as SafeET
from flask_babel import lazy_gettext as _l

from greenapp.models.glossary import (
    DEFAULT_SCRIPT,
    LANGS,
    POS,
    SCRIPTS_OF,
    SUBJECTS,
    USAGE,
    GlossaryConcept,
)
from greenapp.services.glossary import ConceptData, DefinitionData, TermData, to_data

TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ADMN = {
    "preferred": "preferredTerm-admn-sts",
    "admitted": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
}
ADMN_BACK = {v: k for k, v in ADMN.items()} | {"supersededTerm-admn-sts": "deprecated"}
WORKING = {
    "draft": "starterElement",
    "proposed": "workingElement",
    "approved": "consolidatedElement",
}
WORKING_BACK = {v: k for k, v in WORKING.items()}
COLUMNS = (
    "concept",
    "subject",
    "concept_status",
    "concept_note",
    "related",
    "lang",
    "script",
    "term",
    "pos",
    "usage_status",
    "context",
    "context_source",
    "term_note",
    "definition",
    "definition_source",
    "definition_ref",
    "definition_url",
)
REQUIRED = ("concept", "subject", "lang", "term")


class ReadError(Exception):
    """A file that cannot be read at all (not per-row problems)."""


# ---- The YAML data file ---------------------------------------------------------------


def _terms_of(lang: str, value: Any, default_status: str) -> list[TermData]:
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, str):
            out.append(TermData(lang=lang, text=v, status=default_status))
        elif isinstance(v, dict):
            out.append(
                TermData(
                    lang=lang,
                    text=str(v.get("text", "")),
                    script=str(v.get("script", "")),
                    pos=str(v.get("pos", "noun")),
                    status=str(v.get("status", default_status)),
                    context=str(v.get("context", "")),
                    context_source=str(v.get("context_source", "")),
                    note=str(v.get("note", "")),
                )
            )
    return out


def read_yaml(text: str) -> list[ConceptData]:
    """Concepts from the glossary data file (format: the header of data/glossary/terms.yaml)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReadError(str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("fields"), dict):
        raise ReadError("the file needs a top-level 'fields' mapping (subject -> concepts)")
    sources: dict[str, dict] = doc.get("sources") or {}
    defaults: dict[str, str] = (doc.get("defaults") or {}).get("status") or {}
    items = []
    listed = [(subject, raw) for subject, group in doc["fields"].items() for raw in (group or [])]
    for subject, raw in listed:
        if not isinstance(raw, dict):
            raise ReadError("every concept is a mapping")
        src = sources.get(raw.get("src", ""), {})
        item = ConceptData(
            key=str(raw.get("key", "")),
            subject=str(subject),
            status=str(raw.get("status", "draft")),
            note=str(raw.get("note", "")),
            related=[str(k) for k in raw.get("related", []) or []],
        )
        for lang in LANGS:
            if lang in raw:
                item.terms += _terms_of(lang, raw[lang], defaults.get(lang, "proposed"))
            definition = raw.get(f"def_{lang}")
            if definition:
                item.definitions.append(
                    DefinitionData(
                        lang=lang,
                        text=str(definition),
                        source_title=str(src.get("title", "")),
                        source_ref=str(raw.get("ref", "")),
                        source_url=str(src.get("url", "")),
                    )
                )
        items.append(item)
    return items


# ---- TBX-Basic ------------------------------------------------------------------------


def _lang_tag(lang: str, script: str) -> str:
    return script if script.endswith("-Latn") else lang


def to_tbx(concepts: Iterable[GlossaryConcept], title: str = "greenapp eco glossary") -> bytes:
    """The concepts as a TBX-Basic document (UTF-8 bytes)."""
    root = Element("tbx", {"type": "TBX-Basic", "style": "dca", XML_LANG: "en", "xmlns": TBX_NS})
    header = SubElement(SubElement(SubElement(root, "tbxHeader"), "fileDesc"), "sourceDesc")
    SubElement(header, "p").text = title
    body = SubElement(SubElement(root, "text"), "body")
    for c in concepts:
        d = to_data(c)
        entry = SubElement(body, "conceptEntry", {"id": d.key})
        SubElement(entry, "descrip", {"type": "subjectField"}).text = d.subject
        SubElement(entry, "admin", {"type": "elementWorkingStatus"}).text = WORKING[d.status]
        if d.note:
            SubElement(entry, "note").text = d.note
        for key in d.related:
            SubElement(entry, "ref", {"type": "crossReference", "target": key}).text = key
        tags: list[str] = []
        for t in d.terms:
            tag = _lang_tag(t.lang, t.script)
            if tag not in tags:
                tags.append(tag)
        for lang in LANGS:
            if lang not in tags and any(x.lang == lang for x in d.definitions):
                tags.append(lang)
        for tag in sorted(tags, key=lambda s: (LANGS.index(s[:2]), s)):
            sec = SubElement(entry, "langSec", {XML_LANG: tag})
            for df in d.definitions:
                if df.lang == tag:
                    grp = SubElement(sec, "descripGrp")
                    SubElement(grp, "descrip", {"type": "definition"}).text = df.text
                    if df.source_title:
                        SubElement(grp, "admin", {"type": "source"}).text = df.source_title
                    if df.source_ref:
                        SubElement(grp, "note").text = df.source_ref
                    if df.source_url:
                        SubElement(
                            grp, "xref", {"type": "externalCrossReference", "target": df.source_url}
                        ).text = df.source_url
            for t in d.terms:
                if _lang_tag(t.lang, t.script) != tag:
                    continue
                ts = SubElement(sec, "termSec")
                SubElement(ts, "term").text = t.text
                SubElement(ts, "termNote", {"type": "partOfSpeech"}).text = t.pos
                if t.status in ADMN:
                    SubElement(ts, "termNote", {"type": "administrativeStatus"}).text = ADMN[
                        t.status
                    ]
                if t.context:
                    grp = SubElement(ts, "descripGrp")
                    SubElement(grp, "descrip", {"type": "context"}).text = t.context
                    if t.context_source:
                        SubElement(grp, "admin", {"type": "source"}).text = t.context_source
                if t.note:
                    SubElement(ts, "note").text = t.note
    xml = tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode("utf-8")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: Any, name: str) -> list:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Any) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def read_tbx(data: bytes) -> tuple[list[ConceptData], list[int]]:
    """Concepts from a TBX(-Basic) document; entity and DTD tricks are refused."""
    try:
        root = SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several kinds; all mean "not readable"
        raise ReadError(str(exc)) from None
    if _local(root.tag) not in ("tbx", "martif"):
        raise ReadError("not a TBX document (the root element is not <tbx>)")
    items, numbers = [], []
    entries = [el for el in root.iter() if _local(el.tag) in ("conceptEntry", "termEntry")]
    for n, entry in enumerate(entries, start=1):
        item = ConceptData(key=entry.get("id", ""), subject="")
        for child in entry:
            name, kind = _local(child.tag), child.get("type", "")
            if name == "descrip" and kind == "subjectField":
                item.subject = _text(child)
            elif name == "admin" and kind == "elementWorkingStatus":
                item.status = WORKING_BACK.get(_text(child), "draft")
            elif name == "note":
                item.note = _text(child)
            elif name == "ref" and kind == "crossReference":
                item.related.append(child.get("target", ""))
            elif name in ("langSec", "langSet"):
                _read_lang(child, item)
        items.append(item)
        numbers.append(n)
    return items, numbers


def _read_lang(sec: Any, item: ConceptData) -> None:
    tag = sec.get(XML_LANG, "")
    lang = tag[:2].lower()
    script = tag if tag.endswith("-Latn") else DEFAULT_SCRIPT.get(lang, "")
    for grp in _children(sec, "descripGrp"):
        descrip = next(iter(_children(grp, "descrip")), None)
        if descrip is not None and descrip.get("type") == "definition":
            source = next((a for a in _children(grp, "admin") if a.get("type") == "source"), None)
            xref = next(iter(_children(grp, "xref")), None)
            item.definitions.append(
                DefinitionData(
                    lang=lang,
                    text=_text(descrip),
                    source_title=_text(source),
                    source_ref=_text(next(iter(_children(grp, "note")), None)),
                    source_url=xref.get("target", "") if xref is not None else "",
                )
            )
    for ts in [c for c in sec if _local(c.tag) in ("termSec", "tig", "ntig")]:
        term = TermData(
            lang=lang,
            text=_text(next(iter(_children(ts, "term")), None)),
            script=script,
            status="proposed",
        )
        for note in _children(ts, "termNote"):
            if note.get("type") == "partOfSpeech":
                term.pos = _text(note)
            elif note.get("type") == "administrativeStatus":
                term.status = ADMN_BACK.get(_text(note), "proposed")
        for grp in _children(ts, "descripGrp"):
            descrip = next(iter(_children(grp, "descrip")), None)
            if descrip is not None and descrip.get("type") == "context":
                term.context = _text(descrip)
                source = next(
                    (a for a in _children(grp, "admin") if a.get("type") == "source"), None
                )
                term.context_source = _text(source)
        term.note = _text(next(iter(_children(ts, "note")), None))
        item.terms.append(term)


# ---- CSV and XLSX ---------------------------------------------------------------------


def _safe_cell(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    if value and value[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _unsafe_cell(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def rows(concepts: Iterable[GlossaryConcept]) -> list[list[str]]:
    """One row per term (definitions repeated on their language's rows)."""
    out = []
    for c in concepts:
        d = to_data(c)
        defs = {x.lang: x for x in d.definitions}
        langs_with_terms = {t.lang for t in d.terms}
        for t in d.terms:
            df = defs.get(t.lang)
            out.append(
                [
                    d.key,
                    d.subject,
                    d.status,
                    d.note,
                    " ".join(d.related),
                    t.lang,
                    t.script,
                    t.text,
                    t.pos,
                    t.status,
                    t.context,
                    t.context_source,
                    t.note,
                    df.text if df else "",
                    df.source_title if df else "",
                    df.source_ref if df else "",
                    df.source_url if df else "",
                ]
            )
        for lang, df in defs.items():
            if lang not in langs_with_terms:  # a definition without a term stays too
                out.append(
                    [
                        d.key,
                        d.subject,
                        d.status,
                        d.note,
                        " ".join(d.related),
                        lang,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        df.text,
                        df.source_title,
                        df.source_ref,
                        df.source_url,
                    ]
                )
    return [[_safe_cell(str(v)) for v in r] for r in out]


def to_csv(concepts: Iterable[GlossaryConcept]) -> str:
    """The concepts as CSV with a header row."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows(rows(concepts))
    return buf.getvalue()


def to_xlsx(concepts: Iterable[GlossaryConcept]) -> bytes:
    """The concepts as an XLSX workbook (same columns as the CSV)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("glossary")
    ws.append(list(COLUMNS))
    for r in rows(concepts):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row_term_problem(row: dict[str, str], lang: str) -> tuple[str, str] | None:
    """A problem of one CSV row's term, named by its column (so the row is exact)."""
    if not row.get("term"):
        return None
    if len(row["term"]) > 200:
        return "term", str(_l("A term is at most 200 characters long."))
    status = row.get("usage_status") or "proposed"
    if status not in USAGE:
        return "usage_status", str(_l("Unknown usage status: %(value)s", value=status))
    pos = row.get("pos") or "noun"
    if pos not in POS:
        return "pos", str(_l("Unknown part of speech: %(value)s", value=pos))
    script = row.get("script", "")
    if script and script not in SCRIPTS_OF[lang]:
        return "script", str(_l("Unknown script: %(value)s", value=script))
    return None


def read_csv(data: bytes) -> tuple[list[ConceptData], list[int], list[tuple[int, str, str]]]:
    """Concepts from CSV rows; problems come back per row and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(str(_l("The file is not UTF-8 text."))) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))  # the csv module reads line ends
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ReadError(str(_l("Missing columns: %(cols)s", cols=", ".join(missing))))
    items: dict[str, ConceptData] = {}
    first_row: dict[str, int] = {}
    errors: list[tuple[int, str, str]] = []
    for n, raw in enumerate(reader, start=2):
        row = {k: _unsafe_cell((v or "").strip()) for k, v in raw.items() if k}
        key = row.get("concept", "")
        if not key:
            errors.append((n, "concept", str(_l("The concept identifier is empty."))))
            continue
        lang = row.get("lang", "")
        if lang not in LANGS:
            errors.append((n, "lang", str(_l("Unknown language: %(value)s", value=lang))))
            continue
        if row.get("subject", "") not in SUBJECTS:
            errors.append(
                (
                    n,
                    "subject",
                    str(_l("Unknown subject field: %(value)s", value=row.get("subject", ""))),
                )
            )
            continue
        item = items.get(key)
        if item is None:
            item = items[key] = ConceptData(
                key=key,
                subject=row.get("subject", ""),
                status=row.get("concept_status") or "draft",
                note=row.get("concept_note", ""),
                related=row.get("related", "").split(),
            )
            first_row[key] = n
        elif row.get("subject", "") != item.subject:
            errors.append(
                (
                    n,
                    "subject",
                    str(_l("Another row of this concept names a different subject field.")),
                )
            )
            continue
        term_problem = _row_term_problem(row, lang)
        if term_problem:
            errors.append((n, *term_problem))
        elif row.get("term"):
            item.terms.append(
                TermData(
                    lang=lang,
                    text=row["term"],
                    script=row.get("script", ""),
                    pos=row.get("pos") or "noun",
                    status=row.get("usage_status") or "proposed",
                    context=row.get("context", ""),
                    context_source=row.get("context_source", ""),
                    note=row.get("term_note", ""),
                )
            )
        if row.get("definition"):
            existing = next((x for x in item.definitions if x.lang == lang), None)
            if existing is None:
                item.definitions.append(
                    DefinitionData(
                        lang=lang,
                        text=row["definition"],
                        source_title=row.get("definition_source", ""),
                        source_ref=row.get("definition_ref", ""),
                        source_url=row.get("definition_url", ""),
                    )
                )
            elif existing.text != row["definition"]:
                errors.append(
                    (
                        n,
                        "definition",
                        str(
                            _l(
                                "Another row of this concept has a different definition in this "
                                "language."
                            )
                        ),
                    )
                )
        elif not row.get("term"):
            errors.append((n, "term", str(_l("The row has neither a term nor a definition."))))
    keys = list(items)
    return [items[k] for k in keys], [first_row[k] for k in keys], errors
