"""impact factors, tariffs, monthly rollup of the daily summary (kept by triggers)

Revision ID: 0002_impact
Revises: 0001_initial
Create Date: 2026-11-25

Default factors and tariffs are seeded here with their sources; they are
approximate (see README, "Dashboards, impact and benchmark") and are changed on
/impact/factors and /impact/tariffs by adding a new row valid from a date.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002_impact"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

KEY = "owner_type, owner_id, month, category, fraction, evidence"
SINCE = date(2020, 1, 1)

# (country, category, fraction, kg CO2e per canonical unit, source)
FACTORS = [
    ("KZ", "energy", "", "0.636",
     "Grid emission factor, Kazakhstan: ~0.64 kg CO2/kWh (IEA Emissions Factors / "
     "national grid, coal-heavy mix, 2022; approximate)"),
    ("BY", "energy", "", "0.400",
     "Grid emission factor, Belarus: ~0.40 kg CO2/kWh (IEA Emissions Factors, "
     "gas-fired grid with the Astravets NPP, 2022; approximate)"),
    ("KZ", "water", "", "0.000344",
     "Water supply and treatment: ~0.344 kg CO2e/m3 = 0.000344 per litre (UK DEFRA/"
     "DESNZ GHG conversion factors 2022, water supply + treatment; approximate)"),
    ("BY", "water", "", "0.000344",
     "Water supply and treatment: ~0.344 kg CO2e/m3 = 0.000344 per litre (UK DEFRA/"
     "DESNZ GHG conversion factors 2022, water supply + treatment; approximate)"),
    ("KZ", "trees", "", "22",
     "One young tree takes up ~22 kg CO2 per year (commonly cited forestry "
     "estimate, e.g. European Environment Agency; first-year figure, approximate)"),
    ("BY", "trees", "", "22",
     "One young tree takes up ~22 kg CO2 per year (commonly cited forestry "
     "estimate, e.g. European Environment Agency; first-year figure, approximate)"),
]
WASTE_FACTORS = {
    "paper": "0.9", "plastic": "1.0", "glass": "0.3", "metal": "4.0",
    "organic": "0.5", "ewaste": "1.0",
}
WASTE_SOURCE = (
    "Recycling instead of landfill, {fraction}: ~{value} kg CO2e avoided per kg "
    "(US EPA WARM v15 / UK DEFRA 2022 recycling vs landfill, rounded; approximate)"
)
# (city, country, currency, category, fraction, price per canonical unit, source)
TARIFFS = [
    ("Kyzylorda", "KZ", "KZT", "water", "", "0.25",
     "Kyzylorda water supply + sewerage for organisations ~250 KZT/m3 = 0.25 KZT/L "
     "(Kyzylorda Su Zhuiesi published tariff, 2023; approximate)"),
    ("Kyzylorda", "KZ", "KZT", "energy", "", "30",
     "Kyzylorda electricity for organisations ~30 KZT/kWh (regional supplier "
     "tariff, 2023; approximate)"),
    ("Minsk", "BY", "BYN", "water", "", "0.0025",
     "Minsk water supply + sewerage for budget organisations ~2.5 BYN/m3 = "
     "0.0025 BYN/L (Minskvodokanal tariff, 2023; approximate)"),
    ("Minsk", "BY", "BYN", "energy", "", "0.30",
     "Minsk electricity for budget organisations ~0.30 BYN/kWh (Minskenergo "
     "tariff, 2023; approximate)"),
]
RECYCLING = {  # fraction: (KZT per kg, BYN per kg)
    "paper": ("25", "0.12"), "plastic": ("40", "0.20"), "glass": ("5", "0.03"),
    "metal": ("80", "0.45"), "organic": ("0", "0"), "ewaste": ("0", "0"),
}
RECYCLING_SOURCE = (
    "Recycling revenue, {fraction}: ~{value} {currency}/kg paid by collection points "
    "in {city} (collection-point price lists, 2023; approximate)"
)

SQLITE_TRIGGERS = [
    """CREATE TRIGGER trg_daily_summaries_ai AFTER INSERT ON daily_summaries BEGIN
  INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
  VALUES (NEW.owner_type, NEW.owner_id, strftime('%Y-%m-01', NEW.day), NEW.category,
          NEW.fraction, NEW.evidence, NEW.quantity, NEW.log_count)
  ON CONFLICT (KEYCOLS) DO UPDATE SET quantity = quantity + excluded.quantity,
    log_count = log_count + excluded.log_count;
