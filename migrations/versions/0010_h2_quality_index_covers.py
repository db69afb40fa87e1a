"""the quality check's indexes cover what it reads on SQLite too

Revision ID: 0010_h2_quality_index_covers
Revises: 0009_hw_rollups_in_pipeline
Create Date: 2026-11-26

The quality check (services/quality.py) reads an owner's 90-day window of one category
on every saved entry. ix_eco_logs_quality_school / _resident (h8_cache_rollup) had
quantity, review_status and deleted_at as PostgreSQL INCLUDE columns only: SQLite has
no INCLUDE, so there every row of the window was a lookup in the table (about 0.5 ms
for a window of 700 entries, growing with a busy owner's entries). They become trailing
key columns on both databases (the id stays included on PostgreSQL; on SQLite the rowid
is in every index), so both answer from the index alone.
"""

from alembic import op

revision = "0010_h2_quality_index_covers"
down_revision = "0009_hw_rollups_in_pipeline"
branch_labels = None
depends_on = None

KEY = {"school": "school_id", "resident": "resident_id"}
COVERS = ["quantity", "review_status", "deleted_at"]


def upgrade():
    for owner, column in KEY.items():
        name = f"ix_eco_logs_quality_{owner}"
        op.drop_index(name, table_name="eco_logs")
        op.create_index(name, "eco_logs", [column, "category", "action_date", *COVERS],
                        postgresql_include=["id"])


def downgrade():
    for owner, column in KEY.items():
        name = f"ix_eco_logs_quality_{owner}"
        op.drop_index(name, table_name="eco_logs")
        op.create_index(name, "eco_logs", [column, "category", "action_date"],
                        postgresql_include=["quantity", "id", "review_status", "deleted_at"])
