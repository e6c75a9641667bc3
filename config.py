"""Configuration, read from environment variables.

`create_app()` picks a class by name (``FLASK_CONFIG`` or the argument): development (the
default, SQLite under ``instance/`` and the outbox mail transport), testing, production.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at the psycopg 3 driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'weerbaar.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Seconds a sign-up waits for the event lock before it answers "busy, try again".
    LOCK_TIMEOUT_SECONDS = int(os.environ.get("LOCK_TIMEOUT_SECONDS", "5"))

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: keep serving (limits pause) rather than answer every limited form with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10 per minute")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")  # the open API, per client address
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # Failed logins per account from anywhere (a browser that logged in before has its own count).
    EFFECT_RATE_LIMIT = os.environ.get("EFFECT_RATE_LIMIT", "20 per minute")  # evaluation and survey forms
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes")
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute")
    MANAGE_RATE_LIMIT = os.environ.get("MANAGE_RATE_LIMIT", "10 per minute")
    # Unknown codes typed at the door, per user (events/doorcode.py: why this makes guessing useless).
    DOOR_GUESS_RATE_LIMIT = os.environ.get("DOOR_GUESS_RATE_LIMIT", "30 per minute;300 per day")
    TWO_FACTOR_RATE_LIMIT = os.environ.get("TWO_FACTOR_RATE_LIMIT", "5 per minute")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # A signed-in user who makes no request for this long must log in again.
    ADMIN_IDLE_MINUTES = int(os.environ.get("ADMIN_IDLE_MINUTES", "60"))
    # Minutes between the password and the two-factor code before the login starts over.
    TWO_FACTOR_PENDING_MINUTES = 5
    REQUIRE_2FA_FOR_REGIONAL_ADMIN = env_bool("REQUIRE_2FA_FOR_REGIONAL_ADMIN", False)
    TWO_FACTOR_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "Weerbaar")

    # Public base URL used in links inside emails (no request context in the worker).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@weerbaar.localhost")
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "outbox")  # outbox | smtp
    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "none")  # none | starttls | ssl
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
    SMTP_CA_FILE = os.environ.get("SMTP_CA_FILE", "")  # trust this CA for the relay (default: system CAs)
    MAIL_RATE_PER_SECOND = float(os.environ.get("MAIL_RATE_PER_SECOND", "0"))  # 0: unlimited
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "60"))  # doubles per attempt
    MAIL_RETRY_MAX_SECONDS = float(os.environ.get("MAIL_RETRY_MAX_SECONDS", str(6 * 3600)))
    # A claimed row not recorded within this time (worker killed) goes back to the queue.
    MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "300"))

    # Bounces (VERP): with a domain set, every message leaves with the envelope sender
    # bounces+<signed token>@MAIL_BOUNCE_DOMAIN naming its outbox row; empty: the From address.
    MAIL_BOUNCE_DOMAIN = os.environ.get("MAIL_BOUNCE_DOMAIN", "")
    MAIL_BOUNCE_WEBHOOK_SECRET = os.environ.get("MAIL_BOUNCE_WEBHOOK_SECRET", "")  # empty: webhook off
    MAIL_BOUNCE_WEBHOOK_RATE_LIMIT = os.environ.get("MAIL_BOUNCE_WEBHOOK_RATE_LIMIT", "600 per minute")
    MAIL_BOUNCE_MAX_BYTES = int(os.environ.get("MAIL_BOUNCE_MAX_BYTES", str(2 * 1024 * 1024)))
    MAIL_BOUNCE_IMAP_HOST = os.environ.get("MAIL_BOUNCE_IMAP_HOST", "")
    MAIL_BOUNCE_IMAP_PORT = int(os.environ.get("MAIL_BOUNCE_IMAP_PORT", "993"))
    MAIL_BOUNCE_IMAP_SECURITY = os.environ.get("MAIL_BOUNCE_IMAP_SECURITY", "ssl")  # ssl | starttls | none
    MAIL_BOUNCE_IMAP_USERNAME = os.environ.get("MAIL_BOUNCE_IMAP_USERNAME", "")
    MAIL_BOUNCE_IMAP_PASSWORD = os.environ.get("MAIL_BOUNCE_IMAP_PASSWORD", "")
    MAIL_BOUNCE_IMAP_FOLDER = os.environ.get("MAIL_BOUNCE_IMAP_FOLDER", "INBOX")
    # Rules for contacts: soft bounces within the window mark bounced; a campaign pauses when more
    # than the rate of its first messages bounce hard.
    BOUNCE_SOFT_LIMIT = int(os.environ.get("BOUNCE_SOFT_LIMIT", "3"))
    BOUNCE_SOFT_DAYS = int(os.environ.get("BOUNCE_SOFT_DAYS", "30"))
    BOUNCE_PAUSE_RATE = float(os.environ.get("BOUNCE_PAUSE_RATE", "0.05"))
    BOUNCE_PAUSE_WINDOW = int(os.environ.get("BOUNCE_PAUSE_WINDOW", "500"))

    # argon2id parameters (argon2-cffi defaults: 3 passes, 64 MiB).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536

    MANAGE_TOKEN_MAX_AGE_DAYS = 400
    PASSWORD_RESET_MAX_AGE_SECONDS = 3600
    # The reset request answers no sooner than this, whether or not the address has an account.
    PASSWORD_RESET_MIN_SECONDS = 0.3
    INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
    CONTACT_CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600
    # A launch to more recipients is left to `flask campaigns tick` (about 3,000 rows/s, bench/README.md).
    CAMPAIGN_INLINE_LAUNCH_LIMIT = int(os.environ.get("CAMPAIGN_INLINE_LAUNCH_LIMIT", "10000"))
    # The mapping page starts the contact import in a thread of the web process; off, `flask campaigns tick` runs it.
    CONTACT_IMPORT_THREAD = env_bool("CONTACT_IMPORT_THREAD", True)
    # Images for campaigns (campaigns/services/images.py): larger uploads are refused.
    CAMPAIGN_IMAGE_MAX_BYTES = int(os.environ.get("CAMPAIGN_IMAGE_MAX_BYTES", str(2 * 1000 * 1000)))
    # Forms and uploads above this answer 413; the contact import's upload has a limit of its own
    # (a million contacts are some 50 MB of CSV; the proxy in front must let it through too).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(10 * 1024 * 1024)))
    CONTACT_IMPORT_MAX_BYTES = int(os.environ.get("CONTACT_IMPORT_MAX_BYTES", str(100 * 1024 * 1024)))
    # Proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto are believed; 0 ignores them.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # `flask demo load` creates accounts with a public password: never in production.
    DEMO_ALLOWED = True
    # The pre-flight link check: all links within this many seconds, at most this many links, and
    # never to a non-public address except in these networks (comma-separated CIDR; empty in production).
    LINK_CHECK_SECONDS = float(os.environ.get("LINK_CHECK_SECONDS", "4"))
    LINK_CHECK_MAX_LINKS = int(os.environ.get("LINK_CHECK_MAX_LINKS", "30"))
    LINK_CHECK_ALLOWED_NETWORKS = os.environ.get("LINK_CHECK_ALLOWED_NETWORKS", "")
    # A check of the same links is reused this long (the confirmation after the pre-flight page).
    LINK_CHECK_REUSE_SECONDS = float(os.environ.get("LINK_CHECK_REUSE_SECONDS", "300"))


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    LOCK_TIMEOUT_SECONDS = 2
    CONTACT_IMPORT_THREAD = False  # tests run imports through the tick, or turn the thread on to test it
    PASSWORD_RESET_MIN_SECONDS = 0.01
    BASE_URL = "http://localhost"
    SERVER_NAME = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    DEMO_ALLOWED = False

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a real secret, a real database and limits shared by the web workers."""
        if os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY) == DEVELOPMENT_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        check_rate_limit_storage(web_workers(), os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
                                 env_bool("RATELIMIT_ENABLED", True))


def web_workers() -> int:
    """The number of web worker processes: WEB_CONCURRENCY, which deploy/gunicorn.conf.py sets to its `workers`."""
    value = os.environ.get("WEB_CONCURRENCY", "1").strip()
    if not value.isdigit():
        raise RuntimeError(f"WEB_CONCURRENCY must be a number of worker processes, not {value!r}")
    return int(value)


def check_rate_limit_storage(workers: int, storage_uri: str, enabled: bool) -> None:
    """In memory each process counts for itself: N workers would allow N times every limit."""
    if enabled and workers > 1 and storage_uri.startswith("memory://"):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI={storage_uri} with {workers} web workers: each worker would count for itself. "
            "Set RATELIMIT_STORAGE_URI to shared storage (redis://host:6379/0) or run one worker.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
