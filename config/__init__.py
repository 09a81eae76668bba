"""Configuration classes: defaults (development), testing and production.

``create_app()`` picks one by name from ``PB_CONFIG`` and then reads the secrets and the
database address from the environment (``SECRET_KEY``, ``DATABASE_URL``), so nothing secret
lives in this file.
"""

from __future__ import annotations

from datetime import date, timedelta

#: The secret key used when none is set. Production refuses to start with it.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"
#: Keys of the who-voted references and of the voting-code digests used when none is set
#: (development and tests only; production refuses them). Never stored in the database.
DEV_VOTER_KEY = "dev-only-insecure-voter-key-0123456789"
DEV_VOTING_CODE_KEY = "dev-only-insecure-voting-code-key-0123456789"
#: Where accessibility feedback goes until the city sets its own address (production refuses it).
PLACEHOLDER_FEEDBACK_EMAIL = "saavutettavuus@example.org"

#: Espoo's seven major areas (code, Finnish name, Swedish name): the home areas a resident can
#: choose in their profile, and the areas of the demo round.
ESPOO_AREAS: tuple[tuple[str, str, str], ...] = (
    ("vanha-espoo", "Vanha-Espoo", "Gamla Esbo"),
    ("suur-espoonlahti", "Suur-Espoonlahti", "Stora Esboviken"),
    ("pohjois-espoo", "Pohjois-Espoo", "Norra Esbo"),
    ("suur-kauklahti", "Suur-Kauklahti", "Stora Köklax"),
    ("suur-leppavaara", "Suur-Leppävaara", "Stora Alberga"),
    ("suur-matinkyla", "Suur-Matinkylä", "Stora Mattby"),
    ("suur-tapiola", "Suur-Tapiola", "Stora Hagalund"),
)


class Config:
    """Defaults, used as is for development on one machine."""

    NAME = "development"
    DEBUG = False
    TESTING = False
    SECRET_KEY = DEV_SECRET_KEY
    #: Base of the links in mails (e.g. https://osallistu.example.fi); from the environment.
    #: Without it links use the request's host, which only development and tests may do.
    PUBLIC_URL: str | None = None
    #: None means "a SQLite file in the instance folder" (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    LANGUAGES = ("fi", "sv", "en")
    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    HOME_AREAS = ESPOO_AREAS

    # Requests and cookies.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_ENABLED = True
    #: No clock of its own for a form's CSRF token: it stays valid as long as the session that
    #: holds it (WCAG 2.2.1: a form left open while the user is active must still submit). The
    #: session's own limit above still applies (sliding for logged-in users, whose session is
    #: permanent and refreshed on each request).
    WTF_CSRF_TIME_LIMIT = None
    #: Strict-Transport-Security max-age in seconds; 0 sends no header (plain-HTTP development).
    HSTS_MAX_AGE = 0
    #: How many proxies in front of the app set X-Forwarded-For (0: trust none).
    PROXY_FIX_X_FOR = 0

    # Passwords (argon2id). Changing these makes logins rehash the stored hashes.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024  # KiB
    ARGON2_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 10

    # Signed links in emails (seconds).
    VERIFY_EMAIL_MAX_AGE = 3 * 24 * 3600
    RESET_PASSWORD_MAX_AGE = 3600

    # Failed logins: per account, after LOGIN_ACCOUNT_FREE_FAILURES failures within the
    # window each further try waits twice as long (from LOGIN_ACCOUNT_BASE_DELAY seconds, at
    # most the window); per address, LOGIN_ADDRESS_MAX_FAILURES failures lock it for the window.
    LOGIN_WINDOW = 15 * 60
    LOGIN_ACCOUNT_FREE_FAILURES = 5
    LOGIN_ACCOUNT_BASE_DELAY = 30
    LOGIN_ADDRESS_MAX_FAILURES = 50
    #: Seconds a login attempt (email typed, IP address) is kept.
    LOGIN_ATTEMPT_RETENTION = 24 * 3600
    # Voting: HMAC keys from the environment (PB_VOTER_KEY, PB_VOTING_CODE_KEY), kept apart
    # from the database; the local test identity provider (development and tests only).
    PB_VOTER_KEY: str | None = DEV_VOTER_KEY
    PB_VOTING_CODE_KEY: str | None = DEV_VOTING_CODE_KEY
    PB_IDENTITY_TEST_PROVIDER = True
    #: Failed voting-code tries per address within CODE_WINDOW seconds before it must wait.
    CODE_ADDRESS_MAX_FAILURES = 10
    CODE_WINDOW = 15 * 60

    #: The accessibility statement (Act 306/2019): where feedback goes (from the environment;
    #: the placeholder serves development and tests only) and the date the statement was
    #: prepared or last reviewed.
    ACCESSIBILITY_FEEDBACK_EMAIL = PLACEHOLDER_FEEDBACK_EMAIL
    ACCESSIBILITY_STATEMENT_DATE = date(2026, 11, 29)

    #: A callable returning the current aware UTC datetime; None is the real clock (tests
    #: replace it to step time without sleeping).
    CLOCK = None

    # Mail: "outbox" keeps messages in memory (and prints them when MAIL_PRINT), "smtp" sends.
    MAIL_BACKEND = "outbox"
    MAIL_PRINT = True
    MAIL_SENDER = "osallistuva-budjetointi@localhost"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_STARTTLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10

    @classmethod
    def problems(cls, config: dict) -> list[str]:
        """What makes this configuration unsafe to run; empty when it is fine."""
        return []


class DevelopmentConfig(Config):
    """Local development: debug pages and mail printed to the console."""

    DEBUG = True


class TestConfig(Config):
    """Tests: fast password hashing, mail kept silently in the outbox, CSRF off by default."""

    NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    MAIL_PRINT = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    SERVER_NAME = "localhost"


class ProductionConfig(Config):
    """Production: secure cookies, HSTS, SMTP; refuses a development key, no database or no
    public https address."""

    NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600
    MAIL_BACKEND = "smtp"
    MAIL_PRINT = False
    PREFERRED_URL_SCHEME = "https"
    PB_VOTER_KEY = None
    PB_VOTING_CODE_KEY = None
    PB_IDENTITY_TEST_PROVIDER = False

    @classmethod
    def problems(cls, config: dict) -> list[str]:
        """A development or short secret key, a missing database URL or PUBLIC_URL, and the
        placeholder accessibility feedback address are refused."""
        found = []
        key = config.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < 32:
            found.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if not config.get("SQLALCHEMY_DATABASE_URI"):
            found.append("DATABASE_URL must be set")
        if not str(config.get("PUBLIC_URL") or "").startswith("https://"):
            found.append("PUBLIC_URL must be set to the site's https:// address (used in mailed links)")
        for name, development_key in (("PB_VOTER_KEY", DEV_VOTER_KEY), ("PB_VOTING_CODE_KEY", DEV_VOTING_CODE_KEY)):
            value = config.get(name) or ""
            if value == development_key or len(value) < 32:
                found.append(f"{name} must be set to a random value of at least 32 characters")
        if config.get("PB_IDENTITY_TEST_PROVIDER"):
            found.append("PB_IDENTITY_TEST_PROVIDER must be off in production")
        email = str(config.get("ACCESSIBILITY_FEEDBACK_EMAIL") or "")
        if email == PLACEHOLDER_FEEDBACK_EMAIL or "@" not in email:
            found.append("ACCESSIBILITY_FEEDBACK_EMAIL must be set to the address that receives "
                         "accessibility feedback (the accessibility statement publishes it)")
        return found


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
