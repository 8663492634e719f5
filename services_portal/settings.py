"""Settings, read from environment variables only.

Two shapes of deployment share this one file:

* embedded (the default): SQLite, Celery tasks run eagerly in the web process, the in-memory
  channel layer and a local-memory cache. Needs no other service; `make demo` runs it.
* production (`PORTAL_ENV=production`): PostgreSQL from `DATABASE_URL`, Redis from `REDIS_URL`
  (Celery broker, Channels layer, cache), HTTPS-only cookies and HSTS. `SECRET_KEY`,
  `ALLOWED_HOSTS`, `DATABASE_URL` and `REDIS_URL` must be set.

Every value below can be overridden by its own variable; README.md lists them.
"""

import datetime
import sys
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PORTAL_ENV = env.str("PORTAL_ENV", default="embedded")
if PORTAL_ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured("PORTAL_ENV must be 'embedded' or 'production'.")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env.bool("DEBUG", default=False)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="embedded-only-insecure-key-never-use-in-production-0123456789")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many proxies in front of the portal append the client's address to X-Forwarded-For. 0: the header
# is ignored (anyone can send it); 1: only its right-most entry counts. Lockout, throttles, sessions and
# logs all read the address this way (services_portal/core/addresses.py; README: "Behind a proxy").
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # sessions with their user, browser and address, so a person can see and end each one
    "qsessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "profiles.axes_app.AxesConfig",  # django-axes, under a translated name in the administration
    "django_prometheus",
    "health_check",
    "services_portal.core",
    "services_portal.eligibility",
    "services_portal.catalog",
    "services_portal.screener",
    "services_portal.feeds",
    "services_portal.casework",
    "services_portal.notifications",
    "services_portal.counter",
    "services_portal.payments",
    "services_portal.ratings",
    "services_portal.reach",
    "profiles",
    "recommender",
    "accessibility",
    "services_portal.demo",
    "services_portal.monitoring",
]

MIDDLEWARE = [
    # request latency and counts for Prometheus (README, "Operations"): first and last, to time it all
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "services_portal.core.middleware.RequestIdMiddleware",
    # the request id on every log record written while the request is served
    "services_portal.monitoring.logs.RequestLogContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # qsessions', recording the client's address as TRUSTED_PROXY_COUNT reads it
    "services_portal.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # before anything reads a body: 413 for one larger than its caller may send
    "services_portal.core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accessibility.middleware.DisplayPreferencesMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "services_portal.urls"
WSGI_APPLICATION = "services_portal.wsgi.application"
ASGI_APPLICATION = "services_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "services_portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accessibility.context_processors.display_preferences",
                "services_portal.core.context_processors.portal",
            ],
        },
    },
]


def database_connections(
    database: dict[str, Any], *, asgi: bool, conn_max_age: int, pool_max_size: int, pool_timeout: float
) -> dict[str, Any]:
    """`database` with how its connections are kept: CONN_MAX_AGE and, under ASGI on PostgreSQL, a pool.

    Under ASGI each request runs its synchronous part in a thread of its own, and a connection kept open
    (CONN_MAX_AGE > 0) is kept per thread: with 60 s, one daphne process held a connection for every request
    of the last minute and reached PostgreSQL's 100 within seconds. So an ASGI process keeps none and, as
    Django advises, borrows from psycopg's pool of at most `pool_max_size` connections (0: no pool, one
    connection per request in flight). Management commands and Celery workers work in one thread each and
    keep `conn_max_age`.
    """
    if not asgi:
        return {**database, "CONN_MAX_AGE": conn_max_age}
    options = dict(database.get("OPTIONS", {}))
    if pool_max_size > 0 and database["ENGINE"] == "django.db.backends.postgresql":
        options["pool"] = {"min_size": min(2, pool_max_size), "max_size": pool_max_size, "timeout": pool_timeout}
    return {**database, "CONN_MAX_AGE": 0, "OPTIONS": options}


