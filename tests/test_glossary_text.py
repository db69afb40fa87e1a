"""Alphabetical order per language (against fixed lists in CLDR order) and Latin folding."""

import random

import pytest

from greenapp.services.glossary_text import first_letter, fold, sort_key, stem

# Each list is in the order CLDR's collation for that language gives (kk: Ә after А, Ғ
# after Г, Қ after К, Ң after Н, Ө after О, Ұ Ү after У, Һ after Х, І after Ы, Ё as a
# variant of Е; be: Ё after Е and Ў after У as letters of their own, І in root's place,
# the apostrophe ignored, ДЖ/ДЗ not separate letters; ru: root, Ё a variant of Е).
KK_CLDR = [
    "ағаш",
    "ана",
    "әже",
    "бала",
    "газ",
    "ғылым",
    "дала",
    "ел",
    "ёлка",
    "еңбек",
    "жол",
    "зат",
    "ине",
    "йод",
    "көл",
    "кітап",
    "қала",
    "қой",
    "лак",
    "мектеп",
    "нан",
    "от",
    "отан",
    "өзен",
    "пан",
    "рет",
    "сан",
    "сана",
    "саңырау",
    "су",
    "тау",
    "уақыт",
    "ұлт",
    "үй",
    "фа",
    "хат",
    "һәм",
    "цирк",
    "час",
    "шай",
    "щи",
    "ыдыс",
    "іні",
    "экология",
    "юрта",
    "як",
]
BE_CLDR = [
    "адукацыя",
    "бяроза",
    "вада",
    "гара",
    "джала",
    "дзень",
    "ехаць",
    "ёлка",
    "жыццё",
    "зямля",
    "інфармацыя",
    "йод",
    "кніга",
    "лес",
    "мора",
    "неба",
    "ордэн",
    "парк",
    "рака",
    "сяло",
    "сям'я",
    "трава",
    "ураджай",
    "ўзровень",
    "фабрыка",
    "хата",
    "цэгла",
    "час",
    "школа",
    "экалогія",
    "юнак",
    "якасць",
]
RU_CLDR = [
    "азот",
    "берег",
    "берёза",
    "вода",
    "ёж",
    "ёлка",
    "ель",
    "если",
    "жизнь",
    "йод",
    "лес",
    "эко",
    "я",
]


@pytest.mark.parametrize("lang, expected", [("kk", KK_CLDR), ("be", BE_CLDR), ("ru", RU_CLDR)])
def test_sort_keys_give_cldr_order(lang, expected):
    shuffled = expected[:]
    random.Random(4).shuffle(shuffled)
    assert sorted(shuffled, key=lambda w: sort_key(w, lang)) == expected
    # Code-point order is wrong for each of these lists: the test can tell them apart.
    assert sorted(expected) != expected


def test_kazakh_alphabet_has_42_letters_in_order():
    from greenapp.services.glossary_text import ALPHABETS

    assert len(ALPHABETS["kk"]) + 1 == 42  # ё sorts as е, so the table lists 41 keys
    letters = "А Ә Б В Г Ғ Д Е Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я"
    assert [x.upper() for x in ALPHABETS["kk"]] == letters.split()


def test_sort_key_is_digits_only_so_any_database_collation_agrees():
    for word in KK_CLDR + BE_CLDR + ["water saving", "CO2-эквивалент"]:
        assert sort_key(word, "kk").isdigit()


def test_shorter_term_and_space_sort_first():
    words = ["су", "су үнемдеу", "суару"]
    assert sorted(words[::-1], key=lambda w: sort_key(w, "kk")) == words


def test_index_letters():
    assert first_letter("ёлка", "kk") == "Е"
    assert first_letter("ёлка", "be") == "Ё"
    assert first_letter("ўзровень", "be") == "Ў"
    assert first_letter("Ұлт", "kk") == "Ұ"


@pytest.mark.parametrize(
    "latin, cyrillic, lang",
    [
        ("sortirovka", "сортировка", "ru"),
        ("sartavanne", "сартаванне", "be"),
        ("suryptau", "сұрыптау", "kk"),
        ("su", "су", "kk"),
        ("qaldyq", "қалдық", "kk"),
        ("kaldyk", "қалдық", "kk"),
        ("haradski", "гарадскі", "be"),
    ],
)
def test_latin_spelling_folds_to_the_same_key(latin, cyrillic, lang):
    assert fold(latin) == fold(cyrillic, lang)


def test_stems_strip_case_endings():
    assert stem("сұрыптауды", "kk").startswith("сұрыпта")
    assert stem("сортировки", "ru") == "сортировк"
    assert stem("су", "kk") == "су"  # short words are left alone
