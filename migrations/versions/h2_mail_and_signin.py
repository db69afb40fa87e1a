"""accounts: e-mail confirmation time and per-user e-mail opt-outs

Revision ID: h2_mail_and_signin
Revises: 0004_merge
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "h2_mail_and_signin"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("notify_by_email", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column("digest_by_email", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    # Accounts that exist today were made before confirmation existed: they keep working.
    op.execute(sa.text("UPDATE users SET email_confirmed_at = created_at "
                       "WHERE email_confirmed_at IS NULL"))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("digest_by_email")
        batch_op.drop_column("notify_by_email")
        batch_op.drop_column("email_confirmed_at")
