"""the monthly rollup is kept by the write pipeline, like the daily summary and the
programme rollup: drop the database triggers of 0002_impact

Revision ID: 0009_hw_rollups_in_pipeline
Revises: 0008_merge_wave3
Create Date: 2026-11-26

services/summary.py now upserts monthly_summaries in the same Python step as
daily_summaries and programme_rollup (one upsert per key), and services/bulk_write.py
does the same set-based; the triggers would count every change twice. The rollup is
recomputed from the daily summary here, so it starts exactly in step. The downgrade
recreates the triggers (the SQL of 0002_impact) after the same recomputation.
"""

from alembic import op

revision = "0009_hw_rollups_in_pipeline"
down_revision = "0008_merge_wave3"
branch_labels = None
depends_on = None

KEY = "owner_type, owner_id, month, category, fraction, evidence"

# The triggers of 0002_impact, verbatim (for the downgrade).
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


def _recompute_monthly(postgresql: bool) -> None:
    """monthly_summaries := the daily summary rolled up per month (one statement)."""
    month = "date_trunc('month', day)::date" if postgresql else "strftime('%Y-%m-01', day)"
    op.execute("DELETE FROM monthly_summaries")
    op.execute(
        f"INSERT INTO monthly_summaries ({KEY}, quantity, log_count) "  # noqa: S608
        f"SELECT owner_type, owner_id, {month}, category, fraction, evidence, "
        f"SUM(quantity), SUM(log_count) FROM daily_summaries "
        f"GROUP BY owner_type, owner_id, {month}, category, fraction, evidence "
        f"HAVING SUM(log_count) > 0"
    )


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER IF EXISTS trg_daily_summaries_rollup ON daily_summaries")
        op.execute("DROP FUNCTION IF EXISTS greenapp_monthly_rollup()")
    else:
        for name in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_daily_summaries_{name}")
    _recompute_monthly(postgresql)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _recompute_monthly(postgresql)
    if postgresql:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
