"""Configuration classes; every setting can be overridden from the environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - development default, refused in production


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _translation_dirs() -> str:
    root = BASE_DIR / "greenapp" / "translations"
    # One catalog directory per area so that features can be translated independently;
    # Flask-Babel merges them all.
    dirs = sorted(str(p) for p in root.iterdir() if p.is_dir()) if root.exists() else []
    return ";".join(dirs) or str(root)


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'greenapp.db'}")
    # hide_parameters: a failing statement's log line and traceback never carry the
    # values (password hashes, session tokens, what people typed).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024))
    LANGUAGES = ("kk", "ru", "be", "en")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = _translation_dirs()
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Asia/Qyzylorda")
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Workers sharing one Redis share the counters; the prefix keeps apps/test runs apart.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "greenapp")
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
    SQLITE_WAL = True
    REQUEST_LOG = True
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))  # reverse proxies in front of the app
    # Sign-in and account limits (README "Sign-in limits"); sign-in limits count failures only.
    LOGIN_RATELIMIT = os.environ.get(
        "LOGIN_RATELIMIT", "10 per 15 minutes"
    )  # per account, unknown devices
    LOGIN_CLIENT_LIMITS = os.environ.get(
        "LOGIN_CLIENT_LIMITS", "5 per minute; 10 per 15 minutes; 20 per hour"
    )  # per account+client
    LOGIN_IP_LIMIT = os.environ.get(
        "LOGIN_IP_LIMIT", "100 per 5 minutes"
    )  # per address, all accounts
    ACCOUNT_IP_LIMIT = os.environ.get(
        "ACCOUNT_IP_LIMIT", "60 per 10 minutes"
    )  # register/reset per address
    ACCOUNT_EMAIL_LIMIT = os.environ.get(
        "ACCOUNT_EMAIL_LIMIT", "3 per hour"
    )  # mails to one address
    PASSWORD_CHANGE_LIMIT = os.environ.get("PASSWORD_CHANGE_LIMIT", "5 per 15 minutes")
    DEVICE_COOKIE_DAYS = int(os.environ.get("DEVICE_COOKIE_DAYS", 180))
    # E-mail (README "E-mail"): smtp, console (printed) or memory (kept for tests).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"  # STARTTLS
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"  # SMTPS
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "greenapp <no-reply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_BACKGROUND = os.environ.get("MAIL_BACKGROUND", "1") == "1"  # send after the response
    PUBLIC_BASE_URL = os.environ.get(
        "PUBLIC_BASE_URL", ""
    )  # links in mails, e.g. https://green.example.kz
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600))
    EMAIL_CONFIRM_MAX_AGE = int(os.environ.get("EMAIL_CONFIRM_MAX_AGE", 7 * 24 * 3600))
    # The one cache (greenapp/services/cache.py): Redis when REDIS_URL is set, so every
    # worker shares it; otherwise one in-process SimpleCache per worker.
    CACHE_TYPE = "RedisCache" if os.environ.get("REDIS_URL") else "SimpleCache"
    CACHE_REDIS_URL = os.environ.get("REDIS_URL", "")
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "greenapp:")
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", 24 * 3600))
    CACHE_THRESHOLD = int(os.environ.get("CACHE_THRESHOLD", 10000))  # SimpleCache entries
    # How long the programme-wide pages may show figures older than the last write.
    PROGRAMME_CACHE_LAG_SECONDS = float(os.environ.get("PROGRAMME_CACHE_LAG_SECONDS", 5))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "http"
    ENV_NAME = "base"
    SHOW_DEMO_LOGINS = False
    # Flask-Compress (greenapp/assets.py): pages and JSON; streamed CSV exports untouched.
    COMPRESS_MIMETYPES = ["text/html", "application/json", "text/csv"]
    COMPRESS_STREAMS = False
    COMPRESS_MIN_SIZE = 500
    # Password hashing (User.set_password); tests use a cheap one, see TestingConfig.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash method, not a password
    # Evidence files (greenapp/services/storage.py, services/evidence.py; README).
    EVIDENCE_STORAGE = os.environ.get("EVIDENCE_STORAGE", "local")  # or "s3"
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR", "")  # default: instance/evidence
    EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "")
    EVIDENCE_S3_ENDPOINT_URL = os.environ.get("EVIDENCE_S3_ENDPOINT_URL", "")
    EVIDENCE_S3_REGION = os.environ.get("EVIDENCE_S3_REGION", "")
    EVIDENCE_S3_PREFIX = os.environ.get("EVIDENCE_S3_PREFIX", "evidence/")
    EVIDENCE_MAX_FILE_BYTES = int(os.environ.get("EVIDENCE_MAX_FILE_BYTES", 15 * 1024 * 1024))
    EVIDENCE_MAX_REQUEST_BYTES = int(os.environ.get("EVIDENCE_MAX_REQUEST_BYTES", 40 * 1024 * 1024))
    EVIDENCE_MAX_FILES = int(os.environ.get("EVIDENCE_MAX_FILES", 5))
    EVIDENCE_QUOTA_BYTES = int(os.environ.get("EVIDENCE_QUOTA_BYTES", 500 * 1024 * 1024))
    EVIDENCE_MAX_PIXELS = int(os.environ.get("EVIDENCE_MAX_PIXELS", 40_000_000))


class DevelopmentConfig(Config):
    """Local development: the embedded SQLite database and demo logins shown."""

    ENV_NAME = "development"
    SHOW_DEMO_LOGINS = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")


class TestingConfig(Config):
    """Test runs: CSRF off by default (tests that check it turn it back on)."""

    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = _database_url("sqlite://")
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    CACHE_TYPE = "SimpleCache"  # one per app: each test starts with an empty cache
    PROGRAMME_CACHE_LAG_SECONDS = 0.0  # tests that show the lag set it themselves
    SECRET_KEY = "testing-secret"  # noqa: S105
    # Hashing is not under test in most tests: one PBKDF2 round instead of scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105 - a hash method
    # Evidence files of test runs go to a private temp directory, never instance/.
    EVIDENCE_DIR = os.environ.get("EVIDENCE_DIR") or tempfile.mkdtemp(prefix="greenapp-evidence-")
    MAIL_BACKEND = "memory"
    MAIL_BACKGROUND = False


class ProductionConfig(Config):
    """Production: secure cookies, and no start without a strong SECRET_KEY."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def check_production_secret(secret: str | None) -> None:
    """Refuse to start production with a missing, default or short SECRET_KEY."""
    if not secret or secret == DEV_SECRET or len(secret) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random string of at least 32 characters "
            "in production (for example: python -c 'import secrets; "
            "print(secrets.token_hex(32))')."
        )
