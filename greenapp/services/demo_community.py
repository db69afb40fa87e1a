"""Demo data for the Green Community: challenges, guides, proposals, a flagged entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.community import Challenge
from greenapp.models.experts import Guide, Proposal
from greenapp.models.log import EcoLog
from greenapp.models.user import User
from greenapp.services import challenges, guides, proposals
from greenapp.services import logs as log_service

GUIDES = [
    ("guide", "water", "How to save water at home and at school",
     "## Where the water goes\n\nA dripping tap loses **20–30 litres a day**; a running "
     "toilet cistern up to **200 litres**.\n\n1. Check taps and cisterns every month.\n"
     "2. Read the meter before and after a night: any change is a leak.\n"
     "3. Log the litres you saved with a *metered reading* where you can."),
    ("tip", "water", "Read your water meter twice a week",
     "Write down the meter reading on Monday and Thursday. The difference is your real use; "
     "log savings as a **metered reading**."),
    ("guide", "energy", "Energy: lights, standby and heating",
     "- Switch off lights in empty classrooms.\n- Unplug chargers and TVs on standby "
     "(up to **10%** of a flat's electricity).\n- Close doors in winter: Kyzylorda winters "
     "are long."),
    ("guide", "waste", "Sorting waste in Kyzylorda",
     "Separate **paper**, **plastic**, **glass** and **metal**. Batteries go to the "
     "special boxes in supermarkets, never in the ordinary bin.\n\nWeigh each bag before "
     "you hand it in and log it by fraction."),
    ("guide", "trees", "Planting a saxaul or an elm",
     "Plant in **April** or **October**. Water weekly for the first summer. Log each tree "
     "with a photo as evidence."),
    ("guide", "outreach", "Talking about the Aral Sea with neighbours",
     "Short, local and practical works best: show the water meter, the sorted bags and the "
     "savings in tenge. Count the people you reached."),
]


# The same advice for Kazakh, Russian and Belarusian readers (the Minsk partner schools
# get their own city's waste guide); other guides fall back to the English ones above.
LOCAL_GUIDES = [
    ("tip", "water", "kk", "Су есептегішін аптасына екі рет тексеріңіз",
     "Есептегіштің көрсеткішін дүйсенбі мен бейсенбіде жазып алыңыз. Айырмасы — нақты "
     "шығын; үнемделген суды **есептегіш көрсеткіші** ретінде тіркеңіз."),
    ("tip", "water", "ru", "Снимайте показания счётчика воды дважды в неделю",
     "Записывайте показания в понедельник и в четверг. Разница — ваш реальный расход; "
     "сэкономленное вносите как **показание счётчика**."),
    ("guide", "waste", "kk", "Қызылордада қалдықтарды сұрыптау",
     "**Қағазды**, **пластикті**, **шыныны** және **металды** бөлек жинаңыз. Батареяларды "
     "кәдімгі қоқыс жәшігіне емес, дүкендердегі арнайы қораптарға салыңыз.\n\nӘр қапты "
     "тапсырар алдында өлшеп, фракциясы бойынша тіркеңіз."),
    ("guide", "waste", "ru", "Сортировка отходов в Кызылорде",
     "Собирайте отдельно **бумагу**, **пластик**, **стекло** и **металл**. Батарейки сдавайте "
     "в специальные боксы в супермаркетах, а не в обычный контейнер.\n\nВзвешивайте "
     "каждый пакет перед сдачей и вносите его по фракции."),
    ("tip", "water", "be", "Здымайце паказанні лічыльніка вады двойчы на тыдзень",
     "Запісвайце паказанні ў панядзелак і ў чацвер. Розніца — ваш сапраўдны расход; "
     "зэканомленае ўносьце як **паказанне лічыльніка**."),
    ("guide", "waste", "be", "Сартаванне адходаў у Мінску",
     "Збірайце асобна **паперу**, **пластык**, **шкло** і **метал**: у дварах Мінска для іх "
     "стаяць рознакаляровыя кантэйнеры. Батарэйкі здавайце ў спецыяльныя скрыні ў крамах, "
     "а не ў звычайны кантэйнер.\n\nУзважвайце кожны пакет перад здачай і ўносьце яго па "
     "фракцыі."),
]


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed_community(today: date) -> dict[str, int]:
    """Create the community demo data that is missing; a second run adds nothing."""
    created = {"challenges": 0, "guides": 0, "proposals": 0}
    scientist = _user("scientist@demo.greenapp.kz")
    resident = _user("resident@demo.greenapp.kz")
    lawyer = _user("lawyer@demo.greenapp.kz")
    coordinators = [u for u in (_user("coordinator@demo.greenapp.kz"),
                                _user("coordinator.minsk@demo.greenapp.by")) if u]
    if scientist is None:
        return created

    specs: list[tuple[str, str, str, str, date, date, str, bool, Sequence[User | None]]] = [
        ("Су үнемдеу айы · Месяц экономии воды", "water", "", "300", today - timedelta(days=14),
         today + timedelta(days=16), "residents", False, [resident]),
        ("Мектептер энергия үнемдейді · Школы экономят энергию", "energy", "", "2", today - timedelta(days=20),
         today + timedelta(days=10), "schools", True, coordinators),
        ("Пластикті сұрыптаймыз · Сортируем пластик", "waste", "plastic", "10", today - timedelta(days=5),
         today + timedelta(days=25), "both", False, [resident, *coordinators]),
    ]
    for title, category, fraction, target, start, end, audience, evidence, joiners in specs:
        if db.session.scalar(select(Challenge).where(Challenge.title == title)):
            continue
        challenge = challenges.create_challenge(scientist, challenges.ChallengeInput(
            title=title, description="", category=category, target=target,
            start_date=start, end_date=end, audience=audience, evidence_required=evidence,
            fraction=fraction))
        for user in joiners:
            if user is not None:
                challenges.join(user, challenge, today)
        created["challenges"] += 1

    for kind, category, title, body in GUIDES:
        if db.session.scalar(select(Guide).where(Guide.title == title)) is None:
            guides.save(scientist, guides.GuideInput(kind=kind, category=category, title=title,
                                                     body=body, languages=["en"]))
            created["guides"] += 1
    for kind, category, lang, title, body in LOCAL_GUIDES:
        if db.session.scalar(select(Guide).where(Guide.title == title)) is None:
            guides.save(scientist, guides.GuideInput(kind=kind, category=category, title=title,
                                                     body=body, languages=[lang]))
            created["guides"] += 1

    if resident is not None and not db.session.scalar(
            select(Proposal).where(Proposal.author_id == resident.id)):
        proposals.submit(resident, proposals.ProposalInput(
            kind="proposal", title="Separate bins for plastic in every courtyard",
            text="Our courtyard sorts plastic every week, but the only plastic bin is 800 m "
                 "away. Please place one in every courtyard of the Central district.",
            category="waste", district="Central", evidence_path="/community/challenges/"))
        decided = proposals.submit(resident, proposals.ProposalInput(
            kind="demand", title="Repair the leaking standpipe on Auezov Street",
            text="The standpipe near Auezov St 14 has leaked for three months; the meter "
                 "shows about 2 m³ a day lost.", category="water", district="Central"))
        if lawyer is not None:
            proposals.review(lawyer, decided, "under_review", "", "")
            proposals.review(
                lawyer, decided, "forwarded",
                "Law of the Republic of Kazakhstan on Local Government and Self-Government, "
                "art. 27 (duties of the akimat in housing and utilities)",
                "Forwarded to the city akimat's housing and utilities department for repair.")
        created["proposals"] += 2

    if resident is not None and not db.session.scalar(
            select(EcoLog).where(EcoLog.resident_id == resident.id,
                                 EcoLog.review_status == "flagged")):
        # An implausible entry (a meter reading in litres typed as cubic metres) for the
        # scientists' data-quality queue.
        log_service.create_log(resident, log_service.LogInput(
            category="water", quantity="9", unit="m3", action_date=today - timedelta(days=1),
            evidence="self", note="weekly shower savings"))
    return created
