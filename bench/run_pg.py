"""PostgreSQL benchmark (`make bench-pg`): 1M and 10M logs generated in the server,
served by gunicorn (2 sync workers) exactly as bench/run.py serves SQLite.

For each size: the school dashboard's warm p50 (wrk), the first programme overview
after a write (p50 over several writes, each waited out past the programme's allowed
lag so every overview is recomputed from the database), the cost of one log written
through the form (median per entry of the form's GET and its POST; the POST alone as
log_post_ms), and the naive GROUP BY over the raw logs. The sizes' servers run side
by side and take turns, round by round, so the shared machine's changing load falls on
every size alike. Writes bench/results-pg.json (with the load average before and after).

Each size lives in its own database (greenapp_bench_1m, greenapp_bench_10m;
BENCH_PG_DB_PREFIX changes the prefix, BENCH_PG_PORT the first port), reused when it
already holds that many logs (plus the few hundred entries earlier runs wrote through
the form). The build is set-based: logs by INSERT ... SELECT over generate_series (one
statement per million, foreign-key triggers off), secondary indexes after the load,
the summaries and rollups by GROUP BY, then VACUUM ANALYZE (10M: 554 s at a load
average of 10; 1M: 75 s).

    BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
    BENCH_PG_SIZES=1m,10m .venv/bin/python bench/run_pg.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402 - the SQLite benchmark's servers, browsers and wrk

ROOT = run.ROOT
BASE_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
WANTED = [s for s in os.environ.get("BENCH_PG_SIZES", "1m,10m").split(",") if s]
PORT = int(os.environ.get("BENCH_PG_PORT", run.PORT + 20))
COLD_SAMPLES = int(os.environ.get("BENCH_COLD_SAMPLES", "10"))
WRITE_ROUNDS = 6  # 1 s of writes through the form per size and round


def db_name(label: str) -> str:
    """One size's database (BENCH_PG_DB_PREFIX keeps parallel runs apart)."""
    return f"{os.environ.get('BENCH_PG_DB_PREFIX', 'greenapp_bench_')}{label}"


def db_url(label: str) -> str:
    """The SQLAlchemy URL of one size's database."""
    return (
        sa.engine.make_url(BASE_URL)
        .set(database=db_name(label))
        .render_as_string(hide_password=False)
    )


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _count(url: str) -> int | None:
    try:
        with psycopg.connect(_plain(url)) as con:
            return (
                con.execute("SELECT count(*) FROM eco_logs").fetchone()[0]
                if con.execute("SELECT to_regclass('programme_rollup')").fetchone()[0]
                else None
            )
    except psycopg.Error:
        return None