END""",
    """CREATE TRIGGER trg_daily_summaries_au AFTER UPDATE ON daily_summaries BEGIN
  INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
  VALUES (OLD.owner_type, OLD.owner_id, strftime('%Y-%m-01', OLD.day), OLD.category,
          OLD.fraction, OLD.evidence, -OLD.quantity, -OLD.log_count)
  ON CONFLICT (KEYCOLS) DO UPDATE SET quantity = quantity + excluded.quantity,
    log_count = log_count + excluded.log_count;
  INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
  VALUES (NEW.owner_type, NEW.owner_id, strftime('%Y-%m-01', NEW.day), NEW.category,
          NEW.fraction, NEW.evidence, NEW.quantity, NEW.log_count)
  ON CONFLICT (KEYCOLS) DO UPDATE SET quantity = quantity + excluded.quantity,
    log_count = log_count + excluded.log_count;
  DELETE FROM monthly_summaries WHERE log_count <= 0
    AND owner_type = OLD.owner_type AND owner_id = OLD.owner_id
    AND month = strftime('%Y-%m-01', OLD.day);
END""",
    """CREATE TRIGGER trg_daily_summaries_ad AFTER DELETE ON daily_summaries BEGIN
  INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
  VALUES (OLD.owner_type, OLD.owner_id, strftime('%Y-%m-01', OLD.day), OLD.category,
          OLD.fraction, OLD.evidence, -OLD.quantity, -OLD.log_count)
  ON CONFLICT (KEYCOLS) DO UPDATE SET quantity = quantity + excluded.quantity,
    log_count = log_count + excluded.log_count;
  DELETE FROM monthly_summaries WHERE log_count <= 0
    AND owner_type = OLD.owner_type AND owner_id = OLD.owner_id
    AND month = strftime('%Y-%m-01', OLD.day);
END""",
]
SQLITE_TRIGGERS = [t.replace("KEYCOLS", KEY) for t in SQLITE_TRIGGERS]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION greenapp_monthly_rollup() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
    VALUES (OLD.owner_type, OLD.owner_id, date_trunc('month', OLD.day)::date,
            OLD.category, OLD.fraction, OLD.evidence, -OLD.quantity, -OLD.log_count)
    ON CONFLICT (KEYCOLS) DO UPDATE
      SET quantity = monthly_summaries.quantity + EXCLUDED.quantity,
          log_count = monthly_summaries.log_count + EXCLUDED.log_count;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO monthly_summaries (KEYCOLS, quantity, log_count)
    VALUES (NEW.owner_type, NEW.owner_id, date_trunc('month', NEW.day)::date,
            NEW.category, NEW.fraction, NEW.evidence, NEW.quantity, NEW.log_count)
    ON CONFLICT (KEYCOLS) DO UPDATE
      SET quantity = monthly_summaries.quantity + EXCLUDED.quantity,
          log_count = monthly_summaries.log_count + EXCLUDED.log_count;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM monthly_summaries WHERE log_count <= 0
      AND owner_type = OLD.owner_type AND owner_id = OLD.owner_id
      AND month = date_trunc('month', OLD.day)::date;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
""".replace("KEYCOLS", KEY)
PG_TRIGGER = """
CREATE TRIGGER trg_daily_summaries_rollup
AFTER INSERT OR UPDATE OR DELETE ON daily_summaries
FOR EACH ROW EXECUTE FUNCTION greenapp_monthly_rollup()
"""


