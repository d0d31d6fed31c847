"""
Inspired's one settings module. Every value that differs between machines comes from the
environment; `.env.example` lists each variable with a safe development value. It is
one module by the project's convention (no settings package), grouped in sections.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_required(name: str) -> str:
    """Return a variable that production cannot run without, or refuse to start."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when DJANGO_DEBUG is off (see .env.example)."
        )
    return value


# Core

DEBUG = env_bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-development-only-key"
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
else:
    SECRET_KEY = env_required("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS") or env_required("DJANGO_ALLOWED_HOSTS")

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "import_export",
    "corsheaders",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
]
LOCAL_APPS = [
    "catalog",
    "storefront",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # ETags on every page and 304s for If-None-Match / If-Modified-Since; last to see the
    # response, so that it hashes what is sent.
    "django.middleware.http.ConditionalGetMiddleware",
    # Before anything that can answer on its own (WhiteNoise, CommonMiddleware), so that
    # those answers carry the CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above the page cache, so that the pages it answers carry the header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Anonymous pages from the server-side cache, before sessions, CSRF and auth run.
    "storefront.caching.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change in the catalog's history.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "inspired_site.urls"
WSGI_APPLICATION = "inspired_site.wsgi.application"
SITE_ID = 1
# What mails and pages call the site. An empty domain means the host each request came to.
SITE_NAME = os.environ.get("DJANGO_SITE_NAME", "Inspired")
SITE_DOMAIN = os.environ.get("DJANGO_SITE_DOMAIN", "")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {
        # utf8mb4 so that emoji and every script fit; utf8 (utf8mb3) would truncate them.
        "charset": "utf8mb4",
        # Refuse silent truncation and bad values instead of storing mangled data.
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        # The default on InnoDB is REPEATABLE READ, under which get_or_create races badly.
        "isolation_level": "read committed",
    }
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    # MariaDB cannot enforce a unique constraint with a condition (one primary source per
    # video; allauth's one primary email per user). Model validation and allauth's own
    # code enforce those there; the warning would otherwise open every command's output,
    # and every cron mail of rollup_clicks and check_offers.
    SILENCED_SYSTEM_CHECKS = ["models.W036"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A persistent connection buys nothing on a local file and holds its lock longer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ATOMIC_REQUESTS = False

# Cache: Redis when configured, local memory otherwise.

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "inspired",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Authentication

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static and media files

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Security: safe defaults that `manage.py check --deploy` accepts when debug is off.

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the browsable API and htmx read it to send the token
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Email: printed to the console in development, sent over SMTP in production.

MAILERS = {
    "default": {
        # An empty value (as in .env.example) picks the default, like an unset one.
        "BACKEND": os.environ.get("DJANGO_EMAIL_BACKEND")
        or (
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            key: value
            for key, value in {
                "host": os.environ.get("DJANGO_EMAIL_HOST"),
                "port": int(os.environ.get("DJANGO_EMAIL_PORT", "587")),
                "username": os.environ.get("DJANGO_EMAIL_HOST_USER"),
                "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", default=True),
            }.items()
            if value is not None
        }
        if not DEBUG
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Inspired <hello@inspired.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# REST framework

REST_FRAMEWORK = {
    "DEFAULT_FILTER_BACKENDS": [
        "catalog.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "catalog.api.filters.StrictOrderingFilter",
    ],
    # Token first: its WWW-Authenticate header is what turns an anonymous write into a 401
    # rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Retailer tokens (rtk_…) first; it passes any other token on to knox.
        "catalog.api.authentication.RetailerTokenAuthentication",
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "catalog.api.permissions.CatalogPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "catalog.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "catalog.api.throttling.AnonRateThrottle",
        "catalog.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("DJANGO_API_THROTTLE_ANON", "120/minute"),
        "user": os.environ.get("DJANGO_API_THROTTLE_USER", "1200/minute"),
        "login": os.environ.get("DJANGO_API_THROTTLE_LOGIN", "10/minute"),
    },
    "EXCEPTION_HANDLER": "catalog.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "catalog.api.schema.CatalogAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# API tokens (django-rest-knox): stored as hashes, shown once, revocable in the admin.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("DJANGO_API_TOKEN_TTL_HOURS", "720"))),
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}

# OpenAPI schema and its documentation pages, with assets served by the project.
SPECTACULAR_SETTINGS = {
    "TITLE": "Inspired catalog API",
    "DESCRIPTION": "Read and write the catalog of videos, scenes, products and offers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One tag per resource (artists, videos, …), named after the path under /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Code docstrings are for developers: the schema says only what is written for it.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several fields share or that share a field name.
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventEnum": "catalog.models.webhooks.WebhookEvent",
        "VideoStatusEnum": "catalog.models.videos.Video.Status",
        "WebhookDeliveryStatusEnum": "catalog.models.webhooks.WebhookDelivery.Status",
    },
    # The system's fonts instead of ReDoc's default web fonts, which it would fetch.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif"},
                "code": {"fontFamily": "ui-monospace, 'DejaVu Sans Mono', monospace"},
            }
        }
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalog.api.schema.add_error_responses",
    ],
}

