"""greenapp: the Green School and Green Community tracker."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from greenapp.config import CONFIGS, check_production_secret
from greenapp.extensions import (
    SessionInterface,
    babel,
    check_limits_only_where_declared,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app for an environment ('development', 'testing', 'production')."""
    name = config_name or os.environ.get("GREENAPP_ENV", "development")
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    app.config.from_object(CONFIGS[name])
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server that could have dropped the connection: no ping (a
        # SELECT 1) before every checkout of a pooled connection.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
            "pool_pre_ping": False,
        }
    if app.config["ENV_NAME"] == "production":
        check_production_secret(app.config.get("SECRET_KEY"))
        from greenapp.services.deploy import check_production_limiter, warn_without_public_url

        check_production_limiter(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        warn_without_public_url(app.config.get("PUBLIC_BASE_URL", ""))
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    from greenapp.main.guards import register_guards

    register_guards(app)  # the bounded <int:> converter must exist before the routes
    register_blueprints(app)
    register_hooks(app)
    register_commands(app)
    from greenapp.ops import register_ops

    register_ops(app)
    from greenapp.assets import init_assets

    init_assets(app)  # hashed static URLs (static_url), gzip, HTML compression
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from greenapp import models  # noqa: F401 - the whole schema for Alembic
    from greenapp.services.cache import init_cache
    from greenapp.services.i18n import select_locale, select_timezone

    app.session_interface = SessionInterface()  # the serializer built once per key
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    # Skip the limiter's per-request hook where no limit can apply (see the function).
    check_limits_only_where_declared(app)
    init_cache(app)  # keys in this release's namespace (services/cache.py)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to open this page.")

    from greenapp.auth.loader import load_user
    from greenapp.services.cache import track_user_changes

    # The user (and the bell's unread count) from the one cache when still current.
    login_manager.user_loader(load_user)
    track_user_changes()


def register_blueprints(app: Flask) -> None:
    """Attach every feature blueprint."""
    from greenapp.auth.routes import bp as auth_bp
    from greenapp.community.routes import bp as community_bp
    from greenapp.dashboards.routes import bp as dashboards_bp
    from greenapp.evidence.routes import bp as evidence_bp
    from greenapp.evidence.uploads import register_upload_limits
    from greenapp.experts.routes import bp as experts_bp
    from greenapp.glossary.routes import bp as glossary_bp
    from greenapp.guides.routes import bp as guides_bp
    from greenapp.impact.routes import bp as impact_bp
    from greenapp.imports.admin_routes import bp as imports_admin_bp
    from greenapp.imports.meters_routes import bp as imports_meters_bp
    from greenapp.imports.routes import bp as imports_bp
    from greenapp.logs.routes import bp as logs_bp
    from greenapp.main.routes import bp as main_bp
    from greenapp.meters.routes import bp as meters_bp
    from greenapp.offline.routes import bp as offline_bp
    from greenapp.ops.routes import bp as ops_bp
    from greenapp.places.routes import bp as places_bp
    from greenapp.proposals.routes import bp as proposals_bp
    from greenapp.quality.routes import bp as quality_bp
    from greenapp.savings.routes import bp as savings_bp
    from greenapp.schools.routes import bp as schools_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(schools_bp, url_prefix="/schools")
    app.register_blueprint(logs_bp, url_prefix="/logs")
    app.register_blueprint(dashboards_bp, url_prefix="/dashboards")
    app.register_blueprint(impact_bp, url_prefix="/impact")
    app.register_blueprint(community_bp, url_prefix="/community")
    app.register_blueprint(experts_bp, url_prefix="/experts")  # the workspace page
    for expert_bp in (guides_bp, quality_bp, proposals_bp, savings_bp):
        app.register_blueprint(expert_bp, url_prefix="/experts")  # URLs kept from experts/
    app.register_blueprint(places_bp, url_prefix="/cities")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(imports_meters_bp, url_prefix="/imports/meters")
    app.register_blueprint(imports_admin_bp, url_prefix="/imports/admin")
    app.register_blueprint(glossary_bp, url_prefix="/glossary")  # + `flask glossary load`
    app.register_blueprint(meters_bp, url_prefix="/meters")
    app.register_blueprint(evidence_bp, url_prefix="/evidence")
    app.register_blueprint(offline_bp)  # /sw.js and /manifest.webmanifest at the root
    register_upload_limits(app)
    from greenapp.api import register_api

    register_api(app)  # /api/v1, its docs, and the token pages


def register_hooks(app: Flask) -> None:
    """Request hooks, error pages and template helpers."""
    from greenapp.main.errors import register_error_handlers
    from greenapp.main.templating import register_template_helpers
    from greenapp.permissions import enforce_declared_access

    app.before_request(enforce_declared_access)
    register_error_handlers(app)
    register_template_helpers(app)
    from greenapp.csrf_tokens import register_csrf_token

    register_csrf_token(app)


def register_commands(app: Flask) -> None:
    """Add the flask CLI commands."""
    from greenapp.cli import register_cli

    register_cli(app)