# Serving over ASGI: a server (daphne) importing services_portal/asgi.py, which loads these settings, or
# daphne's `manage.py runserver`.
ASGI = "services_portal.asgi" in sys.modules or sys.argv[1:2] == ["runserver"]
DATABASES = {
    "default": database_connections(
        env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        asgi=ASGI,
        conn_max_age=env.int("CONN_MAX_AGE", default=60 if PRODUCTION else 0),
        pool_max_size=env.int("DATABASE_POOL_MAX_SIZE", default=10),
        pool_timeout=env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL in production: two roles. `DATABASE_URL` is the application's role, which owns nothing and
# may only append to the append-only tables; `DATABASE_OWNER_URL` is the role that owns the schema, used
# only by `manage.py migrate --database owner` and `manage.py db_roles` (README: "Two database roles").
if env.str("DATABASE_OWNER_URL", default=""):
    DATABASES["owner"] = env.db("DATABASE_OWNER_URL")
    DATABASES["owner"]["TEST"] = {"MIRROR": "default"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "profiles.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # then an ID number also signs in the accounts not yet verified that claim it (profiles/backends.py)
    "profiles.backends.ClaimedIdBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Resident ID numbers are kept only as HMAC-SHA256 under this key (profiles/resident_id.py).
if PRODUCTION:
    RESIDENT_ID_HASH_KEY = env.str("RESIDENT_ID_HASH_KEY")
else:
    RESIDENT_ID_HASH_KEY = env.str("RESIDENT_ID_HASH_KEY", default="embedded-only-resident-id-key")
# Bank account numbers are encrypted (django-fernet-encrypted-fields) under keys derived from SECRET_KEY and
# this salt; production must set its own (README: "Run it in production"). A list rotates: the first encrypts.
SALT_KEY = env.list("SALT_KEY", default=["embedded-only-bank-account-salt"])
LOGIN_URL = "profiles:login"
LOGIN_REDIRECT_URL = "profiles:profile"
LOGOUT_REDIRECT_URL = "core:home"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_HOURS", default=1)
# Lock the (account, address) pair: five failures from one address lock neither everyone behind that
# address (a NAT, the TLS proxy) nor the account everywhere. Failures for one account from anywhere
# lead to a step-up instead (SIGN_IN_STEP_UP_*, profiles/services/sign_in.py).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The one reading of the client's address, used by lockout and throttles alike (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "services_portal.core.addresses.client_address"
# After this many failed sign-ins for one account within the window, from any addresses, the right
# password alone no longer signs in: a code texted to the verified phone is needed too, or, for an
# account without one, a wait after each failure from the same address. Never a block.
SIGN_IN_STEP_UP_AFTER_FAILURES = env.int("SIGN_IN_STEP_UP_AFTER_FAILURES", default=10)
SIGN_IN_STEP_UP_WINDOW_MINUTES = env.int("SIGN_IN_STEP_UP_WINDOW_MINUTES", default=60)
SIGN_IN_STEP_UP_WAIT_MINUTES = env.int("SIGN_IN_STEP_UP_WAIT_MINUTES", default=10)
AXES_USERNAME_CALLABLE = "profiles.services.accounts.axes_username"
AXES_LOCKOUT_TEMPLATE = "profiles/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Sessions (django-qsessions: each row knows its user, browser and address, listed at /me/devices/).
# Staff sessions end a fixed time after signing in; citizens' after a longer time without use.
SESSION_ENGINE = "qsessions.backends.db"
SESSION_AGE_CITIZEN_SECONDS = env.int("SESSION_AGE_CITIZEN_SECONDS", default=14 * 24 * 60 * 60)
SESSION_AGE_STAFF_SECONDS = env.int("SESSION_AGE_STAFF_SECONDS", default=8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_AGE_CITIZEN_SECONDS
# App tokens (django-rest-knox): one per device, kept only as a hash, each expiring and revocable.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105 - a model, not a secret
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env.int("APP_TOKEN_DAYS", default=30)),
    "AUTO_REFRESH": True,
    # refreshed on use, but never past this long after signing in
    "AUTO_REFRESH_MAX_TTL": datetime.timedelta(days=env.int("APP_TOKEN_MAX_DAYS", default=90)),
    "TOKEN_LIMIT_PER_USER": env.int("APP_TOKENS_PER_USER", default=10),
    "TOKEN_PREFIX": "gxp_",
    "AUTH_HEADER_PREFIX": "Token",
}

# Internationalisation: Simplified Chinese first, English on every page.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SECURE = env.bool("LANGUAGE_COOKIE_SECURE", default=PRODUCTION)
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "services_portal" / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "services_portal.reach.finders.NpmFileFinder",
]
# Browser libraries from npm (package.json, `npm ci`), served from the portal itself (no CDN): only these files.
NPM_ROOT = BASE_DIR / "node_modules"
NPM_STATIC_FILES = {"vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js"}
# WhiteNoise serves collected files in production and finds them in the apps otherwise.
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles") if PRODUCTION else "") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded and generated files: the recommender's model artifacts. Never served to the public.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# Applicants' materials: never under MEDIA_ROOT, never given a URL (services_portal/casework/storage.py).
PRIVATE_MEDIA_ROOT = env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
# Limits on what an applicant uploads for one application (services_portal/casework/materials.py).
MATERIAL_MAX_BYTES = env.int("MATERIAL_MAX_BYTES", default=10 * 1024 * 1024)
MATERIAL_MAX_PAGES = env.int("MATERIAL_MAX_PAGES", default=20)
MATERIAL_MAX_FILES = env.int("MATERIAL_MAX_FILES", default=20)
# 补正: the days an applicant has to send what a caseworker asked for, unless the caseworker sets another
CASE_RESUBMIT_DAYS = env.int("CASE_RESUBMIT_DAYS", default=15)

# Redis carries the Celery broker, the Channels layer and the cache when it is configured.
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when PORTAL_ENV=production.")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # fail fast when Redis is away: callers (throttles) carry on without it
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died unacknowledged goes back to the queue after this long (Redis transport);
# workers look for such tasks every few seconds (kombu's default would be every 100 s).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 2)),
    "unacked_restore_throttle": 1,
}
# Redis down must not hold a request: queueing gives up within about a second and the request answers
# (services_portal/core/tasks.py logs it, keeps no result, and the dispatcher and
# feeds.tasks.detect_pending queue the work again from the database once Redis is back). Workers keep
# Celery's own reconnecting (broker_connection_retry): they wait for Redis rather than exit.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_TIMEZONE = TIME_ZONE
# Workers log through LOGGING (JSON with the task id, services_portal/monitoring/logs.py), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Re-assessment (动态认定): days the holder of a benefit under review has to respond before it can be stopped.
CASE_REVIEW_RESPONSE_DAYS = env.int("CASE_REVIEW_RESPONSE_DAYS", default=14)
# how often the reach ledger reads new events and applies the escalation rule (reach.tasks.events)
REACH_EVENTS_SECONDS = env.int("REACH_EVENTS_SECONDS", default=60 * 60)
CELERY_BEAT_SCHEDULE = {
    "casework-detect-sweep": {
        "task": "services_portal.casework.tasks.detect_sweep",
        "schedule": env.int("DETECT_SWEEP_SECONDS", default=24 * 60 * 60),
    },
    "feeds-detect-pending": {
        "task": "services_portal.feeds.tasks.detect_pending",
        "schedule": env.int("FEED_DETECT_PENDING_SECONDS", default=60),
    },
    "push-dispatch": {
        "task": "services_portal.notifications.tasks.dispatch",
        "schedule": env.int("PUSH_DISPATCH_SECONDS", default=60),
    },
    "push-sweep": {
        "task": "recommender.tasks.sweep",
        "schedule": env.int("PUSH_SWEEP_SECONDS", default=24 * 60 * 60),
    },
    "recommender-train": {
        "task": "recommender.tasks.train",
        "schedule": env.int("RECOMMENDER_TRAIN_SECONDS", default=7 * 24 * 60 * 60),
    },
    "recommender-score-population": {
        "task": "recommender.tasks.score_population",
        "schedule": env.int("RECOMMENDER_SCORE_SECONDS", default=24 * 60 * 60),
    },
    # the reach ledger: everyone evaluated daily; the events and the escalation rule hourly
    "reach-refresh": {
        "task": "services_portal.reach.tasks.refresh",
        "schedule": env.int("REACH_REFRESH_SECONDS", default=24 * 60 * 60),
    },
    "reach-events": {
        "task": "services_portal.reach.tasks.events",
        "schedule": REACH_EVENTS_SECONDS,
    },
}
# The reach ledger (DESIGN section 11): reached within this many days of becoming eligible is "in time";
# aggregates that leave the portal show fewer people than REACH_SMALL_CELL as "<10".
REACH_WITHIN_DAYS = env.int("REACH_WITHIN_DAYS", default=7)
REACH_SMALL_CELL = env.int("REACH_SMALL_CELL", default=10)
# Push (DESIGN section 7): how often a person may be told something, when not, and through what.
PUSH_DAILY_LIMIT = env.int("PUSH_DAILY_LIMIT", default=3)
# Quiet hours in TIME_ZONE: a push due then waits until they end (deferred, never dropped).
PUSH_QUIET_HOURS = env.str("PUSH_QUIET_HOURS", default="21:00-08:00")
# No web or app use for this many days: the person is not reachable digitally; the counter reaches out.
PUSH_OFFLINE_AFTER_DAYS = env.int("PUSH_OFFLINE_AFTER_DAYS", default=90)
# An inbox message still unread after this long also goes out as a text message (where allowed).
PUSH_UNREAD_ESCALATE_HOURS = env.int("PUSH_UNREAD_ESCALATE_HOURS", default=48)
# The portal's public address, for links in text messages.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://localhost:8000")
# Text messages go through a backend, like Django's e-mail backends: console, file, or a real gateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="services_portal.core.sms.ConsoleBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))