# CORS: only the origins listed may call the API from a browser.
CORS_ALLOWED_ORIGINS = env_list("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# Catalog

# Best and "from" prices are taken in this ISO 4217 currency when a product has offers in it.
CATALOG_CURRENCY = os.environ.get("CATALOG_CURRENCY", "USD")
# Offers that failed this many link checks in a row are hidden from the storefront.
CATALOG_OFFER_MAX_FAILED_CHECKS = int(os.environ.get("CATALOG_OFFER_MAX_FAILED_CHECKS", "3"))
# On: curators submit videos for review and only Reviewers publish. Off (small teams):
# anybody who may change videos publishes them directly.
CATALOG_REVIEW_REQUIRED = env_bool("CATALOG_REVIEW_REQUIRED", True)

# Link checker (`manage.py check_offers`): see catalog/linkhealth/fetcher.py for the SSRF rules.
# Hosts fetched although they resolve to private or loopback addresses or use other ports
# than 80 and 443; empty in production. Tests allow their own 127.0.0.1 server.
CATALOG_LINKCHECK_ALLOWED_HOSTS = env_list("CATALOG_LINKCHECK_ALLOWED_HOSTS")
CATALOG_LINKCHECK_CONNECT_TIMEOUT = float(os.environ.get("CATALOG_LINKCHECK_CONNECT_TIMEOUT", "5"))
CATALOG_LINKCHECK_READ_TIMEOUT = float(os.environ.get("CATALOG_LINKCHECK_READ_TIMEOUT", "10"))
# One fetch, redirects included, gives up after this many seconds even if bytes trickle in.
CATALOG_LINKCHECK_TOTAL_TIMEOUT = float(os.environ.get("CATALOG_LINKCHECK_TOTAL_TIMEOUT", "30"))
CATALOG_LINKCHECK_MAX_BODY_BYTES = int(
    os.environ.get("CATALOG_LINKCHECK_MAX_BODY_BYTES", "2000000")
)
CATALOG_LINKCHECK_CONCURRENCY = int(os.environ.get("CATALOG_LINKCHECK_CONCURRENCY", "8"))
CATALOG_LINKCHECK_STALE_AFTER_HOURS = int(
    os.environ.get("CATALOG_LINKCHECK_STALE_AFTER_HOURS", "24")
)
# Named in the checker's User-Agent so that retailers can see who visits and why.
CATALOG_LINKCHECK_SITE_URL = os.environ.get(
    "CATALOG_LINKCHECK_SITE_URL", "https://inspired.example/about/link-checker"
)

# Accounts: django-allauth (email sign-in, optional Facebook and Google)

# After LOCAL_APPS, so that storefront's account/ templates override allauth's own.
INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
]
# Each social provider switches on only when its credentials are in the environment.
SOCIALACCOUNT_PROVIDERS = {}
for _provider, _prefix in [("facebook", "FACEBOOK"), ("google", "GOOGLE")]:
    _client_id = os.environ.get(f"{_prefix}_CLIENT_ID", "").strip()
    _secret = os.environ.get(f"{_prefix}_CLIENT_SECRET", "").strip()
    if _client_id and _secret:
        INSTALLED_APPS.append(f"allauth.socialaccount.providers.{_provider}")
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [{"client_id": _client_id, "secret": _secret, "key": ""}],
            "SCOPE": ["email"] if _provider == "facebook" else ["profile", "email"],
        }
