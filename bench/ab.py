"""Did a change slow the warm pages? Two revisions side by side, on this machine, now.

This VM's speed drifts by a quarter within minutes, so a figure measured before a
change and one measured after it do not say which is faster. Here both revisions are
served at once (gunicorn, 2 sync workers each, each on its own copy of the 1M database
that `make bench` builds), and wrk takes turns on them round by round: only the ratio
new/old of one run counts.

    git worktree add /tmp/old <revision>
    .venv/bin/python bench/ab.py /tmp/old [rounds]      # "new" is this checkout

Prints, for the school dashboard and the programme overview, the median req/s of each
revision over the rounds and their ratio.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import DATA, ROOT, Server, login, wrk  # noqa: E402

PAGES = {
    "school dashboard": ("/dashboards/school/1", "coordinator@bench.local"),
    "programme overview": ("/dashboards/programme", "admin@bench.local"),
}


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    old_tree = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    source = DATA / "bench_1m.db"
    if not source.exists():
        sys.exit("no bench/data/bench_1m.db: run `make bench` once first")
    trees = {"old": old_tree, "new": ROOT}
    ports = {"old": 5797, "new": 5798}
    work = Path(tempfile.mkdtemp(prefix="greenapp-ab-"))
    servers: dict[str, Server] = {}
    try:
        for name, tree in trees.items():
            db = work / f"{name}.db"
            shutil.copyfile(source, db)
            servers[name] = Server(db, port=ports[name], cwd=tree)
        cookies = {
            (name, page): login(email, ports[name])
            for name in trees
            for page, (_path, email) in PAGES.items()
        }
        for name in trees:  # warm both before measuring
            for page, (path, _email) in PAGES.items():
                wrk(path, cookies[(name, page)], ports[name])
        got: dict[tuple[str, str], list[float]] = {key: [] for key in cookies}
        for turn in range(rounds):
            for name in ("old", "new") if turn % 2 == 0 else ("new", "old"):
                for page, (path, _email) in PAGES.items():
                    got[(name, page)].append(wrk(path, cookies[(name, page)], ports[name])[1])
        for page in PAGES:
            old = statistics.median(got[("old", page)])
            new = statistics.median(got[("new", page)])
            print(
                f"{page}: old {old:,.0f} req/s, new {new:,.0f} req/s, new/old {new / old:.3f} "
                f"(rounds old {[round(x) for x in got[('old', page)]]}, "
                f"new {[round(x) for x in got[('new', page)]]})"
            )
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
