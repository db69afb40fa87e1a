"""spreadsheet import: what a batch imports (entries or meter readings)

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


def downgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("target")
