"""Settings for Influence: one module, every machine-specific value from the environment.

With nothing set, the project runs on the embedded default: SQLite and a filesystem
Celery broker under ``var/``. ``DATABASE_URL`` and ``REDIS_URL`` switch the same code to
PostgreSQL and Redis. ``.env.example`` documents every variable.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def _read(name: str, cast: Any, default: Any) -> Any:
    """Read one variable with its type; a malformed value stops start-up naming the variable."""
    if cast is bool:
        cast = _strict_bool
    try:
        return env.get_value(name, cast=cast, default=default)
    except (ValueError, TypeError, KeyError, ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _strict_bool(value: str) -> bool:
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = str(_read(name, str, default)).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(
            f"Environment variable {name} must be one of {', '.join(choices)}; got {value!r}."
        )
    return value


def _persistent_secret(name: str, filename: str, *, nbytes: int = 48) -> str:
    """Return the variable, or a random secret generated once into var/ (embedded default)."""
    value = str(_read(name, str, "")).strip()
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


VAR_DIR = Path(_read("VAR_DIR", str, str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = _read("DEBUG", bool, False)
SECRET_KEY = _persistent_secret("SECRET_KEY", "secret_key")
# Key for the HMAC that turns non-members' handles into anonymous hashes (invariant 3).
HANDLE_HASH_KEY = _persistent_secret("HANDLE_HASH_KEY", "handle_hash_key").encode()

ALLOWED_HOSTS: list[str] = _read("ALLOWED_HOSTS", list, ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS: list[str] = _read("CSRF_TRUSTED_ORIGINS", list, [])
SITE_URL = str(_read("SITE_URL", str, "http://127.0.0.1:8000")).rstrip("/")

# HTTPS hardening: secure by default whenever DEBUG is false, so `check --deploy` passes
# on DEBUG=false alone. HTTPS=false (what `make run` sets for plain http on localhost)
# turns the defaults off; each setting can still be set on its own.
HTTPS = _read("HTTPS", bool, not DEBUG)
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", bool, HTTPS)
SESSION_COOKIE_SECURE = _read("SECURE_COOKIES", bool, HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", int, 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", bool, SECURE_HSTS_SECONDS > 0
)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", bool, HTTPS)
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, or the SSL redirect loops.
# Off by default, because without such a proxy anyone could send the header.
if _read("TRUST_X_FORWARDED_PROTO", bool, False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check is probed over plain http from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    # The apps, lowest first: profiles <- signals <- scoring <- moderation.
    "profiles",
    "signals",
    "signals.providers.mastodon",
    "scoring",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Body limits: after authentication (the import view's large limit is for members),
    # before anything reads a body (CSRF's check reads the form).
    "influence.body_limits.BodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth's UserSessionsMiddleware, at most once a minute per session and device.
    "profiles.middleware.SessionActivityMiddleware",
    # django-csp's, building the settings' policy once per process (influence/csp.py).
    "influence.csp.CSPMiddleware",
    "profiles.middleware.ReconsentMiddleware",
    "profiles.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "influence.urls"
WSGI_APPLICATION = "influence.wsgi.application"
ASGI_APPLICATION = "influence.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "profiles.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": _read("DATABASE_URL", env.db_url_config, f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if not isinstance(DATABASES["default"], dict):  # env.db_url_config returns a dict when parsed
    DATABASES["default"] = env.db_url_config(str(DATABASES["default"]))
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat are separate processes on one file: WAL lets readers run beside
    # a writer, IMMEDIATE takes the write lock up front so a transaction never deadlocks
    # half-way, and the timeout waits out a short write instead of failing.
    _db.setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not memory, so a worker process can share the test database; one per test
    # process, so two test runs on one machine never share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test_db_{os.getpid()}.sqlite3")}
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("CONN_MAX_AGE", _read("CONN_MAX_AGE", int, 60))
    _db.setdefault("CONN_HEALTH_CHECKS", True)
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
else:
    raise ImproperlyConfigured("Environment variable DATABASE_URL must be postgres:// or sqlite://")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "profiles.User"

# --- Broker and cache -----------------------------------------------------------------
REDIS_URL = str(_read("REDIS_URL", str, "")).strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        "Environment variable REDIS_URL must start with redis:// or rediss://"
    )

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    _visibility = _read("CELERY_VISIBILITY_TIMEOUT", int, 3600)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        # Longer than the longest task's hard time limit, so a message is redelivered
        # only when its worker really died (acks_late).
        "visibility_timeout": _visibility,
        # Sweep for abandoned messages about ten times per visibility timeout; kombu's
        # fixed ~100 s sweep would dwarf a short timeout.
        "unacked_restore_interval": max(1, min(10, _visibility // 10)),
        "unacked_restore_throttle": 1 if _visibility < 1000 else 10,
    }
    # The cache shares the broker's database: its keys carry a prefix, and it is cleared
    # only by that prefix (influence/cache.py), never with FLUSHDB, which drops queued tasks.
    CACHES = {
        "default": {
            "BACKEND": "influence.cache.RedisCacheOneClient",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "influence-cache",
        }
    }
    # Sessions are read from the cache, written through to the database (which stays the
    # record: erasure reads it, and a cleared cache only costs a read). Saves the session
    # query on every signed-in request.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport: a real broker shared by separate processes, no server.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The transport polls its folder; 1 s (the default) means one message a second.
        "polling_interval": 0.1,
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_TASK_DEFAULT_QUEUE = str(_read("CELERY_QUEUE", str, "influence"))
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 660
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
SCORING_DISPATCH_SECONDS = _read("SCORING_DISPATCH_SECONDS", int, 60)
# A request for a score (an import, a sync, a dispute) sends a dispatch this many seconds
# later, and requests made meanwhile ride on it: a burst of imports makes one run, not one
# run each (scoring/enqueue.py). 0 sends one dispatch per request, at once.
SCORING_DISPATCH_COALESCE_SECONDS = _read("SCORING_DISPATCH_COALESCE_SECONDS", float, 2.0)
# Connected sources (GitHub, Mastodon): how often beat looks for due syncs, how often a
# source is synced, and how often a sync starts from scratch instead of the cursor.
SOURCE_SYNC_DISPATCH_SECONDS = _read("SOURCE_SYNC_DISPATCH_SECONDS", int, 60)
SOURCE_SYNC_HOURS = _read("SOURCE_SYNC_HOURS", int, 6)
SOURCE_FULL_SYNC_DAYS = _read("SOURCE_FULL_SYNC_DAYS", int, 7)
# Every periodic schedule lives here, and only here.
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-scores": {
        "task": "scoring.tasks.scoring_dispatch",
        "schedule": float(SCORING_DISPATCH_SECONDS),
    },
    "prune-old-signals": {
        "task": "signals.tasks.signals_prune",
        "schedule": crontab(minute=41, hour=3),
    },
    "prune-stale-imports": {
        "task": "signals.tasks.imports_prune_stale",
        "schedule": crontab(minute=17),
    },
    "prune-data-exports": {
        "task": "profiles.tasks.data_exports_prune",
        "schedule": crontab(minute=43),
    },
    "prune-retired-handles": {
        "task": "profiles.tasks.retired_handles_prune",
        "schedule": crontab(minute=29, hour=4),
    },
    "dispatch-due-source-syncs": {
        "task": "signals.tasks.sources_dispatch_due",
        "schedule": float(SOURCE_SYNC_DISPATCH_SECONDS),
    },
}
# The scoring janitor: ends runs that outlived their tasks, releases their members and
# deletes their artefacts (scoring/services/runs.py, runs_sweep).
SCORING_SWEEP_SECONDS = _read("SCORING_SWEEP_SECONDS", int, 600)
CELERY_BEAT_SCHEDULE["sweep-scoring-runs"] = {
    "task": "scoring.tasks.runs_sweep",
    "schedule": float(SCORING_SWEEP_SECONDS),
}

# --- Accounts (allauth) -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "profiles.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "profiles.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = _choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", ("mandatory", "optional", "none")
)
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_SIGNUP_FORM_CLASS = "profiles.forms.ConsentSignupForm"
ACCOUNT_LOGOUT_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = False
# Connected sources sync with the member's token, so allauth keeps it (SocialToken).
SOCIALACCOUNT_STORE_TOKENS = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
MINIMUM_AGE = _read("MINIMUM_AGE", int, 16)

# --- Consent receipts, export and erasure (profiles) ----------------------------------------
# Ed25519 key that signs consent receipts: base64url of a 32-byte seed.
RECEIPT_SIGNING_KEY = _persistent_secret("RECEIPT_SIGNING_KEY", "receipt_signing_key", nbytes=32)
# Public halves of earlier signing keys (JSON list), so receipts signed before a rotation
# still verify; see .env.example.
RECEIPT_RETIRED_KEYS = str(_read("RECEIPT_RETIRED_KEYS", str, "")).strip()
# HMAC key for members' pseudonyms: in receipts, and in the audit entry left by an erasure.
MEMBER_PSEUDONYM_KEY = _persistent_secret("MEMBER_PSEUDONYM_KEY", "member_pseudonym_key").encode()
# The controller named in every receipt.
CONTROLLER_NAME = str(_read("CONTROLLER_NAME", str, "Influence"))
CONTROLLER_EMAIL = str(_read("CONTROLLER_EMAIL", str, "privacy@localhost"))
CONTROLLER_ADDRESS = str(_read("CONTROLLER_ADDRESS", str, ""))
CONTROLLER_COUNTRY = str(_read("CONTROLLER_COUNTRY", str, ""))
CONSENT_JURISDICTION = str(_read("CONSENT_JURISDICTION", str, "EU (GDPR)"))
# How long a finished data export can be downloaded.
EXPORT_TTL_HOURS = _read("EXPORT_TTL_HOURS", int, 24)


def _oidc_providers() -> list[dict[str, Any]]:
    raw = str(_read("OIDC_PROVIDERS", str, "")).strip()
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(
            f"Environment variable OIDC_PROVIDERS is not JSON: {exc}"
        ) from exc
    required = ("id", "name", "server_url", "client_id", "secret")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and all(isinstance(i.get(k), str) and i[k] for k in required)
        for i in items
    ):
        raise ImproperlyConfigured(
            "Environment variable OIDC_PROVIDERS must be a JSON list of objects with "
            "id, name, server_url, client_id and secret."
        )
    return [
        {
            "provider_id": i["id"],
            "name": i["name"],
            "client_id": i["client_id"],
            "secret": i["secret"],
            "settings": {"server_url": i["server_url"], "oauth_pkce_enabled": True},
        }
        for i in items
    ]


SOCIALACCOUNT_PROVIDERS: dict[str, Any] = {
    "openid_connect": {"APPS": _oidc_providers(), "OAUTH_PKCE_ENABLED": True},
}
# GitHub Enterprise Server: its web address (the API is <GITHUB_URL>/api/v3); sign-in and
# the GitHub connector both use it. Default: github.com.
GITHUB_URL = str(_read("GITHUB_URL", str, "https://github.com")).rstrip("/")
GITHUB_API_URL = (
    "https://api.github.com" if GITHUB_URL == "https://github.com" else f"{GITHUB_URL}/api/v3"
)
if _read("GITHUB_CLIENT_ID", str, ""):
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [
            {
                "client_id": _read("GITHUB_CLIENT_ID", str, ""),
                "secret": _read("GITHUB_CLIENT_SECRET", str, ""),
            }
        ],
        "SCOPE": ["read:user"],
    }
    if GITHUB_URL != "https://github.com":
        SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"] = GITHUB_URL

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = _read("EMAIL_URL", env.email_url_config, "consolemail://")
if not isinstance(EMAIL_CONFIG, dict):
    EMAIL_CONFIG = env.email_url_config(str(EMAIL_CONFIG))
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = str(_read("DEFAULT_FROM_EMAIL", str, "Influence <no-reply@localhost>"))

# --- Passwords, i18n, static ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # The breached-password check, offline: Django's bundled list of 20,000 passwords
    # seen in breaches; nothing is sent anywhere.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it, even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(_read("MEDIA_ROOT", str, str(VAR_DIR / "media")))
# Media holds members' archives and exports: readable by the app's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
WHITENOISE_USE_FINDERS = _read("WHITENOISE_USE_FINDERS", bool, False)

# --- Imports --------------------------------------------------------------------------
IMPORT_MAX_BYTES = _read("IMPORT_MAX_MB", int, 200) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["signals.uploads.LimitedTemporaryFileUploadHandler"]
# Archive imports go to their own queue, consumed by the Procfile's `imports` worker, so
# scoring never waits behind them (issue 13).
# The most distinct other accounts one archive may name: an import's memory grows with
# them (docs/archive-format.md, "Limits"; docs/benchmarks.md has the measured peak).
IMPORT_MAX_COUNTERPARTS = _read("IMPORT_MAX_COUNTERPARTS", int, 500_000)
# The same for posts, and for distinct keywords (the posts' tags and words of their text).
IMPORT_MAX_POSTS = _read("IMPORT_MAX_POSTS", int, 100_000)
IMPORT_MAX_KEYWORDS = _read("IMPORT_MAX_KEYWORDS", int, 200_000)
CELERY_IMPORT_QUEUE = str(_read("CELERY_IMPORT_QUEUE", str, "imports"))
CELERY_TASK_ROUTES = ["signals.enqueue.route_task"]
SIGNAL_RETENTION_DAYS = _read("SIGNAL_RETENTION_DAYS", int, 90)
SCORE_INTERVAL_HOURS = _read("SCORE_INTERVAL_HOURS", int, 24)

LOG_LEVEL = _choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security findings (issue 13) -------------------------------------------------------
# Token revocation after an erasure: a Celery task retries while the provider cannot answer,
# waiting BACKOFF, 2x, 4x ... (capped at 6 h), at most RETRIES times.
TOKEN_REVOKE_RETRIES = _read("TOKEN_REVOKE_RETRIES", int, 10)
TOKEN_REVOKE_BACKOFF_SECONDS = _read("TOKEN_REVOKE_BACKOFF_SECONDS", int, 60)
# Accounts whose email is still unverified after this many days are erased (beat, hourly).
UNVERIFIED_ACCOUNT_DAYS = _read("UNVERIFIED_ACCOUNT_DAYS", int, 7)
CELERY_BEAT_SCHEDULE["prune-unverified-accounts"] = {
    "task": "profiles.tasks.unverified_accounts_prune",
    "schedule": crontab(minute=29),
}

# Request bodies (finding 11): every request at most REQUEST_MAX_BYTES, read within
# REQUEST_BODY_SECONDS; only these views (URL names), for a signed-in member, take more.
REQUEST_MAX_BYTES = _read("REQUEST_MAX_MB", int, 1) * 1024 * 1024
REQUEST_BODY_SECONDS = _read("REQUEST_BODY_SECONDS", int, 20)
LARGE_BODY_VIEWS = {"import_new": IMPORT_MAX_BYTES + 1024 * 1024}
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# --- Account settings: two-factor and sessions (allauth.mfa, allauth.usersessions) --------
# Every member may turn on an authenticator app (TOTP) and keep recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = CONTROLLER_NAME
# A code typed as its 30-second step ends still counts for one step more (RFC 6238, 5.2
# allows one step for transmission delay); allauth's default of 0 refused it.
MFA_TOTP_TOLERANCE = 1
# The sessions list shows each device's last activity; "sign out everywhere else" ends them.
USERSESSIONS_TRACK_ACTIVITY = True

# --- Content-Security-Policy (django-csp 4) ---------------------------------------------
# Everything is served by the app itself: no inline scripts or styles, no third parties.
# The TOTP QR code is an inline SVG data: image, hence img-src data:. No form-action: sign-in
# with a provider posts here and is redirected to the provider, which form-action would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- Verification code page (allauth) ----------------------------------------------------
# "Send a new code" on the email verification page (allauth rate-limits it).
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True

# --- REST API (issue 12): DRF, OpenAPI, personal tokens, OAuth 2 apps, headless sign-up ---
INSTALLED_APPS += [
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "allauth.headless",
]
REST_FRAMEWORK = {
    # A personal token or a third-party app's token (both "Authorization: Bearer"), or the
    # browser session with CSRF enforced. The first class answers 401's WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "profiles.api.auth.PersonalTokenAuthentication",
        "profiles.api.auth.ThirdPartyAuthentication",
        # The session token a headless sign-in answers with (X-Session-Token).
        "allauth.headless.contrib.rest_framework.authentication.XSessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["profiles.api.auth.MemberAccess"],
    "DEFAULT_PAGINATION_CLASS": "profiles.api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "profiles.api.throttling.AnonThrottle",
        "profiles.api.throttling.MemberThrottle",
        "profiles.api.throttling.TokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _read("API_THROTTLE_ANON", str, "60/min"),
        "member": _read("API_THROTTLE_MEMBER", str, "600/min"),
        "token": _read("API_THROTTLE_TOKEN", str, "300/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API takes JSON bodies only (the archive upload declares its own parsers): a form
    # or multipart body, where every value is a string ("0" for a boolean), is refused with
    # 415 rather than coerced, so requests mean exactly what the schema says.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "profiles.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "profiles.api.schema.ProblemAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Influence API",
    "DESCRIPTION": "Everything a member can do on the site, and consent-scoped third-party "
    "access. Errors are problem details (RFC 9457). See docs/api.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"NotificationKindEnum": "profiles.models.NotificationKind"},
}
API_TOKEN_MAX_DAYS = _read("API_TOKEN_MAX_DAYS", int, 365)
# Deleting the account by API: the password, or a sign-in this recent (seconds).
API_REAUTH_SECONDS = _read("API_REAUTH_SECONDS", int, 300)
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read your score and your approved topics"},
    "DEFAULT_SCOPES": ["read"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": _read("OAUTH_ACCESS_TOKEN_SECONDS", int, 3600),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "APPLICATION_ADMIN_CLASS": "profiles.api.oauth_admin.ApplicationAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "profiles.api.oauth_admin.AccessTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "profiles.api.oauth_admin.RefreshTokenAdmin",
    "GRANT_ADMIN_CLASS": "profiles.api.oauth_admin.GrantAdmin",
    "ID_TOKEN_ADMIN_CLASS": "profiles.api.oauth_admin.IDTokenAdmin",
    # The OAuth 2.0 Security BCP (RFC 9700) in full: no implicit or password grant, S256
    # PKCE only, tokens in headers only, `iss` in responses, hashed token storage, and a
    # replayed refresh token revokes its whole family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# allauth's headless mode: sign-up and sign-in as JSON under /_allauth/, pages stay too.
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")

# --- Public profile, badge, notifications (issue 10) ----------------------------------
# Days a handle a member gave up stays theirs (and /@old redirects) before others may take it.
HANDLE_RELEASE_DAYS = _read("HANDLE_RELEASE_DAYS", int, 30)
# Seconds the public page and badge are kept in the cache (they are also cleared on change),
# and the badge's Cache-Control max-age.
PUBLIC_CACHE_SECONDS = _read("PUBLIC_CACHE_SECONDS", int, 600)
PUBLIC_BADGE_MAX_AGE = _read("PUBLIC_BADGE_MAX_AGE", int, 300)
# Seconds each process keeps a public page it read from the shared cache (0: off); a change
# reaches other processes within this time.
PUBLIC_LOCAL_CACHE_SECONDS = _read("PUBLIC_LOCAL_CACHE_SECONDS", float, 1.0)
# A rescore that moves the score by more than this many points notifies the member.
NOTIFY_SCORE_CHANGE_POINTS = _read("NOTIFY_SCORE_CHANGE_POINTS", float, 5.0)

# --- Moderation -------------------------------------------------------------------------
# Days an open dispute may wait before the console counts it as an SLA breach.
MODERATION_SLA_DAYS = _read("MODERATION_SLA_DAYS", int, 7)
