"""Benchmark: 200 schools over 3 years at 10k and 1M logs, served by gunicorn (2 workers).

Measures, in one run: the per-school dashboard, the programme overview and a bare
route with wrk (p50 latency and requests/s, warm cache and with the caches off; both sizes
served at once and measured in alternating rounds, the median kept),
the naive full-scan GROUP BY over raw logs (timed SQL), and the bytes a browser
downloads on a first and a repeat dashboard visit. Prints a table and writes
bench/results.json. Data lives in bench/data/ (git-ignored) and is reused when present.
"""

from __future__ import annotations

import gzip
import http.cookiejar
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = ROOT / ".venv" / "bin"
PORT = 5687
USER_AGENT = "greenapp-bench/1 (one browser for login and pages)"
PASSWORD = "bench-password-2026"  # noqa: S105 - throwaway benchmark accounts
SIZES = {"10k": 10_000, "1m": 1_000_000}
SCHOOLS = 200
DAYS = 3 * 365
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # warm measures: median of this many
CATS = [("water", "L", "", 300_000), ("energy", "kWh", "", 800),
        ("waste", "kg", None, 400), ("trees", "trees", "", 20),
        ("outreach", "people", "", 200)]
FRACTIONS = ("paper", "plastic", "glass", "metal", "organic", "ewaste")
EVIDENCE = ("metered", "document", "self")


def env_for(db_path: Path, cache: bool = True) -> dict:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{db_path}",
               FLASK_APP="greenapp:create_app", GREENAPP_ENV="development")
    env["GREENAPP_STATS_CACHE"] = "1" if cache else "0"
    return env


