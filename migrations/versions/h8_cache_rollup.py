"""one cache with scoped versions, a programme-level rollup, the quality check's index

Revision ID: h8_cache_rollup
Revises: 0004_merge
Create Date: 2026-11-26

- cache_versions: one counter per cache scope (services/cache.py), seeded with
  'programme' and one row per existing school.
- programme_rollup: counted school logs per month x city x country x category x
  fraction x evidence, filled here from the monthly summary and kept in step by
  services/summary.py. On PostgreSQL it is created with fillfactor 50 and eager
  per-table autovacuum, so the upserts of every write stay HOT updates in place
  instead of bloating the table (the same settings are applied to the two summary
  tables, whose upserts bloated monthly_summaries ~18x).
- eco_logs (school_id | resident_id, category, action_date) INCLUDE (quantity, id,
  review_status, deleted_at) on PostgreSQL (a plain composite index on SQLite) for
  the quality check's 90-day count and median (services/quality.py).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "h8_cache_rollup"
down_revision = "0004_merge"
branch_labels = None
depends_on = None

# Everything the check filters on besides the key, so PostgreSQL answers from the
# index alone (an index-only scan) without visiting the table's rows.
QUALITY_INCLUDE = ["quantity", "id", "review_status", "deleted_at"]
ROLLUP_STORAGE = (
    "fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01, "
    "autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05"
)
SUMMARY_STORAGE = (
    "fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, "
    "autovacuum_analyze_scale_factor = 0.05"
)


def upgrade():
    op.create_table(
        "cache_versions",
        sa.Column("scope", sa.String(length=60), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_cache_versions")),
    )
    op.create_table(
        "programme_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        # the school's city row (cities.id); filled by 0005_merge_wave2, which runs after
        # the city table exists
        sa.Column("city", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("fraction", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("log_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_rollup")),
        sa.UniqueConstraint("month", "city", "country", "category", "fraction",
                            "evidence", name="uq_programme_rollup_key"),
    )
    # Plain CREATE INDEX (no batch mode: eco_logs is never copied).
    op.create_index("ix_eco_logs_quality_school", "eco_logs",
                    ["school_id", "category", "action_date"],
                    postgresql_include=QUALITY_INCLUDE)
    op.create_index("ix_eco_logs_quality_resident", "eco_logs",
                    ["resident_id", "category", "action_date"],
                    postgresql_include=QUALITY_INCLUDE)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE programme_rollup SET ({ROLLUP_STORAGE})")
        op.execute(f"ALTER TABLE monthly_summaries SET ({SUMMARY_STORAGE})")
        op.execute(f"ALTER TABLE daily_summaries SET ({SUMMARY_STORAGE})")
    now = datetime.now(UTC)
    versions = sa.table("cache_versions", sa.column("scope", sa.String),
                        sa.column("n", sa.Integer),
                        sa.column("changed_at", sa.DateTime(timezone=True)))
    school_ids = [r[0] for r in bind.execute(sa.text("SELECT id FROM schools"))]
    op.bulk_insert(versions, [{"scope": "programme", "n": 1, "changed_at": now}] + [
        {"scope": f"school:{i}", "n": 1, "changed_at": now} for i in school_ids])


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE monthly_summaries RESET (fillfactor, "
                   "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")
        op.execute("ALTER TABLE daily_summaries RESET (fillfactor, "
                   "autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")
    op.drop_index("ix_eco_logs_quality_resident", table_name="eco_logs")
    op.drop_index("ix_eco_logs_quality_school", table_name="eco_logs")
    op.drop_table("programme_rollup")
    op.drop_table("cache_versions")
