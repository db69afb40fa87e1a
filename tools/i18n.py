"""Translation catalogs, one directory per area under greenapp/translations/.

Areas let several features be translated at once without editing the same file;
Flask-Babel merges every area at run time (BABEL_TRANSLATION_DIRECTORIES).

  python tools/i18n.py missing [LANG]      msgids used in code that no area translates
  python tools/i18n.py stub AREA [PATH...] add the missing msgids (optionally only those
                                           used under PATH...) to AREA's .po files,
                                           with empty msgstr to fill in
  python tools/i18n.py check               fail on missing, empty, fuzzy or
                                           placeholder-mismatched translations, missing
                                           plural forms, a double period after a date or
                                           unit (a translation ending in "%(day)s." or
                                           "%(unit)s."), a Latin look-alike letter inside
                                           a Cyrillic word, a Russian-only letter (и, щ, ъ)
                                           in a Belarusian word, and placeholder catalog
                                           headers
  python tools/i18n.py headers [AREA...]   write the review header (language team, reviser,
                                           revision date; no "fuzzy") into the catalogs
  python tools/i18n.py compile             write the .mo files (not committed)
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "greenapp" / "translations"
LANGS = ("kk", "ru", "be")
METHOD_MAP = [("greenapp/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "lazy_ngettext": (1, 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CONTEXT_SEP = "\x04"  # gettext's own separator between a context and its msgid
# Dates in the medium/long formats end in "г." (ru, be) or "мам." (kk), and short units in
# "шт."/"чел.": a translation must not put its own period right after them.
DOUBLE_PERIOD = re.compile(r"%\((day|date|from|to|unit)\)s\.\s*$")
WORD = re.compile(r"[^\W\d_]+")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN = re.compile(r"[A-Za-z]")
RUSSIAN_ONLY = re.compile(r"[иИщЩъЪ]")
PLACEHOLDER_HEADERS = (
    "FULL NAME",
    "EMAIL@ADDRESS",
    "LL@li.org",
    "YEAR-MO-DA",
    "ORGANIZATION",
    "VERSION",
)


def extract() -> dict[str | tuple, list[str]]:
    """Return every msgid used in the code with the files it appears in."""
    found: dict = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT,
        METHOD_MAP,
        OPTIONS,
        KEYWORDS,
        # Babel skips folders starting with "_" by default; templates/_macros holds strings.
        directory_filter=lambda path: not Path(path).name.startswith((".", "__")),
    ):
        if filename.startswith(("tests/", "bench/", "tools/", "migrations/")):
            continue
        key = _with_context(message if isinstance(message, str) else tuple(message), context)
        found.setdefault(key, []).append(filename)
    return found


def areas() -> list[Path]:
    """Every area directory."""
    return sorted(p for p in TRANSLATIONS.iterdir() if p.is_dir()) if TRANSLATIONS.exists() else []


def po_path(area: Path, lang: str) -> Path:
    """Path of one area's catalog for one language."""
    return area / lang / "LC_MESSAGES" / "messages.po"


def load(path: Path, lang: str) -> Catalog:
    """Read a .po file, or start an empty catalog."""
    if path.exists():
        with path.open("rb") as fh:
            return read_po(fh, locale=lang)
    catalog = Catalog(locale=lang, project="greenapp")
    set_header(catalog, lang)
    return catalog


LANGUAGE_NAMES = {"kk": "Kazakh", "ru": "Russian", "be": "Belarusian"}
LANGUAGE_TEAMS = {
    "kk": "Kazakh (Korkyt Ata Kyzylorda University, Green School programme)",
    "ru": "Russian (Korkyt Ata Kyzylorda University and Minsk partner schools)",
    "be": "Belarusian (Minsk partner schools of the Green School programme)",
}


def set_header(catalog: Catalog, lang: str, area: str = "", reviser: str = "") -> None:
    """A review header: who looks after the language, who revised it last and when."""
    catalog.fuzzy = False
    catalog.version = "0.1.0"
    catalog.copyright_holder = "Korkyt Ata Kyzylorda University"
    catalog.msgid_bugs_address = "greenapp issue tracker"
    catalog.language_team = LANGUAGE_TEAMS[lang]
    catalog.last_translator = reviser or "greenapp language review"
    catalog.revision_date = datetime.now(UTC).replace(second=0, microsecond=0)
    area_note = f" ({area} area)" if area else ""
    catalog.header_comment = (
        f"# {LANGUAGE_NAMES[lang]} translations for greenapp{area_note}.\n"
        "# Copyright (C) 2026 Korkyt Ata Kyzylorda University\n"
        "# This file is distributed under the same license as the greenapp project.\n"
        "# Review trail: the git log of this file; how to review: README.md, "
        '"Reviewing a language".\n#'
    )


def headers(area_names: list[str], reviser: str = "") -> None:
    """Rewrite the header of the given areas' catalogs (all areas if none given)."""
    for area in areas():
        if area_names and area.name not in area_names:
            continue
        for lang in LANGS:
            path = po_path(area, lang)
            if not path.exists():
                continue
            catalog = load(path, lang)
            set_header(catalog, lang, area.name, reviser)
            with path.open("wb") as fh:
                write_po(
                    fh,
                    catalog,
                    width=100,
                    omit_header=False,
                    sort_output=True,
                    include_lineno=False,
                )
            print(f"{area.name}/{lang}: header written")


def _with_context(key: str | tuple, context: str | None) -> str | tuple:
    """pgettext("school", "Name") and pgettext("person", "Name") are different messages."""
    if not context:
        return key
    if isinstance(key, str):
        return f"{context}{CONTEXT_SEP}{key}"
    return (f"{context}{CONTEXT_SEP}{key[0]}", *key[1:])


