"""Migration 0007_h2_pg_tuning: PostgreSQL storage settings that keep a write's cost
and the rollups' size independent of how many logs there are (no-op on SQLite)."""

import pytest
from sqlalchemy import text

from greenapp.extensions import db as _db


def _options(table: str) -> dict[str, str]:
    row = _db.session.execute(
        text("SELECT reloptions FROM pg_class WHERE relname = :t AND relkind = 'r'"), {"t": table}
    ).scalar()
    return dict(opt.split("=", 1) for opt in row or [])


@pytest.fixture
def pg(app):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("storage parameters exist on PostgreSQL only")
    return app


def test_upserted_tables_leave_room_for_updates_in_place(pg):
    # Every write upserts rows of these: free space per page keeps the updates HOT
    # (no new index entries, no bloat), and autovacuum follows the dead versions.
    assert _options("cache_versions")["fillfactor"] == "50"
    assert _options("programme_rollup")["fillfactor"] == "50"
    assert _options("monthly_summaries")["fillfactor"] == "80"
    assert _options("daily_summaries")["fillfactor"] == "80"
    assert float(_options("cache_versions")["autovacuum_vacuum_scale_factor"]) == 0


def test_new_logs_become_all_visible_soon(pg):
    # The quality check's index-only scan reads the newest logs (its 90-day window):
    # autovacuum must mark them visible after thousands of inserts, not 20 % of the table.
    assert float(_options("eco_logs")["autovacuum_vacuum_insert_scale_factor"]) <= 0.01
    for table in ("daily_summaries", "monthly_summaries"):
        assert float(_options(table)["autovacuum_vacuum_insert_scale_factor"]) <= 0.01
