"""How long `make test` takes, next to a bare Flask baseline measured in the same run.

The suite's target is "2 minutes on this 2-core machine", and the issue that set it
measured that machine's bare Flask at 5,419 req/s. The VMs this project runs on are
the same kind (2 cores) but not the same speed: bare Flask has been measured here at
2,600 to 5,400 req/s, and the suite's wall time and CPU time follow that speed (the same
code took 2:05 at ~4,700 req/s and 3:29 at ~2,700). So, as for every other speed figure
of the project (bench/run.py), only a ratio from one run counts: this measures bare Flask
(bench/bare_app.py under gunicorn, 2 sync workers, wrk -t2 -c4, three runs of
BENCH_SECONDS, 8 s by default, with bench/run.py's own server and wrk helpers) just
before and just after a full `make test`, and reports the suite's wall time as measured
and scaled to the reference machine:

    at reference speed = wall time x (bare Flask req/s in this run) / 5,419

It also reports the whole machine's busy CPU-seconds over the run (/proc/stat: the test
workers, Chromium, the live servers, PostgreSQL or anything else the run starts).

    .venv/bin/python bench/test_speed.py [runs]      # or: make test-speed RUNS=3

Appends each run to bench/test-speed.json. The machine should be otherwise idle.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import WRK_SECONDS, Server, wrk  # noqa: E402 - after the path is set

REFERENCE_BARE_RPS = 5_419  # bare Flask on the machine the 2-minute target was set on
TARGET_SECONDS = 120
RESULTS = ROOT / "bench" / "test-speed.json"
PORT = int(os.environ.get("BENCH_PORT", "5687")) + 20
WRK_RUNS = 3


def bare_flask_rps() -> list[float]:
    """Bare Flask req/s, WRK_RUNS times (bench/bare_app.py, as `make bench` serves it)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "BENCH_BARE_DB": f"{tmp}/bare.db"}
        srv = Server(None, port=PORT, app="bench.bare_app:create('bare')", ping="/", env=env)
        try:
            wrk("/", port=PORT)  # warm
            return [wrk("/", port=PORT)[1] for _ in range(WRK_RUNS)]
        finally:
            srv.stop()


def _busy_ticks() -> int:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return user + nice + system + irq + softirq


def run_suite() -> dict:
    """`make test`, as the README says; its wall time, pytest's own and the machine's CPU."""
    ticks = os.sysconf("SC_CLK_TCK")
    busy = _busy_ticks()
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    cpu = (_busy_ticks() - busy) / ticks
    # pytest's last line ("1361 passed, 10 skipped in 200.58s"), before make's own lines
    lines = [ln for ln in proc.stdout.splitlines() if re.search(r"\d+ passed.* in [\d.]+s", ln)]
    tail = lines[-1] if lines else ""
    summary = re.search(r"(\d+) passed.* in ([\d.]+)s", tail)
    if proc.returncode != 0 or not summary:
        sys.stdout.write(proc.stdout[-5000:] + proc.stderr[-3000:])
        raise SystemExit(f"make test failed (exit {proc.returncode}): nothing recorded")
    return {
        "wall_s": round(wall, 1),
        "pytest_s": float(summary.group(2)),
        "passed": int(summary.group(1)),
        "machine_cpu_s": round(cpu, 1),
        "summary": tail.strip("= "),
    }


def _git_head() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    return out.stdout.decode().strip() or "unknown"


def measure() -> dict:
    before = bare_flask_rps()
    suite = run_suite()
    after = bare_flask_rps()
    bare = statistics.median(before + after)
    scale = bare / REFERENCE_BARE_RPS
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_head(),
        "bare_flask_rps_before": [round(x) for x in before],
        "bare_flask_rps_after": [round(x) for x in after],
        "bare_flask_rps": round(bare),
        "reference_bare_flask_rps": REFERENCE_BARE_RPS,
        "wrk_seconds": WRK_SECONDS,
        **suite,
        "wall_s_at_reference": round(suite["wall_s"] * scale, 1),
        "machine_cpu_s_at_reference": round(suite["machine_cpu_s"] * scale, 1),
        "target_s": TARGET_SECONDS,
    }


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    history = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    print("run | bare Flask req/s | make test wall (pytest) | machine CPU | at reference speed")
    met = 0
    for n in range(1, runs + 1):
        r = measure()
        history.append(r)
        RESULTS.write_text(json.dumps(history, indent=2) + "\n")
        ok = r["wall_s_at_reference"] <= TARGET_SECONDS
        met += ok
        bare = r["bare_flask_rps_before"] + r["bare_flask_rps_after"]
        print(
            f"{n} | {r['bare_flask_rps']:,} ({min(bare):,}-{max(bare):,}) | "
            f"{_mmss(r['wall_s'])} ({_mmss(r['pytest_s'])}) | {r['machine_cpu_s']:.0f} s | "
            f"{_mmss(r['wall_s_at_reference'])} {'met' if ok else 'MISSED'} "
            f"(<= {_mmss(TARGET_SECONDS)}), {r['passed']} passed",
            flush=True,
        )
    print(f"{met} of {runs} runs within {TARGET_SECONDS} s at reference speed; {RESULTS.name}")
    return 0 if met == runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
