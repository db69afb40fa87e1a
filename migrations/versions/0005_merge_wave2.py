"""merge the second wave's branches (one per feature) into one history

Each feature of the second wave added its own migration on top of 0004_merge and only
creates or alters its own tables and columns, so their order does not matter.

Revision ID: 0005_merge_wave2
Revises: h2_mail_and_signin, h3_places_sources, h4_glossary, h7_meters_evidence, h9_imports
Create Date: 2026-11-26
"""

revision = "0005_merge_wave2"
down_revision = ("h2_mail_and_signin", "h3_places_sources", "h4_glossary", "h7_meters_evidence", "h9_imports")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
