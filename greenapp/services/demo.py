"""Demo data: schools, one account per role and a year of plausible logs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from greenapp.extensions import db
from greenapp.models.audit import AuditRecord
from greenapp.models.log import EcoLog
from greenapp.models.school import COUNTRY_TIMEZONES, School, SchoolTarget
from greenapp.models.user import User
from greenapp.services import summary
from greenapp.services.units import FRACTIONS

# (name, city, country, address, pupils)
DEMO_SCHOOLS = [
    ("№3 мектеп-лицей", "Kyzylorda", "KZ", "Әуезов к-сі, 12", 1180),
    ("№12 орта мектеп", "Kyzylorda", "KZ", "Абай даңғылы, 45", 860),
    ("№5 гимназия", "Kyzylorda", "KZ", "Тоқмағамбетов к-сі, 7", 1420),
    ("№264 орта мектеп", "Kyzylorda", "KZ", "Қорқыт ата к-сі, 88", 540),
    ("Тасбөгет кентіндегі №31 мектеп", "Kyzylorda", "KZ", "Тасбөгет, Орталық к-сі, 3", 310),
    ("Гімназія № 23 г. Мінска", "Minsk", "BY", "Маскоўскі раён, вул. Голубева, 9", 990),
    (
        "Сярэдняя школа № 137 г. Мінска",
        "Minsk",
        "BY",
        "Маскоўскі раён, Калінінградскі зав., 12",
        720,
    ),
]

# Demo accounts: development only; the passwords are printed by `make run`.
DEMO_PASSWORD = "green-demo-2026"  # noqa: S105 - documented demo password, development only
DEMO_USERS = [
    ("admin@demo.greenapp.kz", "Әйгерім Сейітова", "admin", None),
    ("coordinator@demo.greenapp.kz", "Дана Жұмабаева", "coordinator", 0),
    ("coordinator.minsk@demo.greenapp.by", "Вольга Каваленка", "coordinator", 5),
    ("resident@demo.greenapp.kz", "Нұрлан Әбенов", "resident", None),
    ("scientist@demo.greenapp.kz", "Сәуле Ахметова", "scientist", None),
    ("economist@demo.greenapp.kz", "Марат Исаев", "economist", None),
    ("lawyer@demo.greenapp.kz", "Жанна Омарова", "lawyer", None),
]
# The Minsk coordinator reads the interface in Belarusian (the others choose in the header).
DEMO_LOCALES = {"coordinator.minsk@demo.greenapp.by": "be"}

# Typical monthly canonical quantities per pupil (rough, for plausible charts).
PER_PUPIL_MONTH = {"water": 40.0, "energy": 1.2, "waste": 0.6}
TARGET_PER_PUPIL_YEAR = {"water": 500, "energy": 15, "waste": 8, "trees": 0.05, "outreach": 3}


def seed(today: date, rng_seed: int = 2026) -> dict[str, int]:
    """Create whatever demo data is missing; running it twice changes nothing."""
    created = {"schools": 0, "users": 0, "logs": 0}
    schools: list[School] = []
    for name, city, country, address, pupils in DEMO_SCHOOLS:
        school = db.session.scalar(select(School).where(School.name == name))
        if school is None:
            school = School(
                name=name,
                city=city,
                country=country,
                address=address,
                pupils=pupils,
                joined_on=today.replace(day=1) - timedelta(days=400),
                timezone=COUNTRY_TIMEZONES[country],
            )
            for category, per_pupil in TARGET_PER_PUPIL_YEAR.items():
                quantity = Decimal(str(round(per_pupil * pupils)))
                school.targets.append(SchoolTarget(category=category, quantity=quantity))
            db.session.add(school)
            created["schools"] += 1
        schools.append(school)
    db.session.flush()

    for email, name, role, school_index in DEMO_USERS:
        if db.session.scalar(select(User).where(User.email == email)) is None:
            user = User(
                email=email,
                display_name=name,
                role=role,
                school=schools[school_index] if school_index is not None else None,
                district="Орталық" if role == "resident" else None,
                locale=DEMO_LOCALES.get(email),
                # registered before the year of entries seeded for them
                created_at=datetime.now(UTC) - timedelta(days=400),
            )
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            created["users"] += 1
    db.session.flush()

    rng = random.Random(rng_seed)
    for index, school in enumerate(schools):
        has_logs = db.session.scalar(
            select(func.count()).select_from(EcoLog).where(EcoLog.school_id == school.id)
        )
        if has_logs:
            continue
        coordinator = db.session.scalar(
            select(User).where(User.school_id == school.id)
        ) or db.session.scalar(select(User).where(User.role == "admin"))
        if coordinator is None:  # no account yet to log for
            continue
        rows = list(_school_logs(rng, school, coordinator.id, today, index))
        if rows:
            db.session.execute(insert(EcoLog), rows)
            created["logs"] += len(rows)
    resident = db.session.scalar(select(User).where(User.role == "resident"))
    if resident is not None and not db.session.scalar(
        select(func.count()).select_from(EcoLog).where(EcoLog.resident_id == resident.id)
    ):
        rows = list(_resident_logs(rng, resident.id, today))
        db.session.execute(insert(EcoLog), rows)
        created["logs"] += len(rows)
    if created["logs"]:
        _audit_seeded()
        summary.rebuild()
    from greenapp.services.demo_community import seed_community

    created.update(seed_community(today))
    return created


def _row(
    owner: dict,
    category: str,
    qty: Decimal,
    unit: str,
    canonical: Decimal,
    day: date,
    evidence: str,
    by: int,
    fraction: str = "",
) -> dict:
    return {
        **owner,
        "category": category,
        "fraction": fraction,
        "quantity_entered": qty,
        "unit_entered": unit,
        "quantity": canonical,
        "action_date": day,
        "evidence": evidence,
        "note": "",
        "created_by_id": by,
    }


def _school_logs(rng: random.Random, school: School, by: int, today: date, index: int):
    owner = {"school_id": school.id, "resident_id": None}
    start = today - timedelta(days=364)
    growth = 1.0 + 0.08 * (index % 3)
    for offset in range(0, 365, 7):  # one round of entries a week
        day = start + timedelta(days=offset + rng.randint(0, 4))
        if day > today:
            continue
        season = 1.0 + 0.25 * (1 if day.month in (12, 1, 2) else 0)
        scale = school.pupils / 4.3 * growth
        water_l = Decimal(round(PER_PUPIL_MONTH["water"] * scale * rng.uniform(0.6, 1.4)))
        m3 = (water_l / 1000).quantize(Decimal("0.001"))
        # "Metered" only where the demo meters' monthly readings cover the day (log_rules).
        read = day < today.replace(day=1)
        yield _row(owner, "water", m3, "m3", m3 * 1000, day, "metered" if read else "self", by)
        kwh = Decimal(
            str(round(PER_PUPIL_MONTH["energy"] * scale * season * rng.uniform(0.6, 1.4), 1))
        )
        ev = rng.choice(["metered", "document"])
        yield _row(
            owner,
            "energy",
            kwh,
            "kWh",
            kwh,
            day,
            "self" if ev == "metered" and not read else ev,
            by,
        )
        fraction = FRACTIONS[offset // 7 % len(FRACTIONS)]
        kg = Decimal(str(round(PER_PUPIL_MONTH["waste"] * scale * rng.uniform(0.5, 1.5), 1)))
        yield _row(
            owner, "waste", kg, "kg", kg, day, rng.choice(["document", "self"]), by, fraction
        )
        if day.month in (4, 5, 9, 10) and rng.random() < 0.5:
            trees = Decimal(rng.randint(3, 25))
            yield _row(owner, "trees", trees, "trees", trees, day, "document", by)
        if rng.random() < 0.35:
            people = Decimal(rng.randint(20, 250))
            yield _row(owner, "outreach", people, "people", people, day, "self", by)


def _resident_logs(rng: random.Random, resident_id: int, today: date):
    owner = {"school_id": None, "resident_id": resident_id}
    for offset in range(0, 120, 10):
        day = today - timedelta(days=offset + 1)
        litres = Decimal(rng.randint(50, 400))
        yield _row(owner, "water", litres, "L", litres, day, "self", resident_id)
        grams = Decimal(rng.randint(500, 4000))
        yield _row(owner, "waste", grams, "g", grams / 1000, day, "self", resident_id, "plastic")


def _audit_seeded() -> None:
    """Give every seeded log a 'create' audit record, as a logged one would have."""
    existing = select(AuditRecord.entity_id).where(AuditRecord.entity_type == "log")
    rows = db.session.execute(
        select(EcoLog.id, EcoLog.created_by_id).where(EcoLog.id.not_in(existing))
    ).all()
    if rows:
        db.session.execute(
            insert(AuditRecord),
            [
                {
                    "entity_type": "log",
                    "entity_id": i,
                    "action": "create",
                    "actor_id": by,
                    "changes": {"seeded": [None, True]},
                }
                for i, by in rows
            ],
        )
