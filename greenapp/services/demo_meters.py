"""Demo meters: water and electricity readings with a baseline for every demo school.

Idempotent: a school that already has meters is left alone. Readings are monthly
indexes from a year before the school joined until this month; each school uses a bit
less after joining (a different share per school), so the programme ranking has an order.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from greenapp.extensions import db
from greenapp.models.meters import Meter, MeterBaseline, MeterReading
from greenapp.models.school import School
from greenapp.models.user import ADMIN, User
from greenapp.services import cache
from greenapp.services.meters import add_months, month_start

SEASON = [1.35, 1.3, 1.2, 1.05, 0.9, 0.5, 0.35, 0.4, 1.0, 1.15, 1.25, 1.3]  # school year


def seed_meters(today: date, rng_seed: int = 2026) -> int:
    """Add demo meters and readings where a school has none; return readings added."""
    admin = db.session.scalar(select(User).where(User.role == ADMIN).order_by(User.id))
    if admin is None:
        return 0
    rng = random.Random(rng_seed)  # noqa: S311  # nosec B311 - demo data, not secrets
    added = 0
    for school in db.session.scalars(select(School).order_by(School.id)):
        has = db.session.scalar(select(Meter.id).where(Meter.school_id == school.id))
        if has is not None or not school.pupils:
            continue
        cut = Decimal(str(round(rng.uniform(0.72, 1.02), 2)))
        for kind, unit, name, per_pupil, start in (
            ("water", "m3", "Су / Water", Decimal("0.045"), Decimal(1200)),
            ("electricity", "kWh", "Электр / Electricity", Decimal("4.2"), Decimal(50000)),
        ):
            meter = Meter(
                school_id=school.id,
                kind=kind,
                unit=unit,
                name=name,
                serial=f"{kind[0].upper()}-{school.id:03d}",
                created_by_id=admin.id,
            )
            db.session.add(meter)
            db.session.flush()
            index = start
            month = add_months(month_start(school.joined_on), -12)
            while month <= today:
                db.session.add(
                    MeterReading(
                        meter_id=meter.id,
                        kind="index",
                        reading_date=month,
                        value=index,
                        created_by_id=admin.id,
                    )
                )
                added += 1
                use = per_pupil * school.pupils * Decimal(str(SEASON[month.month - 1]))
                use *= Decimal(str(round(rng.uniform(0.95, 1.05), 3)))
                if month >= month_start(school.joined_on):
                    use *= cut
                index += use.quantize(Decimal("0.01"))
                month = add_months(month, 1)
        db.session.add(
            MeterBaseline(
                school_id=school.id,
                mode="year_before_joining",
                baseline_pupils=school.pupils,
                updated_by_id=admin.id,
            )
        )
    if added:
        cache.invalidate_everything()
    return added
