"""drop the global data version: the one cache keys on per-scope versions instead

Revision ID: 0006_drop_stats_version
Revises: 0005_merge_wave2
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_drop_stats_version"
down_revision = "0005_merge_wave2"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("stats_version")


def downgrade():
    op.create_table(
        "stats_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_version")),
    )
    op.execute("INSERT INTO stats_version (id, n) VALUES (1, 0)")