def build(label: str, n_logs: int) -> str:
    """Create (or reuse) the database with n_logs synthetic logs, generated in the server."""
    url = db_url(label)
    if (_count(url) or 0) >= n_logs:  # a previous run's few hundred writes are kept
        run.migrate(url)  # data built by an older checkout: the current schema
        return url
    admin = sa.create_engine(BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name(label)}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{db_name(label)}"'))
    admin.dispose()
    t0 = time.perf_counter()
    run.migrate(url)
    from werkzeug.security import generate_password_hash

    pw = generate_password_hash(run.PASSWORD, method="scrypt")
    now = datetime.now(UTC)
    start = date.today() - timedelta(days=run.DAYS - 1)
    rng = random.Random(42)
    with psycopg.connect(_plain(url)) as con:
        schools = []
        for i in range(1, run.SCHOOLS + 1):
            kz = i <= run.SCHOOLS // 2
            schools.append(
                (
                    i,
                    f"{'Kyzylorda' if kz else 'Minsk'} School No. {i}",
                    "Kyzylorda" if kz else "Minsk",
                    "KZ" if kz else "BY",
                    "",
                    rng.randint(300, 1500),
                    start - timedelta(days=30),
                    "Asia/Qyzylorda" if kz else "Europe/Minsk",
                    now,
                    now,
                )
            )
        with con.cursor() as cur:
            cur.executemany(
                "INSERT INTO schools (id, name, city, country, address, pupils, joined_on,"
                " timezone, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                schools,
            )
            # Schools refer to their city row (the migration seeds Kyzylorda and Minsk).
            cur.execute(
                "UPDATE schools SET city_id = "
                "(SELECT id FROM cities WHERE cities.name_en = schools.city)"
            )
            cur.executemany(
                "INSERT INTO school_targets (school_id, category, quantity) VALUES (%s,%s,%s)",
                [
                    (s[0], c, q * 1000)
                    for s in schools
                    for c, q in (("water", s[5] * 500), ("energy", s[5] * 15), ("waste", s[5] * 8))
                ],
            )
            cur.executemany(
                "INSERT INTO users (id, email, display_name, password_hash, role, "
                "school_id, active, public_listing, session_token, created_at, "
                "updated_at, email_confirmed_at) VALUES "
                "(%s,%s,%s,%s,%s,%s,true,true,md5(random()::text),%s,%s,%s)",
                [
                    (1, "admin@bench.local", "Bench Admin", pw, "admin", None, now, now, now),
                    (
                        2,
                        "coordinator@bench.local",
                        "Bench Coordinator",
                        pw,
                        "coordinator",
                        1,
                        now,
                        now,
                        now,
                    ),
                    (3, "writer@bench.local", "Bench Writer", pw, "coordinator", 2, now, now, now),
                ],
            )
            for table in ("schools", "users"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            # Secondary indexes are built once after the load (much faster than per
            # row); the ones backing a constraint stay.
            indexes = cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = 'eco_logs' AND NOT EXISTS (SELECT 1 FROM "
                "pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)"
            ).fetchall()
            for name, _def in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            # The logs are generated in the server, one set-based INSERT per million
            # (a Python COPY stream took ~4 minutes a million on this machine). The
            # same uniform draws as bench/run.py: school, category, fraction, quantity
            # and day; setseed makes every build the same. Foreign-key triggers are
            # off while loading (every row refers to the schools and users above).
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET work_mem = '256MB'")
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute("ALTER TABLE eco_logs DISABLE TRIGGER ALL")
            cur.execute("SELECT setseed(0.42)")
            cats = [c[0] for c in run.CATS]
            units = [c[1] for c in run.CATS]
            tops = [c[3] for c in run.CATS]
            waste = 1 + cats.index("waste")
            step = 1_000_000
            for first in range(0, n_logs, step):
                cur.execute(
                    "INSERT INTO eco_logs (school_id, category, fraction, "
                    "quantity_entered, unit_entered, quantity, action_date, evidence, "
                    "note, created_by_id, version, review_status, review_reason, "
                    "created_at, updated_at) "
                    "SELECT school, (%(cats)s::text[])[cat], "
                    "CASE WHEN cat = %(waste)s THEN (%(fractions)s::text[])[frac] "
                    "ELSE '' END, qty * 1000000, (%(units)s::text[])[cat], qty * 1000, "
                    "%(start)s::date + day, (%(evidence)s::text[])[1 + g %% 3], '', 2, 1, "
                    "'ok', '', %(now)s, %(now)s FROM (SELECT g, "
                    "1 + floor(random() * %(schools)s)::int AS school, "
                    "1 + floor(random() * 5)::int AS cat, "
                    "1 + floor(random() * 6)::int AS frac, random() AS r, "
                    "floor(random() * %(days)s)::int AS day "
                    "FROM generate_series(%(first)s, %(last)s) AS g OFFSET 0) AS x, "
                    "LATERAL (SELECT 1 + floor(r * (%(tops)s::int[])[cat])::bigint "
                    "AS qty) AS q",
                    {
                        "cats": cats,
                        "units": units,
                        "tops": tops,
                        "waste": waste,
                        "fractions": list(run.FRACTIONS),
                        "evidence": list(run.EVIDENCE),
                        "start": start,
                        "now": now,
                        "schools": run.SCHOOLS,
                        "days": run.DAYS,
                        "first": first,
                        "last": min(first + step, n_logs) - 1,
                    },
                )
                con.commit()
                print(
                    f"  {min(first + step, n_logs):,} logs ({time.perf_counter() - t0:.0f}s)",
                    flush=True,
                )
            cur.execute("ALTER TABLE eco_logs ENABLE TRIGGER ALL")
            t1 = time.perf_counter()
            for _name, definition in indexes:
                cur.execute(definition)
            con.commit()
            print(f"  indexes in {time.perf_counter() - t1:.0f}s", flush=True)
            # Summaries in bulk, one statement each (as summary.rebuild does).
            cur.execute(
                "INSERT INTO daily_summaries (owner_type, owner_id, day, category, "
                "fraction, evidence, quantity, log_count) SELECT 'school', school_id, "
                "action_date, category, fraction, evidence, SUM(quantity), COUNT(*) "
                "FROM eco_logs WHERE deleted_at IS NULL AND review_status <> 'rejected' "
                "GROUP BY 2, 3, 4, 5, 6"
            )
            cur.execute(
                "INSERT INTO monthly_summaries (owner_type, owner_id, month, category, "
                "fraction, evidence, quantity, log_count) SELECT owner_type, owner_id, "
                "date_trunc('month', day)::date, category, fraction, evidence, "
                "SUM(quantity), SUM(log_count) FROM daily_summaries GROUP BY 1, 2, 3, 4, "
                "5, 6"
            )
            cur.execute(
                "INSERT INTO programme_rollup (month, city, country, category, fraction, "
                "evidence, quantity, log_count) SELECT m.month, s.city_id, s.country, "
                "m.category, m.fraction, m.evidence, SUM(m.quantity), SUM(m.log_count) "
                "FROM monthly_summaries m JOIN schools s ON s.id = m.owner_id "
                "WHERE m.owner_type = 'school' GROUP BY 1, 2, 3, 4, 5, 6"
            )
        con.commit()
        con.autocommit = True
        con.execute("VACUUM ANALYZE")
    print(f"  built {label}: {n_logs:,} logs in {time.perf_counter() - t0:.0f}s", flush=True)
    return url


def naive_sql_ms(url: str) -> float:
    """The overview the naive way: GROUP BY over every raw log (median of 3)."""
    sql = (
        "SELECT s.city, l.school_id, l.category, l.fraction, "
        "date_trunc('month', l.action_date), SUM(l.quantity), COUNT(*) "
        "FROM eco_logs l JOIN schools s ON s.id = l.school_id "
        "WHERE l.deleted_at IS NULL AND l.review_status <> 'rejected' "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    times = []
    with psycopg.connect(_plain(url)) as con:
        for _ in range(3):
            t0 = time.perf_counter()
            con.execute(sql).fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


class Site:
    """One size's server and its three signed-in browsers."""

    def __init__(self, label: str, url: str, port: int) -> None:
        self.label = label
        self.server = run.Server(url, True, port)
        self.coord = run.Browser(port).login("coordinator@bench.local")
        self.admin = run.Browser(port).login("admin@bench.local")
        self.writer = run.Browser(port).login("writer@bench.local")
        self.port = port
        self.p50s: list[float] = []
        self.cold: list[float] = []
        self.writes: list[float] = []
        self.posts: list[float] = []

    def dashboard(self) -> None:
        self.p50s.append(run.wrk(DASHBOARD, self.coord.cookie(), self.port)[0])

    def first_overview_after_write(self, i: int) -> None:
        assert self.writer.post("/logs/new", run.log_form(self.writer, f"cold {i}")) == 302
        time.sleep(run.LAG + 0.3)
        t0 = time.perf_counter()
        status, _html = self.admin.get("/dashboards/programme")
        self.cold.append((time.perf_counter() - t0) * 1000)
        assert status == 200

    def write_for(self, seconds: float) -> None:
        """Log entries through the form one after another; keep each one's time."""
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            form = run.log_form(self.writer, "pg write")  # GET /logs/new for its token
            t1 = time.perf_counter()
            assert self.writer.post("/logs/new", form) == 302
            t2 = time.perf_counter()
            self.writes.append((t2 - t0) * 1000)
            self.posts.append((t2 - t1) * 1000)

    def results(self) -> dict:
        return {
            f"school_dashboard_p50_ms_pg_{self.label}": round(statistics.median(self.p50s), 2),
            f"overview_cold_p50_ms_pg_{self.label}": round(statistics.median(self.cold), 1),
            f"log_write_ms_pg_{self.label}": round(statistics.median(self.writes), 1),
            f"log_post_ms_pg_{self.label}": round(statistics.median(self.posts), 1),
        }


DASHBOARD = "/dashboards/school/1"


def measure(urls: dict[str, str]) -> dict:
    """Warm dashboard p50, the first overview after a write and one log's write, on
    every size at once: the sizes' servers run side by side and take turns round by
    round (1M, 10M, 1M, 10M ...), so a change in the shared machine's load falls on
    both sizes alike and their ratio holds."""
    out: dict = {f"load_average_pg_{'_'.join(urls)}": round(os.getloadavg()[0], 1)}
    sites: list[Site] = []
    try:
        for i, (label, url) in enumerate(urls.items()):
            sites.append(Site(label, url, PORT + i))
        for site in sites:
            run.wrk(DASHBOARD, site.coord.cookie(), site.port)  # warm
        for _ in range(run.ROUNDS):
            for site in sites:
                site.dashboard()
        for i in range(COLD_SAMPLES):
            for site in sites:
                site.first_overview_after_write(i)
        for _ in range(WRITE_ROUNDS):
            for site in sites:
                site.write_for(1.0)
        for site in sites:
            out.update(site.results())
    finally:
        for site in sites:
            site.server.stop()
    out[f"load_average_pg_{'_'.join(urls)}_after"] = round(os.getloadavg()[0], 1)
    return out


def main() -> int:
    results: dict = {
        "machine": "2 cores shared, PostgreSQL 15 default settings, gunicorn "
        "2 sync workers, wrk -t2 -c4; logs generated in the server"
    }
    out = ROOT / "bench" / "results-pg.json"
    if out.exists():  # keeps the build times of databases built by an earlier run
        results.update({**json.loads(out.read_text()), "machine": results["machine"]})
    urls = {}
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    for label in WANTED:
        print(f"[pg {label}] data", flush=True)
        t0 = time.perf_counter()
        urls[label] = build(label, SIZES[label])
        if time.perf_counter() - t0 > 5:  # built now (not reused): keep how long it took
            results[f"build_seconds_pg_{label}"] = round(time.perf_counter() - t0)
            results[f"build_load_average_pg_{label}"] = round(os.getloadavg()[0], 1)
            results.pop("build_note", None)  # an earlier run's words about its databases
        results[f"naive_overview_sql_ms_pg_{label}"] = round(naive_sql_ms(urls[label]), 1)
        out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"[pg {', '.join(urls)}] measuring side by side", flush=True)
    results.update(measure(urls))
    r = results
    for what in ("school_dashboard_p50_ms", "overview_cold_p50_ms", "log_write_ms", "log_post_ms"):
        if f"{what}_pg_1m" in r and f"{what}_pg_10m" in r:
            r[f"{what}_pg_10m_over_1m"] = round(r[f"{what}_pg_10m"] / r[f"{what}_pg_1m"], 2)
    r["measured_at"] = f"{started}-{time.strftime('%H:%M', time.gmtime())} UTC"
    out.write_text(json.dumps(r, indent=2) + "\n")
    print(json.dumps(r, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