MIDDLEWARE.append("allauth.account.middleware.AccountMiddleware")
# Lazy sets of the signed-in person's saved products and followed artists for the buttons.
TEMPLATES[0]["OPTIONS"]["context_processors"].append(
    "storefront.account_context.saved_and_followed"
)
# The shopper's display currency and the newest exchange rates (storefront/currency.py).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("storefront.currency.context")
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the admin's username sign-in
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "storefront:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "storefront:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
# Mails name the site from SITE_NAME and SITE_DOMAIN, never from the sites framework's row.
ACCOUNT_ADAPTER = "storefront.account_adapter.AccountAdapter"

# Import and export (django-import-export in the admin, `import_feed` on the shell)

# A confirmed import is one transaction: a file with one bad row writes nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Importing creates and changes rows, exporting reads them: both need the model's permissions.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_CHUNK_SIZE = 1000
# The admin previews and then writes a file within one request each, at a few ms a row;
# a longer file is refused with a pointer to `manage.py import_feed`, which has no limit.
CATALOG_ADMIN_IMPORT_MAX_ROWS = int(os.environ.get("CATALOG_ADMIN_IMPORT_MAX_ROWS", "2000"))
# Cells that start like a formula (=, +, -, @) are exported behind an apostrophe by
# CatalogResource (catalog/ingest/resources.py), and imported back without it. The library's own
# switch stays off: in 4.4.3 it only deletes a leading "=" ("+", "-" and "@" formulas pass,
# and a name "=Sale" re-imports as "Sale"), and it writes every XLSX cell as text, so an
# empty date comes back as "None" and the file no longer imports.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Image URLs in product imports are fetched through the link checker's guard
# (catalog/linkhealth/fetcher.py), with its limits and its CATALOG_LINKCHECK_ALLOWED_HOSTS.

# ---------------------------------------------------------------------------------------
# Production safety: login protection, outages, mail, CSP (docs/security.md)
# ---------------------------------------------------------------------------------------

# Client addresses. Behind a reverse proxy or load balancer, REMOTE_ADDR is the proxy's;
# the client's address is read from X-Forwarded-For only through the proxies listed here
# (addresses or networks, e.g. 10.0.0.5,10.1.0.0/16). Empty: the header is ignored, so a
# client cannot pick its own address for the login lockout and the throttles.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

# Login lockout (django-axes): every surface that checks a password (admin, allauth, the
# browsable API's login, the API token login) counts failures per account and client
# address in the database, which all workers share and which outlives a Redis outage. A
# locked pair is refused before its password is hashed.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = [
    "inspired_site.login_protection.LoginLockoutBackend",
    *AUTHENTICATION_BACKENDS,
]
# Last, so that it sees the answer of every view that authenticates.
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "inspired_site.proxies.client_ip"
AXES_USERNAME_CALLABLE = "inspired_site.login_protection.attempted_account"
AXES_LOCKOUT_CALLABLE = "inspired_site.login_protection.lockout_response"
AXES_VERBOSE = False
# Lockouts are warnings; every sign-in and failure at INFO would drown them.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}
# One lockout for every surface: allauth's own count of failed sign-ins (in the cache,
# per address and per account) would answer allauth's form differently from the others.
ACCOUNT_RATE_LIMITS = {"login_failed": False}

