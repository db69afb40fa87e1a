"""spreadsheet import: column mapping remembered per school; a batch's mapping and checked rows

Revision ID: 0007_h8_import_mapping
Revises: 0006_drop_stats_version
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_h8_import_mapping"
down_revision = "0006_drop_stats_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"],
                                name=op.f("fk_import_mappings_school_id_schools")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_import_mappings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("school_id", name=op.f("uq_import_mappings_school_id")),
    )
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("columns", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("checked", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("checked")
        batch.drop_column("columns")
    op.drop_table("import_mappings")