def upgrade():
    factors = op.create_table(
        "impact_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("fraction", sa.String(length=20), nullable=False),
        sa.Column("kg_co2e_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_impact_factors_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factors")),
        sa.UniqueConstraint("country", "category", "fraction", "valid_from",
                            name="uq_impact_factors_key"),
    )
    tariffs = op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("fraction", sa.String(length=20), nullable=False),
        sa.Column("price_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_tariffs_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        sa.UniqueConstraint("city", "category", "fraction", "valid_from",
                            name="uq_tariffs_key"),
    )
    op.create_table(
        "monthly_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("fraction", sa.String(length=20), nullable=False),
        sa.Column("evidence", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("log_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_summaries")),
        sa.UniqueConstraint("owner_type", "owner_id", "month", "category", "fraction",
                            "evidence", name="uq_monthly_summaries_key"),
    )
    with op.batch_alter_table("monthly_summaries", schema=None) as batch_op:
        batch_op.create_index("ix_monthly_summaries_month", ["month"], unique=False)
    version = op.create_table(
        "stats_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_version")),
    )
    op.bulk_insert(version, [{"id": 1, "n": 0}])

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # Roll up whatever daily rows exist already.
    month = ("date_trunc('month', day)::date" if bind.dialect.name == "postgresql"
             else "strftime('%Y-%m-01', day)")
    op.execute(
        f"INSERT INTO monthly_summaries ({KEY}, quantity, log_count) "  # noqa: S608
        f"SELECT owner_type, owner_id, {month}, category, fraction, evidence, "
        f"SUM(quantity), SUM(log_count) FROM daily_summaries "
        f"GROUP BY owner_type, owner_id, {month}, category, fraction, evidence"
    )

    now = datetime.now(UTC)
    rows = [
        {"country": c, "category": cat, "fraction": fr,
         "kg_co2e_per_unit": _scaled(v), "source": src, "valid_from": SINCE,
         "created_at": now}
        for c, cat, fr, v, src in FACTORS
    ]
    for country in ("KZ", "BY"):
        for fraction, value in WASTE_FACTORS.items():
            rows.append({
                "country": country, "category": "waste", "fraction": fraction,
                "kg_co2e_per_unit": _scaled(value),
                "source": WASTE_SOURCE.format(fraction=fraction, value=value),
                "valid_from": SINCE, "created_at": now,
            })
    op.bulk_insert(factors, rows)
    trows = [
        {"city": city, "country": c, "currency": cur, "category": cat, "fraction": fr,
         "price_per_unit": _scaled(v), "source": src, "valid_from": SINCE,
         "created_at": now}
        for city, c, cur, cat, fr, v, src in TARIFFS
    ]
    for fraction, (kzt, byn) in RECYCLING.items():
        for city, c, cur, value in (("Kyzylorda", "KZ", "KZT", kzt),
                                    ("Minsk", "BY", "BYN", byn)):
            trows.append({
                "city": city, "country": c, "currency": cur, "category": "waste",
                "fraction": fraction, "price_per_unit": _scaled(value),
                "source": RECYCLING_SOURCE.format(fraction=fraction, value=value,
                                                  currency=cur, city=city),
                "valid_from": SINCE, "created_at": now,
            })
    op.bulk_insert(tariffs, trows)


def _scaled(text: str) -> int:
    """Decimal text -> the scaled integer stored by ScaledDecimal(6)."""
    from decimal import Decimal

    return int(Decimal(text).scaleb(6))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_daily_summaries_rollup ON daily_summaries")
        op.execute("DROP FUNCTION IF EXISTS greenapp_monthly_rollup()")
    else:
        for name in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_daily_summaries_{name}")
    op.drop_table("stats_version")
    with op.batch_alter_table("monthly_summaries", schema=None) as batch_op:
        batch_op.drop_index("ix_monthly_summaries_month")
    op.drop_table("monthly_summaries")
    op.drop_table("tariffs")
    op.drop_table("impact_factors")
