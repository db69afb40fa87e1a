"""flask commands: seed-demo, create-admin, create-user, rebuild-summary, backup."""

from __future__ import annotations

import click
from flask import Flask

from greenapp.extensions import db
from greenapp.models.school import School
from greenapp.models.user import ROLES
from greenapp.services import demo, summary, users
from greenapp.services.clock import today_in
from greenapp.services.errors import ValidationFailed


def register_cli(app: Flask) -> None:
    """Attach the project's commands to `flask`."""

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo schools, accounts and a year of logs (idempotent; never in production)."""
        if app.config["ENV_NAME"] == "production":
            raise click.ClickException(
                "seed-demo refuses to run in production: it creates accounts with the "
                "public demo password."
            )
        created = demo.seed(today_in())
        from greenapp.services.demo_meters import seed_meters

        readings = seed_meters(today_in())
        db.session.commit()
        click.echo(
            f"demo data: {created['schools']} schools, {created['users']} accounts, "
            f"{created['logs']} logs, {readings} meter readings added"
        )

    @app.cli.command("send-digest")
    @click.option(
        "--days",
        default=7,
        show_default=True,
        type=click.IntRange(1, 366),
        help="Notifications of the last DAYS days.",
    )
    def send_digest(days: int) -> None:
        """Mail each user who wants it the week's notifications, in their language."""
        from greenapp.services import notifications

        sent, failed = notifications.send_digest(days)
        click.echo(f"digest: {sent} mails sent, {failed} failed")
        if failed:
            raise SystemExit(1)

    @app.cli.command("demo-logins")
    def demo_logins() -> None:
        """Print the demo accounts (development only)."""
        for email, _name, role, _school in demo.DEMO_USERS:
            click.echo(f"  {role:<12} {email:<38} password: {demo.DEMO_PASSWORD}")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt="Display name")
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create the first admin account."""
        _create(email, name, password, "admin", None)

    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt="Display name")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--school", "school_name", default=None, help="School name (coordinators)")
    @click.password_option()
    def create_user(
        email: str, name: str, role: str, school_name: str | None, password: str
    ) -> None:
        """Create an account of any role."""
        _create(email, name, password, role, school_name)

    @app.cli.command("rebuild-summary")
    def rebuild_summary() -> None:
        """Recompute the daily summary from the logs."""
        n = summary.rebuild()
        db.session.commit()
        click.echo(f"{n} summary rows")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_cmd(path: str) -> None:
        """Write a consistent copy of the database to PATH (safe while serving)."""
        from greenapp.services import backup

        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql"):
            dump, restore = backup.postgres_commands(url, path)
            click.echo("PostgreSQL: back up with pg_dump (a consistent snapshot):")
            click.echo(f"  {dump}")
            click.echo("Restore into an empty or existing database with:")
            click.echo(f"  {restore}")
            click.echo("(give the password via PGPASSWORD or ~/.pgpass)")
            return
        try:
            result = backup.backup_sqlite(backup.sqlite_path(url), path)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        rows = sum(result.tables.values())
        click.echo(
            f"backup written to {result.path}: {len(result.tables)} tables, "
            f"{rows} rows, integrity ok"
        )


def _create(email: str, name: str, password: str, role: str, school_name: str | None) -> None:
    school = None
    if school_name:
        school = db.session.query(School).filter_by(name=school_name).one_or_none()
        if school is None:
            raise click.ClickException(f"no school named {school_name!r}")
    try:
        user = users.create_user(
            email=email, display_name=name, password=password, role=role, school=school
        )
    except ValidationFailed as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")
