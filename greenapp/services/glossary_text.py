"""Letters of the glossary's languages: alphabetical sort keys, Latin folding, stems.

Why explicit alphabet tables and not ICU: PyICU is published only as source and needs
libicu-dev and a C++ compiler (a fresh machine with Python and make has neither),
icu4py has no collation and pyuca has no per-language tailoring (it puts Kazakh І
after И, not after Ы). PostgreSQL's ICU collations would only help on PostgreSQL. The
tables below follow CLDR's collation for kk, be and ru (root order plus each language's
tailoring) and turn a term into a key made of digits only, so `ORDER BY sort_key`
gives the same, correct order on SQLite and on PostgreSQL whatever the database's
collation. tests/test_glossary_text.py checks them against fixed lists in CLDR order.
"""

from __future__ import annotations

import re
import unicodedata

# CLDR root order for Cyrillic, with each language's tailoring:
#  kk: &А<ә &Г<ғ &К<қ &Н<ң &О<ө &У<ұ<ү &Х<һ &Ы<і  (42 letters; ё is е with a
#      secondary difference, as in root, so it sorts among the е-words)
#  be: &Е<ё &У<ў  (ё and ў are letters of their own; і has root's place after з)
#  ru: root order; ё is е with a secondary difference.
KK_ALPHABET = "а ә б в г ғ д е ж з и й к қ л м н ң о ө п р с т у ұ ү ф х һ ц ч ш щ ъ ы і ь э ю я"
BE_ALPHABET = "а б в г д е ё ж з і й к л м н о п р с т у ў ф х ц ч ш ы ь э ю я"
RU_ALPHABET = "а б в г д е ж з и й к л м н о п р с т у ф х ц ч ш щ ъ ы ь э ю я"
EN_ALPHABET = "a b c d e f g h i j k l m n o p q r s t u v w x y z"
ALPHABETS: dict[str, list[str]] = {
    "kk": KK_ALPHABET.split(),
    "be": BE_ALPHABET.split(),
    "ru": RU_ALPHABET.split(),
    "en": EN_ALPHABET.split(),
}
# Letters that sort as another letter, told apart only when everything else is equal.
SECONDARY: dict[str, dict[str, str]] = {
    "kk": {"ё": "е"},
    "ru": {"ё": "е"},
    "be": {},
    "en": {},
}
# Keys: "00" ends the primary part, "01" space, "02" hyphen, letters from "10".
# Any other letter (a Latin letter in a Cyrillic term, a digit) sorts after the alphabet.
_END, _SPACE, _HYPHEN, _OTHER = "00", "01", "02", "99"


def _codes(lang: str) -> dict[str, str]:
    return {letter: f"{10 + i:02d}" for i, letter in enumerate(ALPHABETS[lang])}


_CODES = {lang: _codes(lang) for lang in ALPHABETS}


def sort_key(text: str, lang: str) -> str:
    """A digits-only key that orders terms as the language's alphabet does."""
    codes, secondary = _CODES.get(lang, _CODES["en"]), SECONDARY.get(lang, {})
    primary, tie = [], []
    for ch in (text or "").strip().lower():
        if lang == "en":
            ch = unicodedata.normalize("NFKD", ch)[:1]
        base = secondary.get(ch, ch)
        if base in codes:
            primary.append(codes[base])
            tie.append("1" if base != ch else "0")
        elif ch.isspace():
            primary.append(_SPACE)
        elif ch in "-‐–":
            primary.append(_HYPHEN)
        elif ch.isalnum():
            primary.append(_OTHER)
        # apostrophes and other punctuation are ignorable, as in CLDR
    return "".join(primary) + _END + "".join(tie)


def first_letter(text: str, lang: str) -> str:
    """The index letter a term is filed under (upper case; '#' for anything else)."""
    secondary = SECONDARY.get(lang, {})
    for ch in (text or "").strip().lower():
        if lang == "en":
            ch = unicodedata.normalize("NFKD", ch)[:1]
        base = secondary.get(ch, ch)
        if base in _CODES.get(lang, {}):
            return base.upper()
        if ch.isalnum():
            return "#"
    return "#"


