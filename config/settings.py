"""Django settings: one module, driven by the environment (see .env.example).

With no environment at all this runs the embedded default: SQLite, no Redis, Celery over the
filesystem transport. DEPLOYMENT=production makes every outside service mandatory.

Over 300 lines: Django's settings are one module, grouped by concern.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from common.static_headers import static_file_headers
from config.env import BASE_DIR, env, env_required, env_secret

# Generic Django classes (ModelAdmin[Service], ModelForm[Incident]...) subscriptable at runtime,
# for mypy's sake; nothing else changes.
django_stubs_ext.monkeypatch()

DEPLOYMENT = env.str("DEPLOYMENT", default="embedded")
if DEPLOYMENT not in {"embedded", "production"}:
    raise ImproperlyConfigured(
        f"DEPLOYMENT must be 'embedded' or 'production', not {DEPLOYMENT!r}. See .env.example."
    )
PRODUCTION = DEPLOYMENT == "production"
# Local state of the embedded default: the SQLite file, Celery's filesystem queue, beat's file.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must not be on with DEPLOYMENT=production.")
if PRODUCTION:
    SECRET_KEY = env_secret("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[]) or [env_required("ALLOWED_HOSTS")]
else:
    SECRET_KEY = env_secret("SECRET_KEY", default="embedded-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "moderation.apps.ModerationAdminConfig",  # django.contrib.admin with two-factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by us (no CDN)
    "corsheaders",
    "django_countries",
    "outages",
    "reports",
    "moderation",
    "partners",
    "csp",
    "comments",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "alerts",
    "outages.official",
]

MIDDLEWARE = [
    # The report intake goes through LEAN_MIDDLEWARE only (common/lean.py); the rest, below.
    "common.lean.LeanRouteMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The hot public reads (status, badge, embed, series) answered from the cache, 304 included.
    "outages.edge.EdgeCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.PageLocaleMiddleware",
    # The public pages, the same for every anonymous visitor, answered from the cache.
    "outages.page_cache.PageCacheMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # ETag on every GET response (a hash of its body) and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Fetch Metadata and Origin first, the token only for browsers that send neither.
    "common.cross_origin.CrossOriginCsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy (django-csp), frame-ancestors * only for the embed views.
    "common.framing.ContentSecurityPolicyMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login with 429
]

# The hottest path and the headers every answer carries, nothing else: it is anonymous,
# CSRF-exempt, reads no session and answers no CORS preflight.
LEAN_PATHS = [r"/api/v1/services/[^/]+/reports"]
LEAN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.framing.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in WAL mode with IMMEDIATE transactions lets the web process and the Celery worker
# write side by side in the embedded default without "database is locked".
_sqlite_url = f"sqlite:///{VAR_DIR / 'outages.sqlite3'}"
if PRODUCTION:
    DATABASES = {"default": env.db_url_config(env_required("DATABASE_URL"))}
else:
    DATABASES = {"default": env.db_url("DATABASE_URL", default=_sqlite_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Fail fast when PostgreSQL is down, so intake answers 503 instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 3
    # A reused connection is checked first (one empty round trip), so a restarted PostgreSQL
    # costs no request an error.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=0)
    if DATABASE_POOL_SIZE:
        # A pool per process, shared by its greenlets (config/gunicorn.py turns it on for the
        # web tier); a request holds a connection only while it runs.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": 5,
        }
    else:  # one persistent connection per thread (Celery workers, manage.py, tests)
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="") if not PRODUCTION else env_required("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",  # Django's, one client per pool, reads as
            "LOCATION": REDIS_URL,  # empty while Redis is unreachable (common/cache.py)
            # Short timeouts: a Redis that does not answer costs a page one second, not minutes.
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if PRODUCTION:
    CELERY_BROKER_URL = env_required("CELERY_BROKER_URL")
else:  # `make run` sets its Redis socket here (config/embedded.conf); the filesystem default
    # serves processes outside that stack (tests, one-off commands), never a long-lived worker.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
for _folder in ("data_folder_in", "processed_folder", "control_folder"):
    if _folder in CELERY_BROKER_TRANSPORT_OPTIONS:
        Path(str(CELERY_BROKER_TRANSPORT_OPTIONS[_folder])).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Keeps the worker running when its Redis broker goes away (config/celery.py, Consumer).
CELERY_WORKER_CONSUMER = "config.celery:Consumer"

# --- Intake ---------------------------------------------------------------------------------
# The buffer a report is made durable in before 2xx: "redis" (a stream drained by Celery) when
# REDIS_URL is set, otherwise "database" (a direct idempotent insert; also the fallback).
INTAKE_BUFFER = env.str("INTAKE_BUFFER", default="redis" if REDIS_URL else "database")
if INTAKE_BUFFER not in {"redis", "database"} or (INTAKE_BUFFER == "redis" and not REDIS_URL):
    raise ImproperlyConfigured(
        f"INTAKE_BUFFER must be 'redis' (with REDIS_URL set) or 'database', not {INTAKE_BUFFER!r}."
    )
INTAKE_STREAM = env.str("INTAKE_STREAM", default="outages:reports")
INTAKE_STREAM_GROUP = env.str("INTAKE_STREAM_GROUP", default="bucketing")
INTAKE_DEDUPE_WINDOW = timedelta(minutes=env.int("INTAKE_DEDUPE_MINUTES", default=15))
INTAKE_IDEMPOTENCY_TTL = timedelta(hours=env.int("INTAKE_IDEMPOTENCY_HOURS", default=24))
# Fixed windows: at most N reports per window from one fingerprint / one network prefix.
INTAKE_RATE_FINGERPRINT = (env.int("INTAKE_RATE_FINGERPRINT", default=30), 3600)
INTAKE_RATE_NETWORK = (env.int("INTAKE_RATE_NETWORK", default=600), 3600)
INTAKE_MAX_BODY_BYTES = env.int("INTAKE_MAX_BODY_BYTES", default=4096)
INTAKE_RETRY_AFTER_SECONDS = env.int("INTAKE_RETRY_AFTER_SECONDS", default=5)
# How many proxies in front of us append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT: int = env.int("TRUSTED_PROXY_COUNT", default=0)
# A header set by the edge with the visitor's ISO country (Cloudflare's CF-IPCountry, say).
COUNTRY_HEADER = env.str("COUNTRY_HEADER", default="CF-IPCountry")
DRAIN_BATCH_SIZE = env.int("DRAIN_BATCH_SIZE", default=1000)
DRAIN_BUDGET_SECONDS = env.float("DRAIN_BUDGET_SECONDS", default=4.0)
DRAIN_CLAIM_IDLE_MS = env.int("DRAIN_CLAIM_IDLE_MS", default=30_000)
SIMULATE_LIVE_TRAFFIC = env.bool("SIMULATE_LIVE_TRAFFIC", default=not PRODUCTION)
# The per-minute detection pass and the baseline fits run as this many tasks (service shards).
DETECTION_SHARDS: int = env.int("DETECTION_SHARDS", default=1)
# Seconds after the minute before it is scored, so the drain has stored its last reports.
DETECTION_DELAY_SECONDS = env.int("DETECTION_DELAY_SECONDS", default=5)

# --- Static, i18n, security -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The embedded default serves static files straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_ADD_HEADERS_FUNCTION = static_file_headers

LANGUAGE_CODE = "en"
# Chosen per request from the language cookie (set by the header's switcher) or Accept-Language.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("pt-br", "Português (Brasil)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Local scripts only (no inline script, no eval); plotly.js injects <style> elements, hence
# 'unsafe-inline' for styles. common.framing opens frame-ancestors to * on the embed views.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Cookies only over https in production (SECURE_COOKIES=0 to test production over plain http).
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
# Strict-Transport-Security on every https answer (is_secure(): behind the proxy, its
# X-Forwarded-Proto above). A year in production; 0 (none) in the embedded default, served
# over plain http. Subdomains and preload are the operator's choice: they bind the whole domain.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "common.api_schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "common.api_errors.problem_exception_handler",
    # A partner's API key (optional): its own, higher rate instead of the anonymous one.
    "DEFAULT_AUTHENTICATION_CLASSES": ["partners.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "common.throttles.HashedAnonThrottle",
        "partners.throttles.ApiKeyThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("API_ANON_RATE", default="600/min")},
    # JSON only: the browsable API would answer `Accept: text/html` with an HTML page, errors
    # included (under a problem+json content type). /api/docs/ is the interactive view.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# Public reads may be fetched from any site, without credentials (no cookies travel). Not the
# report intake: another site must not make its visitors' browsers send reports.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = (
    # Public reads only: not the report intake, nor alert subscriptions (a subscriber's token).
    r"^/(api/v1/(?!services/[^/]+/(reports|subscriptions)|subscriptions)|api/schema/|badge/"
    r"|widget\.js|embed/[^/]+/$"
    r"|s/[^/]+/(live\.json|series\.|feed\.)|incidents/feed\.)"
)
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Outages API",
    "DESCRIPTION": "Crowdsourced outage reports: services, series and report intake.\n\n"
    "Reading and reporting need no key (the operations without a lock). A partner API key "
    "(`Authorization: Bearer odk_...` or `X-Api-Key`) only raises the rate limit. The "
    "operations on one alert subscription need the management token returned when it was "
    "created.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_docs.security_schemes",
    ],
    # Path parameters say what the URL patterns accept, so clients (and fuzzers) stay on them.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "example": "twitter"},
        "str": {"type": "string", "pattern": "^[^/]+$"},
        "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    },
    # One name for the problem types wherever a field carries them (`problem`, `problems`).
    "ENUM_NAME_OVERRIDES": {"ProblemEnum": "outages.vocabulary.Problem"},
}

# --- Logging: never an IP address (no access log carries the client address) ----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]

# --- Comments (pre-moderated; see comments/) -------------------------------------------------
COMMENTS_FLAGS_TO_HIDE = env.int("COMMENTS_FLAGS_TO_HIDE", default=3)  # readers' flags
COMMENTS_MIN_FILL_SECONDS = env.int("COMMENTS_MIN_FILL_SECONDS", default=3)  # faster: a bot
COMMENTS_FORM_MAX_AGE = env.int("COMMENTS_FORM_MAX_AGE", default=24 * 3600)  # seconds
COMMENTS_MAX_LINKS = env.int("COMMENTS_MAX_LINKS", default=2)
COMMENTS_MAX_LENGTH = env.int("COMMENTS_MAX_LENGTH", default=2000)
# At most N comments per window from one fingerprint (every state counts).
COMMENTS_RATE = (env.int("COMMENTS_RATE", default=5), 3600)
COMMENTS_FLAG_RATE = (env.int("COMMENTS_FLAG_RATE", default=20), 3600)  # flags per fingerprint
COMMENTS_ON_PAGE = env.int("COMMENTS_ON_PAGE", default=50)
COMMENTS_QUEUE_PAGE = env.int("COMMENTS_QUEUE_PAGE", default=100)
# --- Admin security and privacy (docs/privacy.md, docs/operations.md) ------------------------
# Staff passwords (the only accounts there are): Django's four checks.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
AUTHENTICATION_BACKENDS = [
    "moderation.security.LoginThrottleBackend",  # axes: refuses a locked-out username+address
    "django.contrib.auth.backends.ModelBackend",
]
# Lock out one username from one address after N failures, for a cool-off time. Axes sees a
# keyed hash of the address (daily salt) shaped as an IPv6 address, never the address itself.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every manage.py command
AXES_CLIENT_IP_CALLABLE = "moderation.security.hashed_client_address"
# Superusers and Administrators must verify a TOTP device to use the admin (default in
# production; the embedded default lets a dev superuser in with a password alone).
ADMIN_OTP_REQUIRED = env.bool("ADMIN_OTP_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Outages admin")
# No one reads another account's TOTP secret in the admin (`roles totp-add` prints it once).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Raw reports are deleted this many days after they were received (their minute buckets stay).
REPORT_RETENTION_DAYS = env.int("REPORT_RETENTION_DAYS", default=30)
# How long a stored report's id stays in reports.ReportIdLedger, which keeps a report counted
# once: longer than INTAKE_IDEMPOTENCY_HOURS plus the longest drain backlog to tolerate.
REPORT_ID_LEDGER_HOURS = env.int("REPORT_ID_LEDGER_HOURS", default=72)
# --- Alerts ---------------------------------------------------------------------------------
# Absolute links in e-mails and webhook payloads (confirmation, unsubscribe, incident, feeds).
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="alerts@outages.invalid")
# Confirmation e-mails pending at once (asked for in the last day, not yet confirmed) per
# address, counted case-blind and without +tags, and per requester (the reporter fingerprint);
# past either, a subscription is answered 429 with Retry-After. 0: no cap.
ALERTS_CONFIRMATIONS_PER_ADDRESS = env.int("ALERTS_CONFIRMATIONS_PER_ADDRESS", default=3)
ALERTS_CONFIRMATIONS_PER_FINGERPRINT = env.int("ALERTS_CONFIRMATIONS_PER_FINGERPRINT", default=10)
# Webhooks: loopback is refused unless opened here (local development and tests only).
ALERTS_ALLOW_LOOPBACK = env.bool("ALERTS_ALLOW_LOOPBACK", default=False)
ALERTS_HTTPS_ONLY = env.bool("ALERTS_HTTPS_ONLY", default=PRODUCTION)
ALERTS_CONNECT_TIMEOUT = env.float("ALERTS_CONNECT_TIMEOUT", default=3.0)
ALERTS_READ_TIMEOUT = env.float("ALERTS_READ_TIMEOUT", default=5.0)
ALERTS_MAX_RESPONSE_BYTES = env.int("ALERTS_MAX_RESPONSE_BYTES", default=64 * 1024)
ALERTS_MAX_ATTEMPTS = env.int("ALERTS_MAX_ATTEMPTS", default=8)
ALERTS_PAUSE_AFTER_FAILURES = env.int("ALERTS_PAUSE_AFTER_FAILURES", default=10)
ALERTS_BACKOFF_SECONDS = env.float("ALERTS_BACKOFF_SECONDS", default=30.0)
ALERTS_COOLDOWN = timedelta(minutes=env.int("ALERTS_COOLDOWN_MINUTES", default=30))
# A delivery being sent is leased for this long; a worker killed mid-send frees it after.
ALERTS_SENDING_LEASE = timedelta(seconds=env.int("ALERTS_SENDING_LEASE_SECONDS", default=300))
ALERTS_SEND_THREADS = env.int("ALERTS_SEND_THREADS", default=16)
ALERTS_SECRET_OVERLAP = timedelta(hours=env.int("ALERTS_SECRET_OVERLAP_HOURS", default=24))
ALERTS_SEND_BUDGET_SECONDS = env.float("ALERTS_SEND_BUDGET_SECONDS", default=20.0)
# SMTP connections one worker process sends alert e-mails over at once.
ALERTS_SMTP_CONNECTIONS = env.int("ALERTS_SMTP_CONNECTIONS", default=4)
# Official status pages (outages/official/): polled through the webhooks' SSRF guard, with the same
# ALERTS_ALLOW_LOOPBACK and ALERTS_HTTPS_ONLY switches and these limits.
OFFICIAL_CONNECT_TIMEOUT = env.float("OFFICIAL_CONNECT_TIMEOUT", default=3.0)
OFFICIAL_READ_TIMEOUT = env.float("OFFICIAL_READ_TIMEOUT", default=5.0)
OFFICIAL_MAX_BYTES = env.int("OFFICIAL_MAX_BYTES", default=2 * 1024 * 1024)
OFFICIAL_POLL_BATCH = env.int("OFFICIAL_POLL_BATCH", default=100)
OFFICIAL_FETCH_THREADS = env.int("OFFICIAL_FETCH_THREADS", default=32)
OFFICIAL_POLL_BUDGET_SECONDS = env.float("OFFICIAL_POLL_BUDGET_SECONDS", default=50.0)
# A source is shown as failing after this many failed polls in a row; retries back off up to
# OFFICIAL_BACKOFF_MAX seconds.
OFFICIAL_FAILING_AFTER = env.int("OFFICIAL_FAILING_AFTER", default=3)
OFFICIAL_BACKOFF_MAX = env.int("OFFICIAL_BACKOFF_MAX", default=3600)
