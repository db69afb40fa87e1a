"""Benchmark: do the dashboard targets still hold with meter data loaded?

The same 10k-log database as bench/run.py (200 schools, 3 years; reused from bench/data/
when present), served twice by gunicorn (2 sync workers) in one run:

- "without": the database as bench/run.py measures it;
- "with": a copy where every school has a water and an electricity meter read monthly
  for the whole period (a meter replacement half-way on school 1's water meter) and a
  baseline, so the school dashboard draws its measured section and the programme
  overview ranks all 200 schools by measured % reduction;

plus bare Flask (bench/bare_app.py) as the yardstick. wrk (2 threads, 4 connections)
measures each page warm, in alternating rounds (median kept), and the same targets as
bench/run.py are checked on the "with" figures: the school dashboard and the programme
overview each serve at least 25 % of bare Flask's requests per second, and loading the
meter data costs each page at most 10 % of its requests per second.

    .venv/bin/python bench/meters.py            # writes bench/meters_results.json
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402 - bench/run.py's data, server and wrk helpers

PORT = int(os.environ.get("BENCH_METERS_PORT", "5510"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PAGES = {"school_dashboard": "/dashboards/school/1", "overview": "/dashboards/programme"}


def add_meters(path: Path) -> int:
    """Two meters per school read on the 1st of every month, a baseline each; the
    readings written straight into the tables (the service's checks are not what is
    measured here). Returns the number of readings."""
    con = sqlite3.connect(path)
    now = datetime.now(UTC).isoformat(sep=" ")
    schools = con.execute("SELECT id, joined_on, pupils FROM schools ORDER BY id").fetchall()
    meter_rows, reading_rows, baselines = [], [], []
    meter_id = 0
    today = date.today()
    for school_id, joined_on, pupils in schools:
        joined = date.fromisoformat(joined_on)
        first = date(joined.year - 1, joined.month, 1)
        for kind, unit, per_month, start in (
            ("water", "m3", 30 + school_id % 7, 100),
            ("electricity", "kWh", 2000 + school_id, 5000),
        ):
            meter_id += 1
            meter_rows.append(
                (meter_id, school_id, kind, unit, f"{kind} {school_id}", "", 1, now, now)
            )
            value, month, n = start, first, 0
            while month <= today:
                kind_r, old_final = "index", None
                if school_id == 1 and kind == "water" and n == 18:
                    kind_r, old_final, value = "replacement", value, 0  # new meter at 0
                reading_rows.append(
                    (
                        meter_id,
                        kind_r,
                        month.isoformat(),
                        int(value * 1_000_000),
                        None,
                        None if old_final is None else int(old_final * 1_000_000),
                        "",
                        "",
                        "",
                        1,
                        now,
                        now,
                    )
                )
                # Use falls a little after joining (a measured saving to rank).
                value += per_month * (90 if month >= joined else 100) // 100
                n += 1
                month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        baselines.append((school_id, "year_before_joining", pupils, 1, now, now))
    con.executemany(
        "INSERT INTO meters (id, school_id, kind, unit, name, serial, "
        "created_by_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        meter_rows,
    )
    con.executemany(
        "INSERT INTO meter_readings (meter_id, kind, reading_date, value, "
        "period_start, old_final, new_serial, note, quality_flag, "
        "created_by_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        reading_rows,
    )
    con.executemany(
        "INSERT INTO meter_baselines (school_id, mode, baseline_pupils, "
        "updated_by_id, created_at, updated_at) VALUES (?,?,?,?,?,?)",
        baselines,
    )
    con.commit()
    con.close()
    return len(reading_rows)


def main() -> int:
    source = run.build("10k", run.SIZES["10k"])
    with tempfile.TemporaryDirectory(prefix="greenapp-bench-meters-") as tmp:
        plain, metered = Path(tmp) / "without.db", Path(tmp) / "with.db"
        shutil.copy(source, plain)
        shutil.copy(source, metered)
        readings = add_meters(metered)
        servers = {
            "bare": run.Server(
                None,
                port=PORT,
                app='bench.bare_app:create("bare")',
                ping="/",
                env=dict(os.environ, PYTHONPATH=str(ROOT)),
            ),
            "without": run.Server(plain, True, PORT + 1),
            "with": run.Server(metered, True, PORT + 2),
        }
        samples: dict[str, list[tuple[float, float]]] = {}
        try:
            cookies = {
                k: run.login("coordinator@bench.local", servers[k].port)
                for k in ("without", "with")
            }
            admins = {
                k: run.login("admin@bench.local", servers[k].port) for k in ("without", "with")
            }
            page = run.Browser(servers["with"].port).login("coordinator@bench.local")
            status, html = page.get(PAGES["school_dashboard"])
            assert status == 200 and "measured-saving" in html, "no measured section"
            admin = run.Browser(servers["with"].port).login("admin@bench.local")
            status, html = admin.get(PAGES["overview"])
            assert status == 200 and 'class="table ranking measured-rank"' in html, (
                "no measured ranking"
            )
            for _round in range(ROUNDS):
                samples.setdefault("bare", []).append(run.wrk("/", port=PORT))
                for label in ("without", "with"):
                    port = servers[label].port
                    for name, path in PAGES.items():
                        cookie = cookies[label] if name == "school_dashboard" else admins[label]
                        run.wrk(path, cookie, port)  # warm
                        samples.setdefault(f"{name}_{label}", []).append(
                            run.wrk(path, cookie, port)
                        )
        finally:
            for srv in servers.values():
                srv.stop()
    r: dict = {
        "date": date.today().isoformat(),
        "logs": run.SIZES["10k"],
        "schools": run.SCHOOLS,
        "meter_readings": readings,
        "machine": f"gunicorn 2 sync workers, wrk -t2 -c4 -d{run.WRK_SECONDS}s, "
        f"median of {ROUNDS} alternating rounds",
    }
    for key, vals in samples.items():
        r[f"{key}_p50_ms"] = round(statistics.median(v[0] for v in vals), 2)
        r[f"{key}_rps"] = round(statistics.median(v[1] for v in vals), 1)
    for name in PAGES:
        r[f"{name}_with_meters_pct_of_bare"] = round(100 * r[f"{name}_with_rps"] / r["bare_rps"], 1)
        r[f"{name}_with_meters_pct_of_without"] = round(
            100 * r[f"{name}_with_rps"] / r[f"{name}_without_rps"], 1
        )
    r["targets_met"] = {
        "dashboard warm with meters >= 90% of without": r["school_dashboard_with_rps"]
        >= 0.9 * r["school_dashboard_without_rps"],
        "overview warm with meters >= 90% of without": r["overview_with_rps"]
        >= 0.9 * r["overview_without_rps"],
        "dashboard warm with meters >= 25% of bare Flask": r["school_dashboard_with_rps"]
        >= 0.25 * r["bare_rps"],
        "overview warm with meters >= 25% of bare Flask": r["overview_with_rps"]
        >= 0.25 * r["bare_rps"],
    }
    (ROOT / "bench" / "meters_results.json").write_text(json.dumps(r, indent=2) + "\n")
    print(
        f"{'measure (warm, 10k logs)':<40}{'without':>10}{'with':>10}{'% bare':>9}{'% without':>11}"
    )
    for name in PAGES:
        print(
            f"{name + ' req/s':<40}{r[f'{name}_without_rps']:>10}{r[f'{name}_with_rps']:>10}"
            f"{r[f'{name}_with_meters_pct_of_bare']:>8}%"
            f"{r[f'{name}_with_meters_pct_of_without']:>10}%"
        )
        print(
            f"{name + ' p50 ms':<40}{r[f'{name}_without_p50_ms']:>10}{r[f'{name}_with_p50_ms']:>10}"
        )
    print(f"{'bare Flask req/s':<40}{r['bare_rps']:>20}")
    for check, ok in r["targets_met"].items():
        print(f"  {'OK  ' if ok else 'MISS'} {check}")
    return 0  # reported, like bench/run.py: only ratios within one run count


if __name__ == "__main__":
    sys.exit(main())