# People per batch-scoring task: the same chunks run on one worker or many.
RECOMMENDER_SCORE_CHUNK = env.int("RECOMMENDER_SCORE_CHUNK", default=2000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # token first: its `WWW-Authenticate: Token` makes an unauthenticated request a 401, not a 403
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "services_portal.core.api.PortalPagination",
    "PAGE_SIZE": 20,
    # adds to each operation the error answers its authentication, permissions, throttles and input can give
    "DEFAULT_SCHEMA_CLASS": "services_portal.core.schema.PortalAutoSchema",
    # the API reads and writes JSON only (feeds also read CSV): what the schema says is what is parsed
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "services_portal.core.api.exception_handler",
    # keyed on services_portal.core.addresses.client_address; pages share the scopes (core/throttling.py)
    "DEFAULT_THROTTLE_CLASSES": [
        "services_portal.core.throttling.AnonThrottle",
        "services_portal.core.throttling.UserThrottle",
        "services_portal.core.throttling.ScopedThrottle",
    ],
    # per client address (per account once signed in)
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
        "user": env.str("THROTTLE_USER", default="600/minute"),
        "signup": env.str("THROTTLE_SIGNUP", default="10/hour"),
        "sign_in": env.str("THROTTLE_SIGN_IN", default="20/minute"),
        "code_send": env.str("THROTTLE_CODE_SEND", default="10/hour"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="10/hour"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service portal API",
    "DESCRIPTION": "The catalog of service items, the eligibility screener and, later, citizens' own data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # a PATCH here validates the whole input, as a POST does: one component, with its required fields
    "COMPONENT_SPLIT_PATCH": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "services_portal.core.schema.operation_links",
    ],
}

