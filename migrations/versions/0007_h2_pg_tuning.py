"""PostgreSQL storage settings found by EXPLAIN (ANALYZE, BUFFERS) on 10M logs

Revision ID: 0007_h2_pg_tuning
Revises: 0006_drop_stats_version
Create Date: 2026-11-26

PostgreSQL only (SQLite has neither storage parameters nor a visibility map: no-op).

- cache_versions: every write upserts two of its ~200 rows ('programme' and the
  school's), so it is the most updated table of all; fillfactor 50 keeps those
  updates HOT in place and per-table autovacuum cleans up the dead versions after
  ~100 of them instead of 50 + 20 % of the table.
- eco_logs: the quality check's 90-day count and median is an index-only scan of
  ix_eco_logs_quality_school (h8_cache_rollup), but only over all-visible pages: the
  logs of the last 90 days are the newest rows, and with the default
  autovacuum_vacuum_insert_scale_factor (0.2) at 10M logs autovacuum sets them visible
  only every 2M inserts, so every check visited the table for each recent row. 0.005
  (50k inserts at 10M) keeps the visibility map current; the analyse threshold
  follows so the planner's statistics on the growing table stay fresh.
- daily_summaries, monthly_summaries, programme_rollup: the fillfactor and autovacuum
  settings of h8_cache_rollup stay; here only the insert-triggered vacuum of the two
  summary tables, which grow with the logs (daily_summaries: 0.9M rows at 1M logs,
  4.4M at 10M), for the same index-only reasons.
"""

from alembic import op

revision = "0007_h2_pg_tuning"
down_revision = "0006_drop_stats_version"
branch_labels = None
depends_on = None

SETTINGS = {
    "cache_versions": "fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0, "
                      "autovacuum_vacuum_threshold = 100",
    "eco_logs": "autovacuum_vacuum_insert_scale_factor = 0.005, "
                "autovacuum_analyze_scale_factor = 0.02",
    "daily_summaries": "autovacuum_vacuum_insert_scale_factor = 0.01",
    "monthly_summaries": "autovacuum_vacuum_insert_scale_factor = 0.01",
}


def _names(settings: str) -> str:
    return ", ".join(part.split("=")[0].strip() for part in settings.split(","))


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, settings in SETTINGS.items():
        op.execute(f"ALTER TABLE {table} SET ({settings})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, settings in SETTINGS.items():
        op.execute(f"ALTER TABLE {table} RESET ({_names(settings)})")
