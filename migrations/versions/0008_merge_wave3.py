"""join the third wave's branches (PostgreSQL tuning, household meters and reading
review, API tokens, offline client UUIDs, import column mappings, import targets)

Revision ID: 0008_merge_wave3
Revises: 0007_h2_pg_tuning, 0007_h5_household_meters_review, 0007_h6_api_tokens,
    0007_h7_client_uuid, 0007_h8_import_mapping, 0007_h9_import_target
Create Date: 2026-11-26
"""

revision = "0008_merge_wave3"
down_revision = (
    "0007_h2_pg_tuning",
    "0007_h5_household_meters_review",
    "0007_h6_api_tokens",
    "0007_h7_client_uuid",
    "0007_h8_import_mapping",
    "0007_h9_import_target",
)
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
