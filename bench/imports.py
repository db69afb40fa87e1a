"""Benchmark: a 100,000-row CSV import (dry run, commit, undo) against a raw executemany.

In one process and one run (ROUNDS rounds, interleaved; medians), on a private database (SQLite by default; set
BENCH_IMPORT_DB to a PostgreSQL URL of a database you created for it):

- raw: the same 100,000 rows (already validated) written with the driver's bare
  executemany into the same tables the commit writes (eco_logs and audit_records), and
  committed: the floor any import has to pay;
- dry run: services/imports.preview (read the CSV, check every row with the form's
  rules, mark duplicates, keep the batch);
- commit: services/imports.commit (read and check again, then the set-based write
  pipeline: entries, audit, daily/monthly/programme summaries, the data-quality rule,
  challenges, cache invalidation) and the transaction's commit;
- undo: services/imports.undo of that batch.

Target (issue 11): commit <= 3x raw.

    .venv/bin/python bench/imports.py       # writes bench/import_results.json ("sqlite")
    BENCH_IMPORT_DB=postgresql+psycopg://postgres@127.0.0.1:5432/greenapp_bench_h8 \
        .venv/bin/python bench/imports.py   # an empty database you created: "postgresql"
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
ROUNDS = int(os.environ.get("BENCH_IMPORT_ROUNDS", "3"))
OUT = ROOT / "bench" / "import_results.json"


def make_csv(rows: int, seed: int = 2026) -> bytes:
    """A coordinator's year: water, energy and waste rows over 700 days, with refs."""
    rng = random.Random(seed)
    today = date.today()
    lines = ["date;category;fraction;quantity;unit;evidence;note;reference"]
    kinds = [
        ("water", "", "L", 50, 400),
        ("energy", "", "kWh", 5, 60),
        ("waste", "paper", "kg", 1, 30),
        ("waste", "plastic", "kg", 1, 20),
    ]
    for n in range(rows):
        cat, frac, unit, lo, hi = kinds[n % len(kinds)]
        day = today - timedelta(days=1 + n % 700)
        qty = f"{rng.uniform(lo, hi):.2f}"
        lines.append(f"{day.isoformat()};{cat};{frac};{qty};{unit};self;bill {n % 97};R-{n:06d}")
    return ("\n".join(lines) + "\n").encode()


def setup(env: dict) -> None:
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade", "heads"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )


