"""merge the impact and community branches into one history

Revision ID: 0004_merge
Revises: 0002_impact, 0003_community
Create Date: 2026-11-25
"""

revision = "0004_merge"
down_revision = ("0002_impact", "0003_community")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