def build(label: str, n_logs: int) -> Path:
    """Create (or reuse) the SQLite database with n_logs synthetic logs."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"bench_{label}.db"
    if path.exists():
        con = sqlite3.connect(path)
        try:
            if con.execute("SELECT count(*) FROM eco_logs").fetchone()[0] == n_logs:
                return path
        except sqlite3.Error:
            pass
        finally:
            con.close()
        path.unlink()
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "flask"), "db", "upgrade", "heads"], cwd=ROOT,
                   env=env_for(path), check=True, capture_output=True)
    from werkzeug.security import generate_password_hash

    pw = generate_password_hash(PASSWORD, method="scrypt")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).isoformat(sep=" ")
    today = date.today()
    start = today - timedelta(days=DAYS - 1)
    rng = random.Random(42)
    schools = []
    for i in range(1, SCHOOLS + 1):
        kz = i <= SCHOOLS // 2
        schools.append((i, f"{'Kyzylorda' if kz else 'Minsk'} School No. {i}",
                        "Kyzylorda" if kz else "Minsk", "KZ" if kz else "BY", "",
                        rng.randint(300, 1500), (start - timedelta(days=30)).isoformat(),
                        "Asia/Qyzylorda" if kz else "Europe/Minsk", now, now))
    con.executemany("INSERT INTO schools (id, name, city, country, address, pupils, "
                    "joined_on, timezone, created_at, updated_at) VALUES "
                    "(?,?,?,?,?,?,?,?,?,?)", schools)
    con.executemany(
        "INSERT INTO school_targets (school_id, category, quantity) VALUES (?,?,?)",
        [(s[0], c, q * 1000) for s in schools for c, q in
         (("water", s[5] * 500), ("energy", s[5] * 15), ("waste", s[5] * 8))])
    users = [(1, "admin@bench.local", "Bench Admin", pw, "admin", None),
             (2, "coordinator@bench.local", "Bench Coordinator", pw, "coordinator", 1)]
    con.executemany(
        "INSERT INTO users (id, email, display_name, password_hash, role, school_id, "
        "active, public_listing, session_token, created_at, updated_at) VALUES "
        f"(?,?,?,?,?,?,1,1,hex(randomblob(16)),'{now}','{now}')", users)

    def rows():
        for i in range(n_logs):
            school = rng.randint(1, SCHOOLS)
            cat, unit, frac, top = CATS[rng.randrange(len(CATS))]
            fraction = FRACTIONS[rng.randrange(6)] if frac is None else ""
            qty = rng.randint(1, top)
            day = (start + timedelta(days=rng.randrange(DAYS))).isoformat()
            yield (school, cat, fraction, qty * 1_000_000, unit, qty * 1000, day,
                   EVIDENCE[i % 3], 2, now, now)

    con.executemany(
        "INSERT INTO eco_logs (school_id, category, fraction, quantity_entered, "
        "unit_entered, quantity, action_date, evidence, note, created_by_id, version, "
        "review_status, review_reason, created_at, updated_at) VALUES "
        "(?,?,?,?,?,?,?,?,'',?,1,'ok','',?,?)", rows())
    # The daily summary in one bulk statement (the monthly rollup follows by trigger).
    con.execute(
        "INSERT INTO daily_summaries (owner_type, owner_id, day, category, fraction, "
        "evidence, quantity, log_count) SELECT 'school', school_id, action_date, "
        "category, fraction, evidence, SUM(quantity), COUNT(*) FROM eco_logs "
        "WHERE deleted_at IS NULL AND review_status != 'rejected' "
        "GROUP BY school_id, action_date, category, fraction, evidence")
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(f"  built {label}: {n_logs:,} logs in {time.perf_counter() - t0:.1f}s",
          flush=True)
    return path


def naive_sql_ms(path: Path) -> float:
    """The overview computed the naive way: GROUP BY over every raw log."""
    con = sqlite3.connect(path)
    sql = ("SELECT s.city, l.school_id, l.category, l.fraction, "
           "strftime('%Y-%m', l.action_date), SUM(l.quantity), COUNT(*) "
           "FROM eco_logs l JOIN schools s ON s.id = l.school_id "
           "WHERE l.deleted_at IS NULL AND l.review_status != 'rejected' "
           "GROUP BY 1, 2, 3, 4, 5")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    con.close()
    return statistics.median(times)


class Server:
    """gunicorn with 2 workers on 127.0.0.1."""

    def __init__(self, path: Path, cache: bool, port: int = PORT) -> None:
        self.port = port
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env_for(path, cache), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboards/ping",
                                       timeout=1).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def login(email: str, port: int = PORT) -> str:
    """Sign in through the login form; return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # The same browser signs in and then loads pages: Flask-Login's session protection
    # ties the session to the User-Agent, and a different one makes every response
    # rewrite the cookie (as it would for a stolen cookie), which no real visit does.
    opener.addheaders = [("User-Agent", USER_AGENT)]
    base = f"http://127.0.0.1:{port}"
    html = opener.open(base + "/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    data = urllib.parse.urlencode({"email": email, "password": PASSWORD,
                                   "csrf_token": token.group(1) if token else ""}).encode()
    opener.open(base + "/auth/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookie, "login failed"
    return cookie


def wrk(path: str, cookie: str = "", port: int = PORT) -> tuple[float, float]:
    """Run wrk (2 threads, 4 connections); return (p50 ms, requests/s)."""
    cmd = ["/usr/bin/wrk", "-t2", "-c4", f"-d{WRK_SECONDS}s", "--timeout", "30s",
           "--latency"]
    cmd += ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    value = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{path}: {non2xx.group(1)} error responses")
    return value, rps


def wire_bytes(url: str, cookie: str, port: int = PORT) -> tuple[int, str]:
    """Bytes on the wire for one GET with Accept-Encoding: gzip (body + headers)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{url}",
                                 headers={"Accept-Encoding": "gzip", "Cookie": cookie,
                                          "User-Agent": USER_AGENT})
    with urllib.request.urlopen(req) as resp:  # noqa: S310 - local http only
        body = resp.read()
        header_bytes = len(str(resp.headers).encode())
        text = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" \
            else body
    return len(body) + header_bytes, text.decode("utf-8", "replace")


def page_weight(url: str, cookie: str, port: int = PORT) -> tuple[int, int]:
    """(first visit bytes, repeat visit bytes) for a page and its CSS and JS."""
    html_bytes, html = wire_bytes(url, cookie, port)
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css)[^"]*)"', html)
    total = html_bytes + sum(wire_bytes(a, cookie, port)[0] for a in dict.fromkeys(assets))
    return total, html_bytes


def measure(logins: dict, cache: bool, rounds: int) -> dict[str, float]:
    """wrk on every size in turn, `rounds` times; the median of each measure."""
    samples: dict[str, list[float]] = {}
    suffix = "" if cache else "_nocache"
    for _round in range(rounds):
        for label, (port, coord, admin) in logins.items():
            runs = [("school_dashboard_p50_ms", "dashboard_rps", "/dashboards/school/1", coord),
                    ("overview_p50_ms", "overview_rps", "/dashboards/programme", admin)]
            if cache:
                runs.insert(0, ("bare_p50_ms", "bare_rps", "/dashboards/ping", ""))
            for p50_key, rps_key, path, cookie in runs:
                p50, rps = wrk(path, cookie, port)
                samples.setdefault(f"{p50_key}_{label}{suffix}", []).append(p50)
                samples.setdefault(f"{rps_key}_{label}{suffix}", []).append(rps)
    return {key: round(statistics.median(vals), 2) for key, vals in samples.items()}


def main() -> int:
    results: dict = {"machine": "2 cores, 24 GiB RAM, SQLite file database, "
                                "gunicorn 2 sync workers, wrk -t2 -c4, "
                                f"median of {ROUNDS} alternating rounds"}
    paths = {}
    for label, n in SIZES.items():
        print(f"[{label}] data", flush=True)
        paths[label] = build(label, n)
        results[f"naive_overview_sql_ms_{label}"] = round(naive_sql_ms(paths[label]), 1)
    subprocess.run(["sync"], check=False)  # let the writes of the build settle first
    for cache in (True, False):
        # Both sizes are served at once and measured in alternating rounds (median
        # kept), so a slow moment of the machine does not land on one size only.
        servers = {label: Server(path, cache, PORT + i)
                   for i, (label, path) in enumerate(paths.items())}
        try:
            logins = {label: (srv.port, login("coordinator@bench.local", srv.port),
                              login("admin@bench.local", srv.port))
                      for label, srv in servers.items()}
            results.update(measure(logins, cache, ROUNDS if cache else 1))
            if cache:
                port, coord, _admin = logins["1m"]
                first, repeat = page_weight("/dashboards/school/1", coord, port)
                results["first_visit_bytes"] = first
                results["repeat_visit_bytes"] = repeat
        finally:
            for srv in servers.values():
                srv.stop()
        print(f"  served {'warm' if cache else 'no cache'}", flush=True)
    results["bare_p50_ms"] = results["bare_p50_ms_1m"]
    results["bare_rps"] = results["bare_rps_1m"]
    r = results
    checks = {
        "dashboard 1M <= 1.3x 10k": r["school_dashboard_p50_ms_1m"]
        <= 1.3 * r["school_dashboard_p50_ms_10k"],
        "overview 1M <= 1.3x 10k": r["overview_p50_ms_1m"] <= 1.3 * r["overview_p50_ms_10k"],
        "overview 1M >= 7x faster than naive SQL": r["naive_overview_sql_ms_1m"]
        >= 7 * r["overview_p50_ms_1m"],
        "dashboard rps >= 25% of bare": r["dashboard_rps_1m"] >= 0.25 * r["bare_rps"],
        "first visit <= 1.6 MB": r["first_visit_bytes"] <= 1_600_000,
        "repeat visit <= 100 KB": r["repeat_visit_bytes"] <= 100_000,
    }
    r["targets_met"] = checks
    (ROOT / "bench" / "results.json").write_text(json.dumps(r, indent=2) + "\n")
    print()
    print(f"{'measure':<44}{'10k':>12}{'1M':>12}")
    for name, key in (("school dashboard p50 ms (warm)", "school_dashboard_p50_ms"),
                      ("school dashboard p50 ms (no cache)",
                       "school_dashboard_p50_ms_{}_nocache"),
                      ("overview p50 ms (warm)", "overview_p50_ms"),
                      ("overview p50 ms (no cache)", "overview_p50_ms_{}_nocache"),
                      ("dashboard requests/s (warm)", "dashboard_rps"),
                      ("dashboard requests/s (no cache)", "dashboard_rps_{}_nocache"),
                      ("bare route requests/s", "bare_rps"),
                      ("naive GROUP BY over raw logs, ms", "naive_overview_sql_ms")):
        vals = [r.get(key.format(s) if "{}" in key else f"{key}_{s}") for s in SIZES]
        print(f"{name:<44}" + "".join(f"{v:>12}" for v in vals))
    print(f"{'first visit bytes (HTML+CSS+JS, gzip)':<44}{r['first_visit_bytes']:>24,}")
    print(f"{'repeat visit bytes (HTML only)':<44}{r['repeat_visit_bytes']:>24,}")
    for name, ok in checks.items():
        print(f"  [{'met' if ok else 'MISSED'}] {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
