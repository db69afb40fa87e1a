#!/usr/bin/env python3
"""Load without loss: many users log eco-actions at once through the real HTTP form.

A bounded run on 127.0.0.1:

1. creates a private database (a temp SQLite file, or a PostgreSQL database it drops
   afterwards) and migrates it; adds coordinators (two per school, so they write to the
   same school's daily totals at once) and residents;
2. starts gunicorn with several workers serving the app;
3. every user signs in (CSRF token from the form) and submits logs through
   POST /logs/new, each with a unique marker in its note, all threads at once;
   one gunicorn worker is killed with SIGKILL in the middle of the run;
4. checks: every acknowledged entry (302 after the POST) is stored exactly once, no
   marker is stored twice, the sums of what was acknowledged match the database, the
   daily summary equals a recomputation from the logs, and no request got a 5xx;
5. two coordinators edit the same entry: the second gets 409 with a clear message
   (one after the other, and racing at the same moment).

Usage:  .venv/bin/python loadtest/run.py --db sqlite --users 20 --logs 25 --workers 4
        .venv/bin/python loadtest/run.py --db postgresql --pg-url postgresql+psycopg://...
Prints a JSON report; exits 1 if anything was lost, duplicated, mismatched or 5xx.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test-password-1"  # noqa: S105 - a throwaway account in a throwaway db
TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]+)"')
CONFLICT_TEXT = "Someone else changed this entry"


# --- a tiny HTTP client (stdlib only): cookies, no redirects followed -------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@dataclass
class Stats:
    """Counters shared by all threads (guarded by a lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def note(self, status: int | str) -> None:
        with self.lock:
            self.requests += 1
            if isinstance(status, int):
                self.statuses[status] += 1
            else:
                self.errors[status] += 1


class Browser:
    """One user's cookie jar against the server."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base = base
        self.stats = stats
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """Return (status, Location, body); raises OSError when the connection breaks."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)  # noqa: S310
        try:
            with self.opener.open(req, timeout=120) as resp:
                status, headers, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, headers, text = err.code, err.headers, err.read().decode()
        except OSError as err:
            self.stats.note(type(err).__name__)
            raise
        self.stats.note(status)
        return status, headers.get("Location", "") or "", text

    def token(self, path: str) -> str:
        status, _loc, html = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        tag = TOKEN_RE.search(html)
        if not tag:
            raise RuntimeError(f"no CSRF token on {path}")
        return VALUE_RE.search(tag.group(0)).group(1)

    def sign_in(self, email: str) -> None:
        token = self.token("/auth/login")
        status, loc, _ = self.request(
            "POST", "/auth/login", {"csrf_token": token, "email": email, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")


# --- database and server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_database(kind: str, pg_url: str, workdir: Path) -> tuple[str, callable]:
    """Create a private database; return its URL and a function that drops it."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
        return url, lambda: None
    import sqlalchemy as sa

    base = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"greenapp_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@dataclass
class Account:
    email: str
    role: str
    school_index: int | None


def prepare(url: str, n_users: int) -> list[Account]:
    """Migrate the database and add schools and accounts."""
    from flask_migrate import upgrade

    from greenapp import create_app
    from greenapp.extensions import db
    from greenapp.models.school import School
    from greenapp.models.user import User

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    accounts: list[Account] = []
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        n_coord = max(2, n_users // 2)
        n_schools = max(1, n_coord // 2)
        schools = []
        for i in range(n_schools):
            school = School(
                name=f"Load School {i}",
                city="Kyzylorda",
                country="KZ",
                address="Load St",
                pupils=500,
                timezone="Asia/Qyzylorda",
                joined_on=date.today() - timedelta(days=400),
            )
            db.session.add(school)
            schools.append(school)
        db.session.flush()
        # One scrypt hash for every account (they share the password): hashing is slow on
        # purpose, ~0.1 s each, and this is set-up, not the load being measured.
        probe = User(email="", display_name="", role="resident")
        probe.set_password(PASSWORD)
        for i in range(n_users):
            coordinator = i < n_coord
            role = "coordinator" if coordinator else "resident"
            school_index = i % n_schools if coordinator else None
            user = User(
                email=f"load{i}@example.org",
                display_name=f"Load {i}",
                role=role,
                school=schools[school_index] if coordinator else None,
            )
            user.password_hash = probe.password_hash
            db.session.add(user)
            accounts.append(Account(user.email, role, school_index))
        db.session.commit()
        db.engine.dispose()
    return accounts


def start_gunicorn(url: str, port: int, workers: int, logfile: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "GREENAPP_ENV": "development",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": url,
            "LOGIN_RATELIMIT": "100000 per minute",  # every simulated user shares 127.0.0.1
            "REDIS_URL": "",
            "RATELIMIT_KEY_PREFIX": f"greenapp-load-{uuid.uuid4().hex}",
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "greenapp:create_app()",
    ]
    out = open(logfile, "wb")  # noqa: SIM115 - closed when the server stops
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    proc._logfile = out  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {logfile.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:  # noqa: S310
                if resp.status == 200 and len(worker_pids(proc.pid)) == workers:
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy in 60 s")


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == master:
            pids.append(int(entry.name))
    return pids


def stop_gunicorn(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc._logfile.close()  # type: ignore[attr-defined]


# --- the run ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one user thread saw."""

    acked: dict[str, tuple[str, Decimal]] = field(default_factory=dict)  # marker -> (cat, qty)
    unknown: dict[str, tuple[str, Decimal]] = field(default_factory=dict)
    rejected: int = 0
    sent: int = 0
    failures: list[str] = field(default_factory=list)


CATEGORIES = [("water", "L"), ("energy", "kWh")]


def user_thread(
    base: str,
    account: Account,
    n_logs: int,
    run: str,
    stats: Stats,
    start: threading.Barrier,
    outcome: Outcome,
    progress: Counter,
    lock: threading.Lock,
    rng: random.Random,
) -> None:
    client = Browser(base, stats)
    day = (date.today() - timedelta(days=1)).isoformat()
    try:
        client.sign_in(account.email)
    except (OSError, RuntimeError) as exc:
        outcome.failures.append(f"{account.email}: sign-in failed: {exc}")
        start.wait()
        return
    start.wait()
    for i in range(n_logs):
        category, unit = CATEGORIES[i % len(CATEGORIES)]
        qty = Decimal(rng.randint(1, 500_000)) / 1000  # up to 3 decimals, exact
        marker = f"{run}-{account.email}-{i}"
        try:
            token = client.token("/logs/new")
        except (OSError, RuntimeError):
            continue  # nothing was sent for this entry
        form = {
            "csrf_token": token,
            "category": category,
            "fraction": "",
            "unit": unit,
            "quantity": str(qty),
            "action_date": day,
            "evidence": "self",
            "note": marker,
        }
        outcome.sent += 1
        try:
            status, loc, body = client.request("POST", "/logs/new", form)
        except OSError:
            outcome.unknown[marker] = (category, qty)  # the worker died mid-request
            continue
        # Acknowledged: redirected to the list (which names the entry: ?saved=<id>).
        if status == 302 and urllib.parse.urlsplit(loc).path.endswith("/logs/"):
            outcome.acked[marker] = (category, qty)
            with lock:
                progress["acked"] += 1
        elif status == 200:
            outcome.rejected += 1
            outcome.failures.append(f"{marker}: refused by the form")
        else:
            outcome.unknown[marker] = (category, qty)


def killer(
    master: int,
    target: int,
    progress: Counter,
    lock: threading.Lock,
    done: threading.Event,
    report: dict,
) -> None:
    """SIGKILL one worker once `target` entries have been acknowledged."""
    while not done.is_set():
        with lock:
            reached = progress["acked"] >= target
        if reached:
            pids = worker_pids(master)
            if pids:
                victim = random.choice(pids)  # noqa: S311 - not security
                os.kill(victim, signal.SIGKILL)
                report["killed_worker_pid"] = victim
                report["killed_after_acks"] = target
            return
        time.sleep(0.005)


def edit_conflicts(base: str, accounts: list[Account], stats: Stats, rounds: int) -> dict:
    """Two coordinators of one school edit one entry: the second must get 409."""
    a, b = [acc for acc in accounts if acc.role == "coordinator" and acc.school_index == 0][:2]
    first, second = Browser(base, stats), Browser(base, stats)
    first.sign_in(a.email)
    second.sign_in(b.email)
    day = (date.today() - timedelta(days=2)).isoformat()

    def make_log(note: str) -> int:
        token = first.token("/logs/new")
        status, _loc, _ = first.request(
            "POST",
            "/logs/new",
            {
                "csrf_token": token,
                "category": "water",
                "unit": "L",
                "quantity": "10",
                "action_date": day,
                "evidence": "self",
                "note": note,
            },
        )
        if status != 302:
            raise RuntimeError(f"could not create the entry to edit: {status}")
        _s, _l, html = first.request("GET", "/logs/?date_from=" + day + "&date_to=" + day)
        ids = [int(x) for x in re.findall(r'href="/logs/(\d+)/edit"', html)]
        return max(ids)

    def edit_form(client: Browser, log_id: int) -> dict:
        _s, _l, html = client.request("GET", f"/logs/{log_id}/edit")
        token = VALUE_RE.search(TOKEN_RE.search(html).group(0)).group(1)
        version = re.search(
            r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', html
        )
        return {
            "csrf_token": token,
            "category": "water",
            "unit": "L",
            "action_date": day,
            "evidence": "self",
            "fraction": "",
            "version": version.group(1) or version.group(2),
        }

    result = {
        "sequential": None,
        "race_rounds": rounds,
        "race_one_winner": 0,
        "race_lost_updates": 0,
        "race_other": [],
    }
    log_id = make_log("conflict-sequential")
    form_a, form_b = edit_form(first, log_id), edit_form(second, log_id)
    s1, _l, _ = first.request(
        "POST", f"/logs/{log_id}/edit", {**form_a, "quantity": "11", "note": "by A"}
    )
    s2, _l, body = second.request(
        "POST", f"/logs/{log_id}/edit", {**form_b, "quantity": "22", "note": "by B"}
    )
    result["sequential"] = {"first": s1, "second": s2, "message_shown": CONFLICT_TEXT in body}
    for r in range(rounds):
        log_id = make_log(f"conflict-race-{r}")
        forms = [edit_form(first, log_id), edit_form(second, log_id)]
        barrier = threading.Barrier(2)
        statuses: list[int] = [0, 0]

        def go(
            i: int,
            client: Browser,
            form: dict,
            log_id: int = log_id,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            barrier.wait()
            statuses[i], _loc, _b = client.request(
                "POST",
                f"/logs/{log_id}/edit",
                {**form, "quantity": str(30 + i), "note": f"racer {i}"},
            )

        threads = [
            threading.Thread(target=go, args=(i, c, f))
            for i, (c, f) in enumerate(zip((first, second), forms, strict=True))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if sorted(statuses) == [302, 409]:
            result["race_one_winner"] += 1
        elif statuses == [302, 302]:
            result["race_lost_updates"] += 1
        else:
            result["race_other"].append(statuses)
    return result


def verify(url: str, run: str, outcomes: list[Outcome]) -> dict:
    """Compare what the clients were told with what the database holds."""
    import sqlalchemy as sa

    from greenapp import create_app
    from greenapp.extensions import db
    from greenapp.models.log import EcoLog
    from greenapp.services import summary

    acked: dict[str, tuple[str, Decimal]] = {}
    unknown: dict[str, tuple[str, Decimal]] = {}
    for o in outcomes:
        acked.update(o.acked)
        unknown.update(o.unknown)
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        rows = db.session.execute(
            sa.select(EcoLog.note, EcoLog.category, EcoLog.quantity).where(
                EcoLog.note.like(f"{run}-%")
            )
        ).all()
        sums = dict(
            db.session.execute(
                sa.select(EcoLog.category, sa.func.sum(EcoLog.quantity))
                .where(EcoLog.note.like(f"{run}-%"), EcoLog.deleted_at.is_(None))
                .group_by(EcoLog.category)
            ).all()
        )
        summary_ok = summary.recompute_rows() == summary.stored_rows()
        db.engine.dispose()
    stored = Counter(note for note, _c, _q in rows)
    duplicates = {m: n for m, n in stored.items() if n > 1}
    lost = sorted(m for m in acked if stored.get(m, 0) == 0)
    unexpected = sorted(m for m in stored if m not in acked and m not in unknown)
    expected_sums: Counter = Counter()
    for marker, (category, qty) in {**acked, **unknown}.items():
        if stored.get(marker):
            expected_sums[category] += qty
    db_sums = {c: Decimal(v) for c, v in sums.items()}
    acked_sums: Counter = Counter()
    for category, qty in acked.values():
        acked_sums[category] += qty
    return {
        "acknowledged": len(acked),
        "unknown_outcome": len(unknown),
        "unknown_but_stored": sum(1 for m in unknown if stored.get(m)),
        "stored": len(rows),
        "lost": len(lost),
        "lost_markers": lost[:10],
        "duplicates": len(duplicates),
        "unexpected_rows": len(unexpected),
        "sums_match": db_sums == {c: v for c, v in expected_sums.items() if v},
        "acknowledged_sums": {c: str(v) for c, v in acked_sums.items()},
        "stored_sums": {c: str(v) for c, v in db_sums.items()},
        "daily_summary_matches_logs": summary_ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "LOAD_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--logs", type=int, default=25, help="logs per user")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-kill", action="store_true", help="do not kill a worker")
    parser.add_argument("--race-rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.users < 4:
        parser.error("--users must be at least 4 (two coordinators of one school)")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="greenapp-load-"))
    url, drop = make_database(args.db, args.pg_url, workdir)
    report: dict = {
        "db": args.db,
        "workers": args.workers,
        "users": args.users,
        "logs_per_user": args.logs,
    }
    proc = None
    try:
        accounts = prepare(url, args.users)
        port = free_port()
        proc = start_gunicorn(url, port, args.workers, workdir / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        stats = Stats()
        run = f"LOAD{uuid.uuid4().hex[:8]}"
        barrier = threading.Barrier(len(accounts) + 1)
        outcomes = [Outcome() for _ in accounts]
        progress: Counter = Counter()
        lock = threading.Lock()
        done = threading.Event()
        rng = random.Random(args.seed)  # noqa: S311 - quantities, not secrets
        threads = [
            threading.Thread(
                target=user_thread,
                args=(
                    base,
                    acc,
                    args.logs,
                    run,
                    stats,
                    barrier,
                    outcomes[i],
                    progress,
                    lock,
                    random.Random(rng.random()),  # noqa: S311
                ),
            )
            for i, acc in enumerate(accounts)
        ]
        for t in threads:
            t.start()
        barrier.wait()
        kill_thread = None
        if not args.no_kill:
            target = max(1, (len(accounts) * args.logs) // 3)
            kill_thread = threading.Thread(
                target=killer, args=(proc.pid, target, progress, lock, done, report)
            )
            kill_thread.start()
        for t in threads:
            t.join()
        done.set()
        if kill_thread:
            kill_thread.join()
        deadline = time.monotonic() + 30  # the master replaces the killed worker
        while len(worker_pids(proc.pid)) < args.workers and time.monotonic() < deadline:
            time.sleep(0.2)
        report["workers_after_run"] = len(worker_pids(proc.pid))
        report["conflicts"] = edit_conflicts(base, accounts, stats, args.race_rounds)
        report["log_posts_sent"] = sum(o.sent for o in outcomes)
        report["rejected_by_form"] = sum(o.rejected for o in outcomes)
        report["failures"] = [f for o in outcomes for f in o.failures][:10]
        report["http_requests"] = stats.requests
        report["http_5xx"] = sum(n for s, n in stats.statuses.items() if s >= 500)
        report["http_statuses"] = {str(k): v for k, v in sorted(stats.statuses.items())}
        report["connection_errors"] = dict(stats.errors)
        stop_gunicorn(proc)
        proc = None
        report.update(verify(url, run, outcomes))
        log_text = (workdir / "gunicorn.log").read_text(errors="replace")
        report["tracebacks_in_server_log"] = log_text.count("Traceback")
    finally:
        if proc is not None:
            stop_gunicorn(proc)
        drop()
    report["seconds"] = round(time.monotonic() - started, 1)
    conflicts = report["conflicts"]
    ok = (
        report["lost"] == 0
        and report["duplicates"] == 0
        and report["http_5xx"] == 0
        and report["unexpected_rows"] == 0
        and report["sums_match"]
        and report["daily_summary_matches_logs"]
        and report["rejected_by_form"] == 0
        and not report["failures"]
        and conflicts["sequential"] == {"first": 302, "second": 409, "message_shown": True}
        and conflicts["race_lost_updates"] == 0
        and (args.no_kill or "killed_worker_pid" in report)
    )
    report["ok"] = ok
    print(json.dumps(report, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
