"""merge the second wave's branches (one per feature) into one history

Each feature of the second wave added its own migration on top of 0004_merge and only
creates or alters its own tables and columns, so their order does not matter. The one
step that needs two of them is here: the programme rollup (h8_cache_rollup) groups by the
school's city row, which exists only once the city table (h3_places_sources) is in.

Revision ID: 0005_merge_wave2
Revises: h2_mail_and_signin, h3_places_sources, h4_glossary, h7_meters_evidence, h8_cache_rollup, h9_imports
Create Date: 2026-11-26
"""

from alembic import op

revision = "0005_merge_wave2"
down_revision = ("h2_mail_and_signin", "h3_places_sources", "h4_glossary", "h7_meters_evidence", "h8_cache_rollup", "h9_imports")
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM programme_rollup")
    op.execute(
        "INSERT INTO programme_rollup (month, city, country, category, fraction, "
        "evidence, quantity, log_count) "
        "SELECT m.month, s.city_id, s.country, m.category, m.fraction, m.evidence, "
        "SUM(m.quantity), SUM(m.log_count) FROM monthly_summaries m "
        "JOIN schools s ON s.id = m.owner_id WHERE m.owner_type = 'school' "
        "GROUP BY m.month, s.city_id, s.country, m.category, m.fraction, m.evidence")


def downgrade():
    op.execute("DELETE FROM programme_rollup")
