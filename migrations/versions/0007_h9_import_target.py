"""spreadsheet import: what a batch imports (entries, meter readings, schools, accounts);
an admin's batch of schools or accounts has no school

Revision ID: 0007_h9_import_target
Revises: 0006_drop_stats_version
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_h9_import_target"
down_revision = "0006_drop_stats_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("target", sa.String(length=20), nullable=False,
                                   server_default="entries"))
        batch.alter_column("school_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM import_batches WHERE school_id IS NULL")
    with op.batch_alter_table("import_batches") as batch:
        batch.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("target")