# Password hashing: Django's PBKDF2, one hash at a time per process at low CPU priority.
PASSWORD_HASHERS = [
    "inspired_site.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Two-factor sign-in (allauth's MFA): authenticator apps (TOTP) and recovery codes, for
# anyone who turns it on at /accounts/2fa/. With DJANGO_STAFF_REQUIRE_MFA on, staff reach
# the admin only after signing in with a second factor: /admin/login/ hands over to
# /accounts/login/, and staff without an authenticator are sent to set one up.
INSTALLED_APPS += ["allauth.mfa"]
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Inspired"
STAFF_REQUIRE_MFA = env_bool("DJANGO_STAFF_REQUIRE_MFA", default=False)
MIDDLEWARE.append("inspired_site.login_protection.StaffTwoFactorMiddleware")

# Request bodies: larger ones answer 413 (Django's limit for form fields applies to the
# whole body of a JSON request too); JSON nested deeper than this answers 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DJANGO_MAX_BODY_BYTES", str(2_621_440)))
API_MAX_JSON_DEPTH = 32
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "catalog.api.parsers.JSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]

# Outages: a database that cannot be reached answers 503 with Retry-After (JSON under
# /api/), and /readyz reports it; see inspired_site/health.py. A database host that does
# not answer at all fails a connection after this many seconds instead of hanging a worker.
OUTAGE_RETRY_AFTER_SECONDS = int(os.environ.get("DJANGO_OUTAGE_RETRY_AFTER", "30"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = 5

# Cache outages: django-redis turns a lost Redis into cache misses (IGNORE_EXCEPTIONS), so
# throttles and cached pages fail open instead of failing the request. Sessions live in the
# database; with Redis, the cache sits in front of it (cached_db): any web node finds a
# session there, and a Redis restart signs nobody out. Without Redis each process has a
# cache of its own, which could keep a session another process ended: sessions are then
# read from the database alone.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "inspired_site.cache.FailOpenRedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": "inspired",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
        },
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Mail: sent after the transaction commits, with retries (inspired_site/mail.py); a failure is
# logged and told to the person, never a 500. Production refuses to start with SMTP but no
# host; the console backend is accepted when chosen explicitly.
ACCOUNT_ADAPTER = "storefront.account_adapter.AccountAdapter"
MAIL_RETRY_DELAYS = (1, 3)  # seconds before the second and third attempt
if not DEBUG and MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    env_required("DJANGO_EMAIL_HOST")
    MAILERS["default"]["OPTIONS"]["timeout"] = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "10"))

# Content-Security-Policy (Django's own, with a nonce for any inline script) and a
# Permissions-Policy. Videos come from YouTube and Vimeo iframes and their player scripts,
# or as MP4/HLS from the source's own URL (hls.js reads segments and feeds them as blobs).
from django.utils.csp import CSP  # noqa: E402

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")
VIDEO_PLAYER_ORIGINS = ["https://www.youtube.com", "https://player.vimeo.com"]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, *VIDEO_PLAYER_ORIGINS, "https://s.ytimg.com"],
    # Swagger UI, ReDoc and the admin set style attributes; scripts stay nonce-only.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https://i.ytimg.com", "https://i.vimeocdn.com"],
    "font-src": [CSP.SELF, "data:"],
    "media-src": [CSP.SELF, "blob:", "https:"],
    "connect-src": [CSP.SELF, "https:"],
    "worker-src": [CSP.SELF, "blob:"],
    "frame-src": ["https://www.youtube-nocookie.com", *VIDEO_PLAYER_ORIGINS],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [
        CSP.SELF,
        *(["https://www.facebook.com"] if "facebook" in SOCIALACCOUNT_PROVIDERS else []),
        *(["https://accounts.google.com"] if "google" in SOCIALACCOUNT_PROVIDERS else []),
    ],
}
# Features no page uses; the players' iframes keep autoplay, fullscreen and the like.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csp.ContentSecurityPolicyMiddleware") + 1,
    "inspired_site.middleware.PermissionsPolicyMiddleware",
)


# Background work: Celery on RabbitMQ (inspired_site/celery.py)