# Security. Production turns every switch on; each can still be set on its own.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=PRODUCTION) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): the pages' scripts and styles are files of the
# portal's own; nothing inline runs except the 500 page's style, which carries the request's nonce. The
# live inbox's WebSocket is same-origin ('self' covers ws:/wss: to this host). The API docs page relaxes
# style and images for Swagger UI (services_portal/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # NONCE: the request's nonce, named only on a response that used it (the 500 page)
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The portal's own settings.
PORTAL_HOTLINE = env.str("PORTAL_HOTLINE", default="12345")
PORTAL_NAME = _("Guangxi Government Services")
# The Chinese font the counter's checklist PDF embeds (a subset): WenQuanYi Zen Hei, Debian's fonts-wqy-zenhei.
CHECKLIST_FONT_FILE = env.str("CHECKLIST_FONT_FILE", default="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
# Department feeds deliver up to 200,000 rows (~20 MB of JSON) in one request; a proxy in front
# should allow that size only on /api/v1/feeds/.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 * 1024 * 1024)
# ... but only signed-in callers of these paths may send that much (services_portal/core/middleware.py):
# anyone else's request is refused with 413 before it is read.
REQUEST_BODY_LARGE_PATHS = env.list(
    "REQUEST_BODY_LARGE_PATHS", default=["/api/v1/feeds/", "/admin/catalog/serviceitem/import/"]
)
REQUEST_BODY_MAX_ANONYMOUS = env.int("REQUEST_BODY_MAX_ANONYMOUS", default=64 * 1024)
REQUEST_BODY_MAX_SIGNED_IN = env.int("REQUEST_BODY_MAX_SIGNED_IN", default=1024 * 1024)

# A proactive-benefit case above this amount needs a second, different caseworker to approve it.
CASE_SECOND_APPROVAL_THRESHOLD_CNY = env.int("CASE_SECOND_APPROVAL_THRESHOLD_CNY", default=3000)
CATALOG_DATA_FILE = env.path(
    "CATALOG_DATA_FILE", default=BASE_DIR / "services_portal" / "catalog" / "data" / "catalog.yaml"
)

# Logs (services_portal/monitoring/logs.py): structlog renders every record, with the request id or the
# Celery task id, as one JSON object a line ("json", production's default) or as readable text ("console").
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "console")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"()": "services_portal.monitoring.logs.PortalFormatter", "renderer": LOG_FORMAT}},
    # no record leaves with a resident ID number in it (services_portal/core/logging.py)
    "filters": {"resident_ids": {"()": "services_portal.core.logging.ResidentIdMask"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["resident_ids"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # a worker's line a task; run eagerly (embedded, tests, benchmarks) they would bury the rest
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # runserver's request lines, through the same filter
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Prometheus' /metrics (services_portal/monitoring/views.py; README, "Operations"): a scraper sends
# "Authorization: Bearer <METRICS_TOKEN>" or comes from one of METRICS_ALLOWED_ADDRESSES (the client's address
# as TRUSTED_PROXY_COUNT reads it); anyone else gets 403. Embedded, the machine itself may scrape.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=[] if PRODUCTION else ["127.0.0.1", "::1"])

# One-time codes (profiles/services/codes.py): by text message, and printed on a counter visit slip.
CODE_MINUTES = env.int("CODE_MINUTES", default=10)
COUNTER_ACTIVATION_CODE_MINUTES = env.int("COUNTER_ACTIVATION_CODE_MINUTES", default=30)
CODE_MAX_ATTEMPTS = env.int("CODE_MAX_ATTEMPTS", default=5)
CODE_SEND_LIMIT_PER_HOUR = env.int("CODE_SEND_LIMIT_PER_HOUR", default=5)
CODE_RESEND_AFTER_SECONDS = env.int("CODE_RESEND_AFTER_SECONDS", default=60)
# How an account proves whose it is before it joins the person record of an ID number (profiles.identity):
# each a dotted path to a ProofBackend. A province adds its identity platform (统一身份认证, OIDC) here.
IDENTITY_PROOF_BACKENDS = env.list(
    "IDENTITY_PROOF_BACKENDS",
    default=[
        "profiles.services.proofs.DepartmentPhoneCode",
        "profiles.services.proofs.CounterActivationCode",
    ],
)
