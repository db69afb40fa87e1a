"""spreadsheet import batches; eco_logs.import_batch_id and eco_logs.external_ref

Revision ID: h9_imports
Revises: 0004_merge
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "h9_imports"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id"), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_kind", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_new", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_invalid", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_import_batches_school", "import_batches", ["school_id", "created_at"])
    op.create_index("ix_import_batches_sha256", "import_batches", ["sha256"])
    with op.batch_alter_table("eco_logs") as batch:
        batch.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("external_ref", sa.String(100), nullable=True))
        batch.create_foreign_key("fk_eco_logs_import_batch_id", "import_batches",
                                 ["import_batch_id"], ["id"])
        batch.create_index("ix_eco_logs_import_batch_id", ["import_batch_id"])


def downgrade():
    with op.batch_alter_table("eco_logs") as batch:
        batch.drop_index("ix_eco_logs_import_batch_id")
        batch.drop_constraint("fk_eco_logs_import_batch_id", type_="foreignkey")
        batch.drop_column("external_ref")
        batch.drop_column("import_batch_id")
    op.drop_index("ix_import_batches_sha256", table_name="import_batches")
    op.drop_index("ix_import_batches_school", table_name="import_batches")
    op.drop_table("import_batches")
