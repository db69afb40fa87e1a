"""Demo content (challenges, proposals, a note) in the reader's language.

The demo data is stored once, in English, like anything a person types. When it is shown,
`demo_text` gives the text in the interface language if it is one of the demo texts below;
everything else (what people really typed) is shown exactly as it was written.
"""

from __future__ import annotations

from flask_babel import get_locale

# English text as stored -> its Kazakh, Russian and Belarusian versions.
DEMO_TEXT: dict[str, dict[str, str]] = {
    # (Cities are named by the city table: City.display_name, School.city_name.)
    # Challenges
    "Water saving month": {
        "kk": "Су үнемдеу айы",
        "ru": "Месяц экономии воды",
        "be": "Месяц эканоміі вады",
    },
    "Save 300 litres each in a month: fix dripping taps, read your meter and log what you saved.": {
        "kk": "Бір айда әрқайсысыңыз 300 литр су үнемдеңіз: тамшылап тұрған шүмектерді "
        "жөндеп, есептегішті тексеріп, үнемделген суды тіркеңіз.",
        "ru": "Сэкономьте по 300 литров воды за месяц: почините подтекающие краны, снимайте "
        "показания счётчика и записывайте сэкономленное.",
        "be": "Зэканомце па 300 літраў вады за месяц: адрамантуйце краны, з якіх капае, "
        "здымайце паказанні лічыльніка і запісвайце зэканомленае.",
    },
    "Schools save energy": {
        "kk": "Мектептер энергия үнемдейді",
        "ru": "Школы экономят энергию",
        "be": "Школы эканомяць энергію",
    },
    "Two kWh per pupil in a month: lights off in empty classrooms, nothing left on standby. "
    "Only metered or documented entries count.": {
        "kk": "Бір айда бір оқушыға 2 кВт·сағ: бос сыныптарда жарықты сөндіріңіз, "
        "құрылғыларды күту режимінде қалдырмаңыз. Тек есептегіш көрсеткіші немесе "
        "құжаты бар жазбалар есептеледі.",
        "ru": "2 кВт·ч на ученика за месяц: свет в пустых классах выключен, техника не "
        "остаётся в режиме ожидания. Учитываются только записи с показаниями счётчика "
        "или документом.",
        "be": "2 кВт·г на вучня за месяц: святло ў пустых класах выключана, тэхніка не "
        "застаецца ў рэжыме чакання. Улічваюцца толькі запісы з паказаннямі лічыльніка "
        "або дакументам.",
    },
    "We sort plastic": {
        "kk": "Пластикті сұрыптаймыз",
        "ru": "Сортируем пластик",
        "be": "Сартуем пластык",
    },
    "Ten kilograms of plastic each in a month, weighed before you hand it in.": {
        "kk": "Бір айда әрқайсысыңыз 10 кг пластик жинаңыз; тапсырар алдында өлшеңіз.",
        "ru": "По 10 кг пластика за месяц на каждого; взвешивайте перед сдачей.",
        "be": "Па 10 кг пластыку за месяц на кожнага; узважвайце перад здачай.",
    },
    # Proposals and their review (the district keeps its local name, "Орталық")
    "Separate bins for plastic in every courtyard": {
        "kk": "Әр аулада пластикке арналған бөлек контейнер",
        "ru": "Отдельные контейнеры для пластика в каждом дворе",
        "be": "Асобныя кантэйнеры для пластыку ў кожным двары",
    },
    "Our courtyard sorts plastic every week, but the only plastic bin is 800 m away. Please "
    "place one in every courtyard of the Central district.": {
        "kk": "Біздің аула пластикті апта сайын сұрыптайды, бірақ пластикке арналған жалғыз "
        "контейнер 800 м жерде тұр. Орталық ауданның әр ауласына осындай контейнер "
        "қоюды сұраймыз.",
        "ru": "Наш двор сортирует пластик каждую неделю, но единственный контейнер для "
        "пластика стоит в 800 м. Просим поставить такой контейнер в каждом дворе "
        "Центрального района.",
        "be": "Наш двор кожны тыдзень сартуе пластык, але адзіны кантэйнер для пластыку "
        "стаіць за 800 м. Просім паставіць такі кантэйнер у кожным двары Цэнтральнага "
        "раёна.",
    },
    "Repair the leaking standpipe on Auezov Street": {
        "kk": "Әуезов көшесіндегі ағып тұрған су колонкасын жөндеу",
        "ru": "Отремонтировать протекающую водоразборную колонку на улице Ауэзова",
        "be": "Адрамантаваць водаразборную калонку на вуліцы Аўэзава, якая працякае",
    },
    "The standpipe near Auezov St 14 has leaked for three months; the meter shows about "
    "2 m³ a day lost.": {
        "kk": "Әуезов көшесіндегі 14-үйдің жанындағы су колонкасы үш ай бойы ағып тұр; "
        "есептегіш бойынша күніне шамамен 2 м³ су жоғалады.",
        "ru": "Колонка у дома 14 на улице Ауэзова протекает уже три месяца; по счётчику "
        "теряется около 2 м³ в день.",
        "be": "Калонка каля дома 14 на вуліцы Аўэзава працякае ўжо тры месяцы; па лічыльніку "
        "губляецца каля 2 м³ за дзень.",
    },
    "Law of the Republic of Kazakhstan on Local Government and Self-Government, art. 27 "
    "(duties of the akimat in housing and utilities)": {
        "kk": "«Қазақстан Республикасындағы жергілікті мемлекеттік басқару және өзін-өзі "
        "басқару туралы» Қазақстан Республикасының Заңы, 27-бап (әкімдіктің тұрғын "
        "үй-коммуналдық шаруашылық саласындағы міндеттері)",
        "ru": "Закон Республики Казахстан «О местном государственном управлении и "
        "самоуправлении в Республике Казахстан», ст. 27 (обязанности акимата в сфере "
        "жилищно-коммунального хозяйства)",
        "be": "Закон Рэспублікі Казахстан «Аб мясцовым дзяржаўным кіраванні і самакіраванні "
        "ў Рэспубліцы Казахстан», арт. 27 (абавязкі акімата ў сферы жыллёва-камунальнай "
        "гаспадаркі)",
    },
    "Forwarded to the city akimat's housing and utilities department for repair.": {
        "kk": "Жөндеу үшін қала әкімдігінің тұрғын үй-коммуналдық шаруашылық бөліміне жолданды.",
        "ru": "Направлено в отдел жилищно-коммунального хозяйства акимата города для ремонта.",
        "be": "Накіравана ў аддзел жыллёва-камунальнай гаспадаркі акімата горада для рамонту.",
    },
    # The note on the demo entry the scientists find in their data-quality queue
    "Weekly shower savings": {
        "kk": "Душтан апталық үнемдеу",
        "ru": "Экономия на душе за неделю",
        "be": "Эканомія на душы за тыдзень",
    },
}

# Titles an earlier demo seed stored in two languages at once ("kk · ru"): shown the same way.
for _old, _new in (
    ("Су үнемдеу айы · Месяц экономии воды", "Water saving month"),
    ("Мектептер энергия үнемдейді · Школы экономят энергию", "Schools save energy"),
    ("Пластикті сұрыптаймыз · Сортируем пластик", "We sort plastic"),
    ("weekly shower savings", "Weekly shower savings"),
):
    DEMO_TEXT[_old] = {**DEMO_TEXT[_new], "en": _new}


def demo_text(text: str | None, lang: str | None = None) -> str:
    """The demo text in the reader's language; any other text unchanged."""
    if not text:
        return text or ""
    versions = DEMO_TEXT.get(text)
    if versions is None:
        return text
    lang = lang or str(get_locale() or "en")
    return versions.get(lang, text)