# amqp://guest:guest@127.0.0.1:5672// for the machine's RabbitMQ. Without a broker, every
# task runs in the process that sends it (the `make run` default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Where results are kept (redis://127.0.0.1:6379/3); none by default: the tasks' own rows
# (an ImportJob, the checks, the roll-ups) are what the site reads.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Queues are named <prefix>.<kind>: linkcheck, imports, rollups, mail, integrations
# (webhooks, alerts, rates) and default. Two sites (or test runs) sharing one broker give
# each a prefix of its own.
CELERY_QUEUE_PREFIX = os.environ.get("CELERY_QUEUE_PREFIX", "inspired")
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}.default"
CELERY_TASK_QUEUES = {
    f"{CELERY_QUEUE_PREFIX}.{kind}": {"routing_key": f"{CELERY_QUEUE_PREFIX}.{kind}"}
    for kind in ["default", "imports", "integrations", "linkcheck", "mail", "rollups"]
}
CELERY_TASK_ROUTES = ("inspired_site.celery.route_task",)
# A task is acknowledged when it has run, so a worker that dies hands it to another one;
# every task is idempotent for that reason. One message at a time per worker process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The first pause before mail refused by the SMTP server is tried again (then doubled).
CELERY_MAIL_RETRY_SECONDS = float(os.environ.get("CELERY_MAIL_RETRY_SECONDS", "10"))
CELERY_IMPORTS = ["catalog.integrations.tasks"]
CELERY_BEAT_SCHEDULE = {
    "enqueue-link-checks": {
        "task": "catalog.tasks.enqueue_link_checks",
        "schedule": float(os.environ.get("CATALOG_LINKCHECK_ENQUEUE_EVERY", "600")),
    },
    "rollup-clicks": {
        "task": "catalog.tasks.rollup_clicks",
        "schedule": float(os.environ.get("CATALOG_ROLLUP_EVERY", "300")),
    },
    "update-fx-rates": {
        "task": "catalog.integrations.tasks.update_fx_rates",
        "schedule": float(os.environ.get("CATALOG_FX_UPDATE_EVERY", "21600")),
    },
    "retry-due-webhooks": {
        "task": "catalog.integrations.tasks.retry_due_webhooks",
        "schedule": 300.0,
    },
    "weekly-artist-digest": {
        "task": "catalog.integrations.tasks.send_artist_digests",
        "schedule": 86_400.0,  # daily sweep; each shopper gets at most one a week
    },
}
# Link checks: offers handed to one task, how long a claimed offer stays claimed, and the
# least time between two requests to one retailer host (shared through the cache).
CATALOG_LINKCHECK_CHUNK_SIZE = int(os.environ.get("CATALOG_LINKCHECK_CHUNK_SIZE", "50"))
CATALOG_LINKCHECK_LEASE_SECONDS = int(os.environ.get("CATALOG_LINKCHECK_LEASE_SECONDS", "600"))
CATALOG_LINKCHECK_HOST_INTERVAL = int(os.environ.get("CATALOG_LINKCHECK_HOST_INTERVAL", "1"))

# Integrations: alerts, webhooks, exchange rates, merchant feeds, embeds

