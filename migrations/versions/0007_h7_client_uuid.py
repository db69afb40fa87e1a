"""eco_logs.client_uuid: the offline queue's idempotency key, unique per author

Revision ID: 0007_h7_client_uuid
Revises: 0006_drop_stats_version
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_h7_client_uuid"
down_revision = "0006_drop_stats_version"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("eco_logs") as batch:
        batch.add_column(sa.Column("client_uuid", sa.String(36), nullable=True))
        batch.create_unique_constraint("uq_eco_logs_author_client_uuid",
                                       ["created_by_id", "client_uuid"])


def downgrade():
    with op.batch_alter_table("eco_logs") as batch:
        batch.drop_constraint("uq_eco_logs_author_client_uuid", type_="unique")
        batch.drop_column("client_uuid")
