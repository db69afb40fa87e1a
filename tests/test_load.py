"""Load without loss, at a small size: loadtest/run.py against gunicorn workers.

On SQLite always; on PostgreSQL too when TEST_DATABASE_URL points at PostgreSQL (the
run creates and drops its own database there). The large run is done by hand:
`.venv/bin/python loadtest/run.py --db sqlite --users 20 --logs 25 --workers 4`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = [pytest.mark.load, pytest.mark.slow]


def _run(*args: str) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "loadtest" / "run.py"),
            "--users",
            "6",
            "--logs",
            "6",
            "--workers",
            "3",
            "--race-rounds",
            "4",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LOAD_PG_URL": PG},
    )
    start = proc.stdout.find("{")
    assert start >= 0, f"no report; stderr:\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout[start:])
    assert proc.returncode == 0, json.dumps(report, indent=2)
    return report


def _check(report: dict) -> None:
    assert report["ok"]
    assert report["acknowledged"] > 0 and report["lost"] == 0
    assert report["duplicates"] == 0 and report["unexpected_rows"] == 0
    assert report["http_5xx"] == 0 and report["tracebacks_in_server_log"] == 0
    assert report["sums_match"] and report["daily_summary_matches_logs"]
    assert "killed_worker_pid" in report and report["workers_after_run"] == 3
    assert report["conflicts"]["sequential"] == {"first": 302, "second": 409, "message_shown": True}
    assert report["conflicts"]["race_lost_updates"] == 0


def test_concurrent_logging_loses_nothing_on_sqlite():
    _check(_run("--db", "sqlite"))


@pytest.mark.skipif(
    not PG.startswith("postgresql"), reason="TEST_DATABASE_URL does not point at PostgreSQL"
)
def test_concurrent_logging_loses_nothing_on_postgresql():
    _check(_run("--db", "postgresql", "--pg-url", PG))