# The site's public address, for links in mails, feeds, oEmbed answers and share cards.
SITE_URL = os.environ.get("INSPIRED_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# An alert that fired is armed again once the best price is this much above its target.
CATALOG_ALERT_REARM_MARGIN = float(os.environ.get("CATALOG_ALERT_REARM_MARGIN", "0.05"))
# Webhook deliveries: tried this often, waiting BACKOFF * 4^(attempt-1) seconds between
# tries; an endpoint whose deliveries gave up this many times in a row is disabled.
CATALOG_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("CATALOG_WEBHOOK_MAX_ATTEMPTS", "6"))
CATALOG_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("CATALOG_WEBHOOK_BACKOFF_SECONDS", "30"))
CATALOG_WEBHOOK_DISABLE_AFTER = int(os.environ.get("CATALOG_WEBHOOK_DISABLE_AFTER", "5"))
CATALOG_WEBHOOK_TIMEOUT = float(os.environ.get("CATALOG_WEBHOOK_TIMEOUT", "10"))
# Like CATALOG_LINKCHECK_ALLOWED_HOSTS: hosts that may resolve to private addresses or use
# other ports; empty in production. Tests allow their own 127.0.0.1 receiver.
CATALOG_WEBHOOK_ALLOWED_HOSTS = env_list("CATALOG_WEBHOOK_ALLOWED_HOSTS")
# The ECB's daily reference rates (`manage.py update_fx_rates`).
CATALOG_FX_RATES_URL = os.environ.get(
    "CATALOG_FX_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
)
# Display currencies a shopper can pick (those with an ECB rate, plus the site's).
CATALOG_DISPLAY_CURRENCIES = env_list(
    "CATALOG_DISPLAY_CURRENCIES", "USD,EUR,GBP,JPY,CAD,AUD,CHF,SEK"
)
# Merchant feeds (/feeds/products.xml and .tsv) are built into this folder and served
# from there until they are older than CATALOG_FEED_MAX_AGE seconds.
CATALOG_FEED_DIR = Path(os.environ.get("CATALOG_FEED_DIR", BASE_DIR / "var" / "feeds"))
CATALOG_FEED_MAX_AGE = int(os.environ.get("CATALOG_FEED_MAX_AGE", "3600"))
# Share cards (Open Graph images) are drawn once per look and kept here.
CATALOG_SHARE_CARD_DIR = Path(
    os.environ.get("CATALOG_SHARE_CARD_DIR", BASE_DIR / "var" / "share-cards")
)

# Media on S3-compatible object storage (django-storages), when a bucket is named

MEDIA_MAX_AGE = int(os.environ.get("DJANGO_MEDIA_MAX_AGE", "86400"))
MEDIA_S3_BUCKET = os.environ.get("DJANGO_MEDIA_S3_BUCKET", "").strip()
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            # Empty for AWS itself; the endpoint of any other S3-compatible service.
            "endpoint_url": os.environ.get("DJANGO_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_MEDIA_S3_REGION") or None,
            # Empty: the machine's own credentials (an instance role, ~/.aws).
            "access_key": os.environ.get("DJANGO_MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("DJANGO_MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("DJANGO_MEDIA_S3_PREFIX", ""),
            # A CDN host in front of the bucket, e.g. media.inspired.example.
            "custom_domain": os.environ.get("DJANGO_MEDIA_S3_CUSTOM_DOMAIN") or None,
            # Public media (pictures, clips) need no signed URLs; a private bucket does.
            "querystring_auth": env_bool("DJANGO_MEDIA_S3_SIGNED_URLS", default=False),
            # Two uploads with one name keep both files, as on the local disk.
            "file_overwrite": False,
            "object_parameters": {"CacheControl": f"public, max-age={MEDIA_MAX_AGE}"},
        },
    }
# The site serves media itself (with byte ranges) only when they are on its own disk.
MEDIA_SERVED_BY_SITE = not MEDIA_S3_BUCKET

# Read replicas: reads of web requests on replicas, everything else on the primary
# (inspired_site/db_router.py)

# Comma-separated mysql:// URLs of MariaDB/MySQL replicas of DATABASE_URL; none by default.
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    DATABASES[f"replica_{_index}"] = {
        **dj_database_url.parse(
            _url,
            conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        "OPTIONS": {
            **DATABASES["default"].get("OPTIONS", {}),
            # A replica that is gone is given up on quickly; the primary answers instead.
            "connect_timeout": 2,
        },
        # Tests read and write one database: the replica stands for the primary there.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["inspired_site.db_router.PrimaryReplicaRouter"]
MIDDLEWARE.insert(1, "inspired_site.middleware.ReplicaReadsMiddleware")
# After a request that wrote, the same visitor reads the primary for this long.
DATABASE_READ_YOUR_WRITES_SECONDS = float(os.environ.get("DATABASE_READ_YOUR_WRITES_SECONDS", "5"))
# A replica further behind than this is skipped; its state is checked this often.
DATABASE_REPLICA_MAX_LAG_SECONDS = int(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "5"))
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS", "5"))