def main() -> int:
    tmp = tempfile.mkdtemp(prefix="greenapp-bench-import-")
    url = os.environ.get("BENCH_IMPORT_DB") or f"sqlite:///{tmp}/bench.db"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_APP": "greenapp:create_app",
        "GREENAPP_ENV": os.environ.get("GREENAPP_ENV", "development"),
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: v for k, v in env.items() if k in ("DATABASE_URL", "GREENAPP_ENV")})
    os.environ.pop("REDIS_URL", None)
    setup(env)

    from sqlalchemy import func, select

    from greenapp import create_app
    from greenapp.extensions import db
    from greenapp.models.audit import AuditRecord
    from greenapp.models.base import utcnow
    from greenapp.models.log import EcoLog
    from greenapp.models.school import School
    from greenapp.models.user import User
    from greenapp.services import bulk_write
    from greenapp.services import imports as import_service
    from greenapp.services.log_rules import AUDITED_FIELDS

    app = create_app()
    content = make_csv(ROWS)
    result: dict = {"rows": ROWS, "file_mb": round(len(content) / 2**20, 2)}
    with app.test_request_context():
        result["database"] = db.engine.dialect.name

        def new_school(name: str) -> School:
            s = School(
                name=name,
                city="Kyzylorda",
                country="KZ",
                pupils=800,
                joined_on=date.today() - timedelta(days=800),
                timezone="Asia/Qyzylorda",
            )
            db.session.add(s)
            return s

        school = new_school("Bench import school")
        # An admin imports for any school: each round writes into a new school, as the raw
        # writer does (a school's earlier, undone rounds would tax only the import).
        user = User(email="bench-import@example.org", display_name="Bench", role="admin")
        user.set_password("bench-password-2026")  # noqa: S106 - throwaway account
        db.session.add(user)
        db.session.commit()

        # The same rows, validated, as the raw writer gets them (prepared outside the timer).
        analysis = import_service.analyse(content, school)
        assert analysis.count(import_service.NEW) == ROWS, analysis.rows[0].reason
        stamp = utcnow()
        varying = {name: [r.values[name] for r in analysis.rows] for name in bulk_write.CHECKED}
        varying["external_ref"] = [r.external_ref for r in analysis.rows]
        audit_cols, audit_rows = bulk_write.bound_rows(
            AuditRecord.__table__,
            {
                "entity_id": [0] * ROWS,
                "changes": [
                    {f: [None, str(r.values[f])] for f in AUDITED_FIELDS} for r in analysis.rows
                ],
            },
            {"entity_type": "log", "action": "create", "actor_id": user.id, "at": stamp},
        )
        dialect = db.engine.dialect.name
        mark = "?" if dialect == "sqlite" else "%s"
        times: dict[str, list[float]] = {"raw": [], "dry_run": [], "commit": [], "undo": []}

        for _round in range(ROUNDS):  # interleaved: raw, dry run, commit, undo
            raw_school = new_school(f"Bench raw school {_round}")
            school = new_school(f"Bench import school {_round}")
            db.session.commit()
            log_cols, log_rows = bulk_write.bound_rows(
                EcoLog.__table__,
                varying,
                {
                    "school_id": raw_school.id,
                    "resident_id": None,
                    "created_by_id": user.id,
                    "version": 1,
                    "deleted_at": None,
                    "deleted_by_id": None,
                    "review_status": "ok",
                    "review_reason": "",
                    "reviewed_by_id": None,
                    "reviewed_at": None,
                    "import_batch_id": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            )
            db.session.commit()  # no open read transaction while the raw writer writes
            # raw: bare executemany into eco_logs and audit_records, then commit.
            conn = db.engine.raw_connection()
            try:
                cur = conn.cursor()
                t0 = time.perf_counter()
                if dialect == "sqlite":  # the app's driver setting leaves BEGIN to the caller
                    cur.execute("BEGIN IMMEDIATE")
                cur.executemany(
                    f"INSERT INTO eco_logs ({', '.join(log_cols)}) VALUES "
                    f"({', '.join([mark] * len(log_cols))})",
                    log_rows,
                )
                cur.execute(
                    f"SELECT id FROM eco_logs WHERE school_id = {mark} ORDER BY id",
                    (raw_school.id,),
                )
                ids = [row[0] for row in cur.fetchall()]
                cur.executemany(
                    f"INSERT INTO audit_records ({', '.join(audit_cols)}) VALUES "
                    f"({', '.join([mark] * len(audit_cols))})",
                    [
                        (log_id, *rest)
                        for (_zero, *rest), log_id in zip(audit_rows, ids, strict=True)
                    ],
                )
                conn.commit()
                times["raw"].append(time.perf_counter() - t0)
            finally:
                conn.close()

            t0 = time.perf_counter()
            batch = import_service.preview(user, school, "bench.csv", content)
            db.session.commit()
            times["dry_run"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            added = import_service.commit(user, batch)
            db.session.commit()
            times["commit"].append(time.perf_counter() - t0)
            assert added == ROWS, added

            t0 = time.perf_counter()
            removed = import_service.undo(user, batch)
            db.session.commit()
            times["undo"].append(time.perf_counter() - t0)
            assert removed == ROWS
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(EcoLog)
                    .where(EcoLog.school_id == school.id, EcoLog.deleted_at.is_(None))
                )
                == 0
            )

    for name, values in times.items():
        key = "raw_executemany_s" if name == "raw" else f"{name}_s"
        result[key] = round(statistics.median(values), 3)
    result["rounds"] = ROUNDS
    result["commit_vs_raw_each_round"] = [
        round(c / r, 2) for c, r in zip(times["commit"], times["raw"], strict=True)
    ]
    raw = result["raw_executemany_s"]
    result["commit_vs_raw"] = round(result["commit_s"] / raw, 2)
    result["dry_run_vs_raw"] = round(result["dry_run_s"] / raw, 2)
    result["commit_rows_per_s"] = round(ROWS / result["commit_s"])
    result["target"] = "commit <= 3x raw executemany"
    result["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    runs = {}
    if OUT.exists():  # one entry per database; the other's last run is kept
        runs = {k: v for k, v in json.loads(OUT.read_text()).items() if isinstance(v, dict)}
    runs[result["database"]] = result
    OUT.write_text(json.dumps(runs, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
