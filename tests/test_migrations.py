"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from greenapp.extensions import db as _db


def test_migrations_match_models(app):
    # The test database was built by `flask db upgrade heads` (see conftest).
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_single_history_reaches_every_table(app):
    from sqlalchemy import inspect

    tables = set(inspect(_db.engine).get_table_names())
    assert {t.name for t in _db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_history_has_a_single_head():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    migrations = Path(__file__).resolve().parent.parent / "migrations"
    config = Config(str(migrations / "alembic.ini"))
    config.set_main_option("script_location", str(migrations))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"merge the migration branches: {heads}"
