"""Benchmark: API entry creation (POST /api/v1/entries with a token) vs the bare insert.

In one run on one machine, both served by gunicorn with 2 sync workers:

- `api`: greenapp's POST /api/v1/entries with a personal access token and JSON, the whole
  write pipeline (validation, summaries, audit, quality, challenges, cache versions) and
  an Idempotency-Key-free commit per request; every acknowledged entry is checked to be
  stored once;
- `api+idem`: the same with a fresh Idempotency-Key per request (the kept response is
  written in the same transaction);
- `insert`: bench/bare_app.py's bare Flask + SQLAlchemy insert of one row (the floor).

Only the ratio counts (the machine is shared). Prints a table and writes
bench/api_results.json. Data lives in bench/data/ (git-ignored). Ports 5640-5642.

    .venv/bin/python bench/api.py      (also run by `make bench`)
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BIN = Path(sys.executable).parent
PORT = 5640
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
NOTE = "bench-api"
CONNECTIONS = 4


def env_for(db: Path) -> dict:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db}",
        FLASK_APP="greenapp:create_app",
        GREENAPP_ENV="development",
        API_RATELIMIT="1000000 per minute",
        BENCH_BARE_DB=str(DATA / "api_bare.db"),
    )
    env.pop("REDIS_URL", None)
    return env


def prepare(db: Path) -> str:
    """A fresh database through the migrations, one school, its coordinator, a token."""
    for path in (db, DATA / "api_bare.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ.update(env_for(db))
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from greenapp import create_app
    from greenapp.extensions import db as _db
    from greenapp.models.school import School
    from greenapp.models.user import User
    from greenapp.services import tokens

    app = create_app("development")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        school = School(
            name="Bench API School",
            city="Kyzylorda",
            country="KZ",
            pupils=600,
            joined_on=date.today() - timedelta(days=900),
            timezone="Asia/Qyzylorda",
        )
        user = User(
            email="bench-api@example.org",
            display_name="Bench API",
            role="coordinator",
            school=school,
            password_hash="!",  # noqa: S106 - no password: it signs in by token
        )
        _db.session.add_all([school, user])
        _db.session.commit()
        secret = tokens.create_token(user, "bench", ["read", "write"], 30).secret
        _db.session.commit()
        _db.engine.dispose()
    # The bare app's table, made once here: two workers creating it at once can race
    # (one fails to boot).
    from bench.bare_app import create

    create("insert")
    return secret


class Server:
    """gunicorn, 2 sync workers, on 127.0.0.1."""

    def __init__(self, app: str, port: int, env: dict, ping: str) -> None:
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                # its own control socket: not the one other gunicorns on the machine share
                "--control-socket",
                str(DATA / f"gunicorn-{port}.ctl"),
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(DATA / f"gunicorn-{port}.log").open("w"),
        )
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ping}", timeout=1).read()
                if self.proc.poll() is None:  # this server answered, not a leftover
                    return
                break
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn ({app}) did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def lua(name: str, body: str, headers: dict[str, str], fresh_key: bool = False) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if fresh_key:  # a new Idempotency-Key per request: thread number + its own counter
        lines += [
            "local threads = 0",
            "function setup(thread)",
            '  thread:set("tid", threads)',
            "  threads = threads + 1",
            "end",
            "local n = 0",
            "request = function()",
            "  n = n + 1",
            '  wrk.headers["Idempotency-Key"] = "bench-" .. tid .. "-" .. n',
            "  return wrk.format()",
            "end",
        ]
    path = DATA / name
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(url: str, script: Path, seconds: int = SECONDS) -> tuple[float, int, int]:
    """(requests/s, requests, error responses) of a wrk run (2 threads, 4 connections)."""
    out = subprocess.run(
        [
            "/usr/bin/wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return rps, total, errors


def stored(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT count(*) FROM eco_logs WHERE note = ? AND deleted_at IS NULL", (NOTE,)
        ).fetchone()[0]
    finally:
        con.close()


def main() -> dict:
    DATA.mkdir(parents=True, exist_ok=True)
    db = DATA / "api.db"
    secret = prepare(db)
    env = env_for(db)
    body = json.dumps(
        {
            "category": "water",
            "quantity": "12.5",
            "unit": "L",
            "evidence": "self",
            "note": NOTE,
            "action_date": (date.today() - timedelta(days=2)).isoformat(),
        }
    )
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    results: dict = {"seconds": SECONDS, "workers": 2, "database": "sqlite"}
    app = Server("wsgi:app", PORT, env, "/healthz")
    try:
        wrk(f"http://127.0.0.1:{PORT}/api/v1/entries", lua("warm.lua", body, headers), 2)
        time.sleep(1)
        before = stored(db)
        rps, total, errors = wrk(
            f"http://127.0.0.1:{PORT}/api/v1/entries", lua("api.lua", body, headers)
        )
        time.sleep(1)  # the last in-flight requests finish
        results["api_create_rps"] = rps
        results["api_create_errors"] = errors
        results["api_counts"] = [stored(db) - before, total, errors]
        # wrk stops with up to 4 requests in flight: the server may store those too
        results["api_stored_matches"] = 0 <= stored(db) - before - (total - errors) <= CONNECTIONS
        before = stored(db)
        rps, total, errors = wrk(
            f"http://127.0.0.1:{PORT}/api/v1/entries",
            lua("api_idem.lua", body, headers, fresh_key=True),
        )
        results["api_create_idempotency_key_rps"] = rps
        results["api_create_idempotency_key_errors"] = errors
        time.sleep(1)
        results["api_idem_counts"] = [stored(db) - before, total, errors]
        results["api_idem_stored_matches"] = (
            0 <= stored(db) - before - (total - errors) <= CONNECTIONS
        )
    finally:
        app.stop()
    bare = Server("bench.bare_app:create('insert')", PORT + 2, env, "/")
    try:
        wrk(
            f"http://127.0.0.1:{PORT + 2}/",
            lua(
                "bare_warm.lua",
                "note=warm&quantity=1",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
            2,
        )
        rps, _total, errors = wrk(
            f"http://127.0.0.1:{PORT + 2}/",
            lua(
                "bare.lua",
                "note=bench&quantity=12",
                {"Content-Type": "application/x-www-form-urlencoded"},
            ),
        )
        results["bare_insert_rps"] = rps
        results["bare_insert_errors"] = errors
    finally:
        bare.stop()
    results["api_vs_bare_insert"] = round(results["api_create_rps"] / results["bare_insert_rps"], 3)
    results["api_idem_vs_bare_insert"] = round(
        results["api_create_idempotency_key_rps"] / results["bare_insert_rps"], 3
    )
    return results


if __name__ == "__main__":
    out = main()
    print(f"{'measure':<44}{'value':>12}")
    for key, value in out.items():
        print(f"{key:<44}{value!s:>12}")
    (ROOT / "bench" / "api_results.json").write_text(json.dumps(out, indent=2) + "\n")
    bad = [k for k, v in out.items() if (k.endswith("_errors") and v) or v is False]
    if bad:
        sys.exit(f"bench/api.py: {bad}")
