"""Demo data for the Green Community: challenges, guides, proposals, a flagged entry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.community import Challenge
from greenapp.models.experts import Guide, Proposal
from greenapp.models.log import EcoLog
from greenapp.models.user import User
from greenapp.services import challenges, guides, proposals
from greenapp.services import logs as log_service

# Every guide and tip in the four interface languages (kind, category, language, title, body);
# readers get the one in their language. The Belarusian ones are written for Minsk.
GUIDES = [
    (
        "guide",
        "water",
        "en",
        "How to save water at home and at school",
        "## Where the water goes\n\nA dripping tap loses **20–30 litres a day**; a running "
        "toilet cistern up to **200 litres**.\n\n1. Check taps and cisterns every month.\n"
        "2. Read the meter before and after a night: any change is a leak.\n"
        "3. Log the litres you saved with a *metered reading* where you can.",
    ),
    (
        "guide",
        "water",
        "kk",
        "Үйде және мектепте суды қалай үнемдеуге болады",
        "## Су қайда кетеді\n\nТамшылап тұрған шүмек тәулігіне **20–30 литр** су жоғалтады, "
        "ағып тұрған унитаз бачогы — **200 литрге** дейін.\n\n1. Шүмектер мен бачоктарды ай "
        "сайын тексеріңіз.\n2. Есептегіштің көрсеткішін кешке және таңертең жазып алыңыз: "
        "түнде пайда болған кез келген айырма — су ағып жатқанының белгісі.\n3. Үнемделген "
        "литрлерді мүмкіндігінше *есептегіш көрсеткішімен* тіркеңіз.",
    ),
    (
        "guide",
        "water",
        "ru",
        "Как экономить воду дома и в школе",
        "## Куда уходит вода\n\nКапающий кран теряет **20–30 литров в сутки**, подтекающий "
        "сливной бачок — до **200 литров**.\n\n1. Проверяйте краны и бачки каждый месяц.\n"
        "2. Снимите показания счётчика вечером и утром: любая разница за ночь — это утечка.\n"
        "3. Записывайте сэкономленные литры с *показаниями счётчика*, где это возможно.",
    ),
    (
        "guide",
        "water",
        "be",
        "Як эканоміць ваду дома і ў школе",
        "## Куды сыходзіць вада\n\nКран, з якога капае, губляе **20–30 літраў за суткі**, "
        "сліўны бачок, які працякае, — да **200 літраў**.\n\n1. Правярайце краны і бачкі "
        "кожны месяц.\n2. Зніміце паказанні лічыльніка ўвечары і раніцай: любая розніца за "
        "ноч — гэта ўцечка.\n3. Запісвайце зэканомленыя літры з *паказаннямі лічыльніка*, дзе "
        "гэта магчыма.",
    ),
    (
        "tip",
        "water",
        "en",
        "Read your water meter twice a week",
        "Write down the meter reading on Monday and Thursday. The difference is your real use; "
        "log savings as a **metered reading**.",
    ),
    (
        "tip",
        "water",
        "kk",
        "Су есептегішін аптасына екі рет тексеріңіз",
        "Есептегіштің көрсеткішін дүйсенбі мен бейсенбіде жазып алыңыз. Айырмасы — нақты "
        "шығын; үнемделген суды **есептегіш көрсеткіші** ретінде тіркеңіз.",
    ),
    (
        "tip",
        "water",
        "ru",
        "Снимайте показания счётчика воды дважды в неделю",
        "Записывайте показания в понедельник и в четверг. Разница — ваш реальный расход; "
        "сэкономленное вносите как **показание счётчика**.",
    ),
    (
        "tip",
        "water",
        "be",
        "Здымайце паказанні лічыльніка вады двойчы на тыдзень",
        "Запісвайце паказанні ў панядзелак і ў чацвер. Розніца — ваш сапраўдны расход; "
        "зэканомленае ўносьце як **паказанне лічыльніка**.",
    ),
    (
        "guide",
        "energy",
        "en",
        "Energy: lights, standby and heating",
        "- Switch off lights in empty classrooms.\n- Unplug chargers and TVs on standby "
        "(up to **10%** of a flat's electricity).\n- Close doors in winter: Kyzylorda winters "
        "are long.",
    ),
    (
        "guide",
        "energy",
        "kk",
        "Энергия: жарық, күту режимі және жылыту",
        "- Бос сыныптарда жарықты сөндіріңіз.\n- Зарядтағыштар мен күту режиміндегі "
        "теледидарларды розеткадан ажыратыңыз (пәтердегі электр энергиясының **10%-ына** "
        "дейін).\n- Қыста есіктерді жабық ұстаңыз: Қызылорданың қысы ұзақ.",
    ),
    (
        "guide",
        "energy",
        "ru",
        "Энергия: свет, режим ожидания и отопление",
        "- Выключайте свет в пустых классах.\n- Отключайте от сети зарядные устройства и "
        "телевизоры в режиме ожидания (до **10%** электроэнергии квартиры).\n- Зимой "
        "закрывайте двери: зима в Кызылорде долгая.",
    ),
    (
        "guide",
        "energy",
        "be",
        "Энергія: святло, рэжым чакання і ацяпленне",
        "- Выключайце святло ў пустых класах.\n- Адключайце ад сеткі зарадныя прылады і "
        "тэлевізары ў рэжыме чакання (да **10%** электраэнергіі кватэры).\n- Зімой "
        "зачыняйце дзверы: зіма ў Мінску доўгая.",
    ),
    (
        "guide",
        "waste",
        "en",
        "Sorting waste in Kyzylorda",
        "Separate **paper**, **plastic**, **glass** and **metal**. Batteries go to the "
        "special boxes in supermarkets, never in the ordinary bin.\n\nWeigh each bag before "
        "you hand it in and log it by fraction.",
    ),
    (
        "guide",
        "waste",
        "kk",
        "Қызылордада қалдықтарды сұрыптау",
        "**Қағазды**, **пластикті**, **шыныны** және **металды** бөлек жинаңыз. Батареяларды "
        "кәдімгі қоқыс жәшігіне емес, дүкендердегі арнайы қораптарға салыңыз.\n\nӘр қапты "
        "тапсырар алдында өлшеп, фракциясы бойынша тіркеңіз.",
    ),
    (
        "guide",
        "waste",
        "ru",
        "Сортировка отходов в Кызылорде",
        "Собирайте отдельно **бумагу**, **пластик**, **стекло** и **металл**. Батарейки сдавайте "
        "в специальные боксы в супермаркетах, а не в обычный контейнер.\n\nВзвешивайте "
        "каждый пакет перед сдачей и записывайте его по фракции.",
    ),
    (
        "guide",
        "waste",
        "be",
        "Сартаванне адходаў у Мінску",
        "Збірайце асобна **паперу**, **пластык**, **шкло** і **метал**: у дварах Мінска для іх "
        "стаяць рознакаляровыя кантэйнеры. Батарэйкі здавайце ў спецыяльныя скрыні ў крамах, "
        "а не ў звычайны кантэйнер.\n\nУзважвайце кожны пакет перад здачай і запісвайце яго "
        "па фракцыі.",
    ),
    (
        "tip",
        "waste",
        "en",
        "Weigh the bag before you hand it in",
        "A kitchen scale is enough: weigh each bag of sorted waste and log it by fraction, "
        "in kilograms.",
    ),
    (
        "tip",
        "waste",
        "kk",
        "Қапты тапсырар алдында өлшеңіз",
        "Ас үй таразысы жеткілікті: сұрыпталған қалдықтың әр қабын өлшеп, фракциясы бойынша "
        "килограммен тіркеңіз.",
    ),
    (
        "tip",
        "waste",
        "ru",
        "Взвешивайте пакет перед сдачей",
        "Хватит кухонных весов: взвесьте каждый пакет с рассортированными отходами и запишите "
        "его по фракции в килограммах.",
    ),
    (
        "tip",
        "waste",
        "be",
        "Узважвайце пакет перад здачай",
        "Дастаткова кухонных вагаў: узважце кожны пакет з рассартаванымі адходамі і запішыце "
        "яго па фракцыі ў кілаграмах.",
    ),
    (
        "guide",
        "trees",
        "en",
        "Planting a saxaul or an elm",
        "Plant in **April** or **October**. Water weekly for the first summer. Log each tree "
        "with a photo as evidence.",
    ),
    (
        "guide",
        "trees",
        "kk",
        "Сексеуіл немесе қарағаш отырғызу",
        "**Сәуірде** немесе **қазанда** отырғызыңыз. Бірінші жазда аптасына бір рет суарыңыз. "
        "Әр ағашты дәлел ретінде фотосуретімен тіркеңіз.",
    ),
    (
        "guide",
        "trees",
        "ru",
        "Сажаем саксаул или карагач",
        "Сажайте в **апреле** или **октябре**. Первым летом поливайте раз в неделю. "
        "Записывайте каждое дерево с фотографией как источником данных.",
    ),
    (
        "guide",
        "trees",
        "be",
        "Як пасадзіць ліпу або клён",
        "Садзіце ў **красавіку** або **кастрычніку**. Першым летам палівайце раз на тыдзень. "
        "Запісвайце кожнае дрэва з фотаздымкам як крыніцай даных.",
    ),
    (
        "guide",
        "outreach",
        "en",
        "Talking about the Aral Sea with neighbours",
        "Short, local and practical works best: show the water meter, the sorted bags and the "
        "savings in tenge. Count the people you reached.",
    ),
    (
        "guide",
        "outreach",
        "kk",
        "Көршілермен Арал теңізі туралы әңгімелесу",
        "Қысқа, жергілікті әрі нақты әңгіме жақсы әсер етеді: су есептегішін, сұрыпталған "
        "қаптарды және теңгемен үнемделген соманы көрсетіңіз. Ақпарат жеткізген адамдарды "
        "санап, тіркеңіз.",
    ),
    (
        "guide",
        "outreach",
        "ru",
        "Как говорить с соседями об Арале",
        "Лучше всего работает короткий, местный и практичный разговор: покажите счётчик воды, "
        "рассортированные пакеты и экономию в тенге. Считайте людей, до которых вы донесли "
        "информацию.",
    ),
    (
        "guide",
        "outreach",
        "be",
        "Як гаварыць з суседзямі пра ваду і адходы",
        "Лепш за ўсё дзейнічае кароткая, мясцовая і практычная размова: пакажыце лічыльнік "
        "вады, рассартаваныя пакеты і эканомію ў рублях. Лічыце людзей, да якіх вы данеслі "
        "інфармацыю.",
    ),
]


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed_community(today: date) -> dict[str, int]:
    """Create the community demo data that is missing; a second run adds nothing."""
    created = {"challenges": 0, "guides": 0, "proposals": 0}
    scientist = _user("scientist@demo.greenapp.kz")
    resident = _user("resident@demo.greenapp.kz")
    lawyer = _user("lawyer@demo.greenapp.kz")
    coordinators = [
        u
        for u in (
            _user("coordinator@demo.greenapp.kz"),
            _user("coordinator.minsk@demo.greenapp.by"),
        )
        if u
    ]
    if scientist is None:
        return created

    specs: list[tuple[Any, ...]] = [
        # Stored in English and shown in the reader's language (services/demo_text.py).
        (
            "Water saving month",
            "Save 300 litres each in a month: fix dripping taps, read your "
            "meter and log what you saved.",
            "water",
            "",
            "300",
            today - timedelta(days=14),
            today + timedelta(days=16),
            "residents",
            False,
            [resident],
        ),
        (
            "Schools save energy",
            "Two kWh per pupil in a month: lights off in empty classrooms, "
            "nothing left on standby. Only metered or documented entries count.",
            "energy",
            "",
            "2",
            today - timedelta(days=20),
            today + timedelta(days=10),
            "schools",
            True,
            coordinators,
        ),
        (
            "We sort plastic",
            "Ten kilograms of plastic each in a month, weighed before you hand it in.",
            "waste",
            "plastic",
            "10",
            today - timedelta(days=5),
            today + timedelta(days=25),
            "both",
            False,
            [resident, *coordinators],
        ),
    ]
    for (
        title,
        description,
        category,
        fraction,
        target,
        start,
        end,
        audience,
        evidence,
        joiners,
    ) in specs:
        if db.session.scalar(select(Challenge).where(Challenge.title == title)):
            continue
        challenge = challenges.create_challenge(
            scientist,
            challenges.ChallengeInput(
                title=title,
                description=description,
                category=category,
                target=target,
                start_date=start,
                end_date=end,
                audience=audience,
                evidence_required=evidence,
                fraction=fraction,
            ),
        )
        for user in joiners:
            if user is not None:
                challenges.join(user, challenge, today)
        created["challenges"] += 1

    for kind, category, lang, title, body in GUIDES:
        if db.session.scalar(select(Guide).where(Guide.title == title)) is None:
            guides.save(
                scientist,
                guides.GuideInput(
                    kind=kind, category=category, title=title, body=body, languages=[lang]
                ),
            )
            created["guides"] += 1

    if resident is not None and not db.session.scalar(
        select(Proposal).where(Proposal.author_id == resident.id)
    ):
        proposals.submit(
            resident,
            proposals.ProposalInput(
                kind="proposal",
                title="Separate bins for plastic in every courtyard",
                text="Our courtyard sorts plastic every week, but the only plastic bin is 800 m "
                "away. Please place one in every courtyard of the Central district.",
                category="waste",
                district="Орталық",
                evidence_path="/community/challenges/",
            ),
        )
        decided = proposals.submit(
            resident,
            proposals.ProposalInput(
                kind="demand",
                title="Repair the leaking standpipe on Auezov Street",
                text="The standpipe near Auezov St 14 has leaked for three months; the meter "
                "shows about 2 m³ a day lost.",
                category="water",
                district="Орталық",
            ),
        )
        if lawyer is not None:
            proposals.review(lawyer, decided, "under_review", "", "")
            proposals.review(
                lawyer,
                decided,
                "forwarded",
                "Law of the Republic of Kazakhstan on Local Government and Self-Government, "
                "art. 27 (duties of the akimat in housing and utilities)",
                "Forwarded to the city akimat's housing and utilities department for repair.",
            )
        created["proposals"] += 2

    if resident is not None and not db.session.scalar(
        select(EcoLog).where(EcoLog.resident_id == resident.id, EcoLog.review_status == "flagged")
    ):
        # An implausible entry (a meter reading in litres typed as cubic metres) for the
        # scientists' data-quality queue.
        log_service.create_log(
            resident,
            log_service.LogInput(
                category="water",
                quantity="9",
                unit="m3",
                action_date=today - timedelta(days=1),
                evidence="self",
                note="Weekly shower savings",
            ),
        )
    return created