# ---- Latin folding for search ----------------------------------------------------
# Each language's usual Latin spelling (ru: BGN/PCGN-like, be: the national
# romanisation with г -> h, kk: the 2021 Latin alphabet written without diacritics).
_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "'": "",
    "ʼ": "",
    "’": "",
}
TRANSLIT: dict[str, dict[str, str]] = {
    "ru": dict(_COMMON),
    "be": {**_COMMON, "г": "h", "і": "i", "ў": "u", "ё": "yo", "х": "kh"},
    "kk": {
        **_COMMON,
        "ә": "a",
        "ғ": "g",
        "қ": "q",
        "ң": "ng",
        "ө": "o",
        "ұ": "u",
        "ү": "u",
        "һ": "h",
        "і": "i",
        "ж": "j",
        "х": "h",
        "у": "u",
        "й": "i",
    },
}
_ANY = {
    **TRANSLIT["ru"],
    **{k: v for lang in ("be", "kk") for k, v in TRANSLIT[lang].items() if k not in TRANSLIT["ru"]},
}
# After transliteration both sides are reduced the same way, so spellings that differ
# only in convention meet: q/k, j/zh, h/kh/g for Belarusian г, doubled letters.
_FOLD = [
    ("shch", "sh"),
    ("zh", "j"),
    ("kh", "h"),
    ("ts", "c"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("yo", "e"),
    ("yu", "u"),
    ("ya", "a"),
    ("iu", "u"),
    ("ia", "a"),
]


def latin(text: str, lang: str | None = None) -> str:
    """Transliterate Cyrillic to Latin with the language's table (any table if None)."""
    table = TRANSLIT.get(lang or "", _ANY)
    out = []
    for ch in (text or "").lower():
        if ch in table:
            out.append(table[ch])
        elif ch in _ANY:
            out.append(_ANY[ch])
        else:
            out.append(ch)
    return "".join(out)


def fold(text: str, lang: str | None = None) -> str:
    """The search form of a text: Latin letters, no diacritics, one spelling per sound."""
    s = unicodedata.normalize("NFKD", latin(text, lang))
    s = "".join(c for c in s if not unicodedata.combining(c)).replace("ı", "i")
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    for a, b in _FOLD:
        s = s.replace(a, b)
    s = re.sub(r"(.)\1+", r"\1", s)  # doubled letters: "sartavanne" ~ "sartavane"
    return " ".join(s.split())


# ---- Stems for linking inflected forms ---------------------------------------------
# Case and number endings, longest first; a word keeps at least four letters.
ENDINGS: dict[str, tuple[str, ...]] = {
    "kk": (
        "ларының",
        "лерінің",
        "дарының",
        "дерінің",
        "тарының",
        "терінің",
        "ының",
        "інің",
        "дың",
        "дің",
        "тың",
        "тің",
        "ның",
        "нің",
        "ды",
        "ді",
        "ты",
        "ті",
        "ны",
        "ні",
        "ға",
        "ге",
        "қа",
        "ке",
        "на",
        "не",
        "да",
        "де",
        "та",
        "те",
        "дан",
        "ден",
        "тан",
        "тен",
        "нан",
        "нен",
        "мен",
        "бен",
        "пен",
        "лар",
        "лер",
        "дар",
        "дер",
        "тар",
        "тер",
        "сы",
        "сі",
        "ы",
        "і",
        "у",
    ),
    "ru": (
        "ами",
        "ями",
        "ого",
        "его",
        "ому",
        "ему",
        "ыми",
        "ими",
        "ах",
        "ях",
        "ов",
        "ев",
        "ей",
        "ой",
        "ый",
        "ий",
        "ая",
        "яя",
        "ое",
        "ее",
        "ом",
        "ем",
        "ам",
        "ям",
        "ую",
        "юю",
        "ые",
        "ие",
        "ых",
        "их",
        "а",
        "я",
        "о",
        "е",
        "ы",
        "и",
        "у",
        "ю",
        "ь",
    ),
    "be": (
        "амі",
        "ямі",
        "ага",
        "яга",
        "аму",
        "яму",
        "ымі",
        "імі",
        "ах",
        "ях",
        "аў",
        "яў",
        "ой",
        "ай",
        "ый",
        "ій",
        "ая",
        "ое",
        "ом",
        "ем",
        "ам",
        "ям",
        "ую",
        "ыя",
        "ія",
        "ых",
        "іх",
        "а",
        "я",
        "о",
        "е",
        "ы",
        "у",
        "ю",
        "ь",
    ),
    "en": ("es", "s"),
}
MIN_STEM = 4


def stem(word: str, lang: str) -> str:
    """The word without its inflectional ending (as far as the short list knows it)."""
    w = word.lower()
    for ending in ENDINGS.get(lang, ()):
        if w.endswith(ending) and len(w) - len(ending) >= MIN_STEM:
            return w[: -len(ending)]
    return w