def _split_context(key: str | tuple) -> tuple[str | None, str | tuple]:
    first = key if isinstance(key, str) else key[0]
    if CONTEXT_SEP not in first:
        return None, key
    context, msgid = first.split(CONTEXT_SEP, 1)
    return context, (msgid if isinstance(key, str) else (msgid, *key[1:]))


def _key(message) -> str | tuple:
    key = message.id if isinstance(message.id, str) else tuple(message.id)
    return _with_context(key, message.context)


def translated(lang: str) -> dict:
    """Every translated msgid of a language across all areas."""
    result: dict = {}
    for area in areas():
        for message in load(po_path(area, lang), lang):
            if message.id and not message.fuzzy and _has_string(message):
                result[_key(message)] = message.string
    return result


def plural_forms_filled(lang: str) -> dict:
    """Plural messages of a language with some forms left empty: key -> forms filled."""
    result: dict = {}
    for area in areas():
        for message in load(po_path(area, lang), lang):
            if message.id and not isinstance(message.id, str) and not _has_string(message):
                result[_key(message)] = sum(1 for s in message.string if s.strip())
    return result


def _has_string(message) -> bool:
    if isinstance(message.string, str):
        return bool(message.string.strip())
    return bool(message.string) and all(s.strip() for s in message.string)


def missing(lang: str) -> list:
    """msgids used in code without a translation in lang."""
    have = translated(lang)
    return sorted((k for k in extract() if k not in have), key=str)


def stub(area_name: str, paths: list[str]) -> None:
    """Append missing msgids (used under paths, if given) to an area's catalogs."""
    used = extract()
    area = TRANSLATIONS / area_name
    for lang in LANGS:
        have = translated(lang)
        path = po_path(area, lang)
        catalog = load(path, lang)
        added = 0
        for key, files in used.items():
            context, msgid = _split_context(key)
            if key in have or catalog.get(msgid, context=context) is not None:
                continue
            if paths and not any(f.startswith(p) for f in files for p in paths):
                continue
            context, msgid = _split_context(key)
            catalog.add(
                msgid,
                string="" if isinstance(msgid, str) else ("",) * catalog.num_plurals,
                locations=[(f, 0) for f in files[:1]],
                context=context,
            )
            added += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(
                fh, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False
            )
        print(f"{path.relative_to(ROOT)}: {added} added")


def text_problems(lang: str, text: str) -> list[str]:
    """What a native reader would stumble on in one translated string."""
    found = []
    if DOUBLE_PERIOD.search(text):
        found.append("ends in a period right after a date or unit (which may end in '.')")
    bare = PLACEHOLDER.sub(" ", text)
    for word in WORD.findall(bare):
        if CYRILLIC.search(word) and LATIN.search(word):
            found.append(f"Latin look-alike letter inside the word {word!r}")
        if lang == "be" and CYRILLIC.search(word) and RUSSIAN_ONLY.search(word):
            found.append(f"Russian-only letter (и, щ, ъ) in the Belarusian word {word!r}")
    return found


def header_problems(area: Path, lang: str) -> list[str]:
    """A catalog must say who reviewed it and when (no template header left)."""
    path = po_path(area, lang)
    if not path.exists():
        return []
    head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    found = []
    if "#, fuzzy" in head:
        found.append("header still marked fuzzy")
    found += [f"placeholder {p!r} in the header" for p in PLACEHOLDER_HEADERS if p in head]
    for field in ("Language-Team", "Last-Translator", "PO-Revision-Date"):
        if f'"{field}: ' not in head:
            found.append(f"no {field} in the header")
    return found


def check() -> int:
    """Return the number of problems found (and print them)."""
    problems = 0
    used = extract()
    for lang in LANGS:
        have = translated(lang)
        partial = plural_forms_filled(lang)
        nplurals = Catalog(locale=lang).num_plurals
        for area in areas():
            for problem in header_problems(area, lang):
                print(f"{lang}: {area.name} catalog: {problem}")
                problems += 1
        for key in used:
            if key not in have and partial.get(key):
                print(f"{lang}: {partial[key]} of {nplurals} plural forms in {key!r}")
                problems += 1
                continue
            if key not in have:
                print(f"{lang}: missing translation: {key!r} ({used[key][0]})")
                problems += 1
                continue
            ids = [key] if isinstance(key, str) else list(key)
            strings = [have[key]] if isinstance(have[key], str) else list(have[key])
            if not isinstance(key, str) and len(strings) != nplurals:
                print(f"{lang}: {len(strings)} of {nplurals} plural forms in {key!r}")
                problems += 1
            want = set(PLACEHOLDER.findall(ids[0]))
            for s in strings:
                if set(PLACEHOLDER.findall(s)) != want:
                    print(f"{lang}: placeholders differ in {key!r}: {s!r}")
                    problems += 1
                for problem in text_problems(lang, s):
                    print(f"{lang}: {problem}: {key!r}: {s!r}")
                    problems += 1
    return problems


def compile_all() -> None:
    """Write .mo files next to every .po file."""
    for po in TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po"):
        lang = po.parent.parent.name
        catalog = load(po, lang)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    if not argv:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    if cmd == "missing":
        for lang in rest or LANGS:
            for key in missing(lang):
                print(f"{lang}\t{key!r}")
        return 0
    if cmd == "stub":
        stub(rest[0], rest[1:])
        return 0
    if cmd == "check":
        n = check()
        print(f"{n} translation problem(s)")
        return 1 if n else 0
    if cmd == "headers":
        headers(rest)
        return 0
    if cmd == "compile":
        compile_all()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
