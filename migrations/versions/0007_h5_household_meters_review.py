"""household meters (a resident's own), the review of flagged meter readings, and
city temperatures for heating degree-days

Revision ID: 0007_h5_household_meters_review
Revises: 0006_drop_stats_version
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_h5_household_meters_review"
down_revision = "0006_drop_stats_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "city_temperatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("mean_c", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"],
                                name=op.f("fk_city_temperatures_city_id_cities")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_city_temperatures_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_temperatures")),
        sa.UniqueConstraint("city_id", "month", name=op.f("uq_city_temperatures_city_id")),
    )
    with op.batch_alter_table("meter_baselines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heat_degree_days", sa.Boolean(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resident_id", sa.Integer(), nullable=True))
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f("fk_meters_resident_id_users"), "users",
                                    ["resident_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_meters_resident_id"), ["resident_id"],
                              unique=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_meters_one_owner"), "(school_id IS NULL) <> (resident_id IS NULL)")
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_status", sa.String(length=10),
                                      nullable=False, server_default=""))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_meter_readings_reviewed_by_id_users"),
                                    "users", ["reviewed_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("meter_baselines", schema=None) as batch_op:
        batch_op.drop_column("heat_degree_days")
    op.drop_table("city_temperatures")
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meter_readings_reviewed_by_id_users"),
                                 type_="foreignkey")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("review_status")
    op.execute("DELETE FROM meter_readings WHERE meter_id IN "
               "(SELECT id FROM meters WHERE school_id IS NULL)")
    op.execute("DELETE FROM meters WHERE school_id IS NULL")
    with op.batch_alter_table("meters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_meters_one_owner"), type_="check")
        batch_op.drop_index(batch_op.f("ix_meters_resident_id"))
        batch_op.drop_constraint(batch_op.f("fk_meters_resident_id_users"),
                                 type_="foreignkey")
        batch_op.drop_column("resident_id")
        batch_op.alter_column("school_id", existing_type=sa.Integer(), nullable=False)
