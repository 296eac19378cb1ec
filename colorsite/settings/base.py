"""Settings shared by every run of the site. Everything a deployment changes is read from the
environment here, with django-environ; ``local``, ``test`` and ``production`` add only what
differs between those runs (the secret key, static files, reCAPTCHA test keys, HTTPS)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

from colorsite.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_secret(name):
    """A secret exactly as it is set ("" when unset). django-environ reads a value that starts
    with "$" as the name of another variable, and a random key may well start with one."""
    return env.ENVIRON.get(name, "")


# The test suite's key (settings.test): in the repository for all to read, so production
# refuses it by name (settings.production).
TEST_SECRET_KEY = "test-only-secret-key-never-used-outside-the-test-suite-0123456789"  # noqa: S105  (public by design)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", cast=str.strip, default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "django_recaptcha",
    "bootstrap",  # Bootstrap 5 static files from the django-bootstrap-static package
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served by the site itself (no CDN)
    "colorize",
    "gallery",
    "api",
    "axes",  # the admin login's throttle and lockout (below)
]

MIDDLEWARE = [
    # Outermost: the request's id and its one access line (colorsite.logs), whatever answers.
    "colorsite.middleware.RequestLogMiddleware",
    # Then: answers the load balancer's /healthz itself, before the host check and the HTTPS
    # redirect (the health checker asks with the instance's private IP, over plain HTTP).
    "colorsite.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a body (CSRF parses it): a website request larger than the site
    # ever reads is refused unread, 413.
    "colorsite.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: answers a locked-out admin login with its 429.
    "axes.middleware.AxesMiddleware",
]

# --- The admin's login: strong passwords, and guessing them stopped -------------------------
# django-axes counts failed logins per client network (the address behind the proxies, an
# IPv6 one per /64): after ADMIN_LOGIN_FAILURE_LIMIT failures within ADMIN_LOCKOUT_MINUTES,
# that client's logins are refused, without the password being checked, until that many
# minutes pass without another try; a success clears its count. Locking by username as well
# would let anyone lock the admins out, so a slow guess from many addresses is left to the
# password rules below. The log line names the attempt by a keyed hash of the network, never
# the address or the username; successful logins are not recorded.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=10)
# Where the admin's login goes when its ?next= is missing or unsafe (Django's default,
# /accounts/profile/, does not exist here).
LOGIN_REDIRECT_URL = "admin:index"
AXES_COOLOFF_TIME = timedelta(minutes=env.float("ADMIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "gallery.ratelimits.client_network"
AXES_CLIENT_STR_CALLABLE = "gallery.ratelimits.login_client_description"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

ROOT_URLCONF = "colorsite.urls"
WSGI_APPLICATION = "colorsite.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Where the site keeps what it writes: the SQLite database, local media, downloaded weights,
# the local secret key.
DATA_DIR = Path(env.str("COLORSITE_DATA_DIR", default=str(BASE_DIR / "var")))

# Kept out of the settings namespace: the URL holds the password, and a debug page lists settings.
_database_url = env.str("DATABASE_URL", default="")  # "" (unset): SQLite in DATA_DIR
if not _database_url:
    # The default SQLite file needs its folder before any command (even `colorize`) runs the checks.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db_url_config(_database_url or f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
# A kept connection is checked before a request reuses it: the database (or a proxy, a
# failover) may have dropped it while idle, which would otherwise be that request's 500.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if "postgresql" in DATABASES["default"]["ENGINE"]:
    # A database that does not answer (a failover, a security group dropping packets) costs a
    # connection attempt 10 s, not the kernel's two minutes: the worker's loop retries on time.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every process (the web workers and the task worker): the rate limits
# live here. Redis when REDIS_URL is set (production: ElastiCache), which counts atomically
# (INCR); else a table in the database (made by `manage.py createcachetable`, which runs
# wherever `migrate` runs), whose increment is a read then a write, so under concurrent
# requests from one client a few may slip past a limit (set REDIS_URL where that matters).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "colorsite",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "colorsite_cache"}}
# Where the rate limits' counters are kept in that cache (gallery.ratelimits).
RATE_LIMIT_CACHE_PREFIX = "rl:"

# Uploads larger than 2.5 MB are spooled to a temporary file here while the request is read.
# A web worker killed mid-upload leaves its file behind; every web process (and the task
# worker, where it shares the machine) deletes those over an hour old every
# GALLERY_SPOOL_SWEEP_SECONDS.
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "upload-tmp")
GALLERY_SPOOL_SWEEP_SECONDS = env.float("GALLERY_SPOOL_SWEEP_SECONDS", default=600.0)
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Files served at the site's root by whitenoise (/favicon.ico, which browsers ask for there).
WHITENOISE_ROOT = BASE_DIR / "colorsite" / "public"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None  # another S3 than AWS's (tests: moto)
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "file_overwrite": False,
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    # Plain files from the finders here; production serves hashed, compressed copies.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The data sets and reference files kept beside the repository (training, evaluation, the
# benchmark and a few tests read them; nothing a server needs).
SHARED_DATA_DIR = Path(env.str("COLORSITE_SHARED_DIR", default=str(BASE_DIR.parent / "shared")))

# --- The colorization engine: every COLORIZE_* setting, here and only here ------------------
COLORIZE_WEIGHTS_DIR = Path(env.str("COLORIZE_WEIGHTS_DIR", default=str(DATA_DIR / "weights")))
COLORIZE_DEFAULT_MODEL = env.str("COLORIZE_DEFAULT_MODEL", default="")
# Copies of the published weight files in the site's own bucket (colorize.weights_mirror): a
# new worker takes them from there; the first to fetch one from the internet puts it there.
# "" for none.
COLORIZE_WEIGHTS_MIRROR = env.str(
    "COLORIZE_WEIGHTS_MIRROR", default=f"s3://{AWS_STORAGE_BUCKET_NAME}/weights" if AWS_STORAGE_BUCKET_NAME else ""
)
COLORIZE_MAX_UPLOAD_BYTES = env.int("COLORIZE_MAX_UPLOAD_BYTES", default=40 * 1024 * 1024)
COLORIZE_MAX_PIXELS = env.int("COLORIZE_MAX_PIXELS", default=50_000_000)
COLORIZE_MAX_HINTS = env.int("COLORIZE_MAX_HINTS", default=64)
# Vividness when a job, the CLI or the API gives none: 0 the most conservative colours, 1 the
# most vivid (each model maps it onto its decoding, colorize.registry; 0.2 is the compact
# model's setting chosen on val/ for fewer loud wrong colours; the result page's "Vivid"
# colouring is 0.5).
COLORIZE_DEFAULT_VIVIDNESS = env.float("COLORIZE_DEFAULT_VIVIDNESS", default=0.2)
# Besides the models on this disk, the site offers those the live workers reported (the web
# tier's disk holds only the bundled one): a worker reports at start-up and every sweep
# (a minute), and counts as alive for GALLERY_WORKER_LIVE_SECONDS after its last report.
COLORIZE_WORKER_MODELS = "gallery.selectors.worker_model_names"
GALLERY_WORKER_LIVE_SECONDS = env.float("GALLERY_WORKER_LIVE_SECONDS", default=300.0)
# Threads for the network (ONNX Runtime's intra-op pool); 0: every CPU the process may use.
COLORIZE_THREADS = env.int("COLORIZE_THREADS", default=0)
# ONNX Runtime's memory arena: keeps the largest run's buffers for the next run (faster);
# false gives them back after every run (less resident memory between jobs).
COLORIZE_MEMORY_ARENA = env.bool("COLORIZE_MEMORY_ARENA", default=True)
# Run a model's int8 graph where `fetch_weights` made one on this machine and it passed its
# self-check against float32 (colorize.int8); false: always float32.
COLORIZE_INT8 = env.bool("COLORIZE_INT8", default=True)

# --- The website: background jobs, reCAPTCHA, the gallery ------------------------------------
# Jobs run through Django's Tasks framework on the ORM backend; `manage.py gallery_worker`
# (scripts/start-worker: started by scripts/run-site next to the web server, and by the
# worker tier in production) runs them.
TASKS = {"default": {"BACKEND": env.str("DJANGO_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# A job still "running" with no heartbeat for GALLERY_JOB_TIMEOUT_SECONDS is taken to have lost
# its worker and is queued again (at most GALLERY_JOB_MAX_ATTEMPTS runs in all).
GALLERY_JOB_TIMEOUT_SECONDS = env.float("GALLERY_JOB_TIMEOUT_SECONDS", default=120.0)
GALLERY_JOB_MAX_ATTEMPTS = env.int("GALLERY_JOB_MAX_ATTEMPTS", default=3)
# A running job writes a heartbeat every GALLERY_HEARTBEAT_SECONDS; one whose heartbeat (or,
# before the first, its start) is older than GALLERY_JOB_TIMEOUT_SECONDS lost its worker.
GALLERY_HEARTBEAT_SECONDS = env.float("GALLERY_HEARTBEAT_SECONDS", default=10.0)
GALLERY_THUMBNAIL_SIZE = env.int("GALLERY_THUMBNAIL_SIZE", default=480)
# The pages show web-sized previews (WebP, long side at most this many pixels) of the original
# and the result; downloads stay at full resolution.
GALLERY_PREVIEW_SIZE = env.int("GALLERY_PREVIEW_SIZE", default=1600)
# Batch upload: at most this many files, and this many bytes in all, in one request (one
# reCAPTCHA, one job per file; the limits below still count every file).
GALLERY_BATCH_MAX_FILES = env.int("GALLERY_BATCH_MAX_FILES", default=20)
GALLERY_BATCH_MAX_BYTES = env.int("GALLERY_BATCH_MAX_BYTES", default=120 * 1024 * 1024)
# ... and at most this many pixels in all (read from each file's header before it is decoded):
# a few kilobytes of PNG can declare 50 megapixels, which cost seconds of CPU to decode and to
# colorize. 0: no limit. The default takes 20 photos of 12 megapixels.
GALLERY_BATCH_MAX_PIXELS = env.int("GALLERY_BATCH_MAX_PIXELS", default=240_000_000)
GALLERY_PAGE_SIZE = env.int("GALLERY_PAGE_SIZE", default=12)

# Abuse limits (gallery.ratelimits). Per client: requests that store a new photo (uploads,
# retries, colour-point and vividness re-runs) as "N/period" ("20/10m": 20 per 10 minutes, in
# a sliding window); an owner's picks of another colouring on a counter of their own; and jobs
# waiting or running at once (picks too); for everyone: jobs waiting or running at once. A batch counts as one request; each of its files as one job; the per-client defaults
# let one full batch through.
GALLERY_RATE_LIMIT = env.str("GALLERY_RATE_LIMIT", default="20/10m")
GALLERY_EDIT_RATE_LIMIT = env.str("GALLERY_EDIT_RATE_LIMIT", default="30/10m")
GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT = env.int("GALLERY_MAX_ACTIVE_JOBS_PER_CLIENT", default=20)
# Per live worker (gallery.status.active_job_limit): the cap grows with the worker tier.
GALLERY_MAX_ACTIVE_JOBS = env.int("GALLERY_MAX_ACTIVE_JOBS", default=100)
# Days the task rows of ended jobs are kept (the worker's sweep deletes older ones).
GALLERY_TASK_RETENTION_DAYS = env.float("GALLERY_TASK_RETENTION_DAYS", default=7.0)
# Retention: a job and its files are deleted this many days after it finished unless it is
# public in the gallery; a failed job sooner. The worker's sweep does it.
GALLERY_RETENTION_DAYS = env.float("GALLERY_RETENTION_DAYS", default=30)
GALLERY_FAILED_RETENTION_DAYS = env.float("GALLERY_FAILED_RETENTION_DAYS", default=7)
# How long a browser may keep a private job's picture (Cache-Control: private; never a shared cache).
GALLERY_PRIVATE_MAX_AGE = env.int("GALLERY_PRIVATE_MAX_AGE", default=31536000)

# --- The REST API (api/, under /api/v1/) -----------------------------------------------------
# Requests per API key, every request that carries one, as "N/period"
# ("120/m"); empty: no limit. Job creation is also held by the queue caps above, counted per key.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/m")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.MultiPartParser", "rest_framework.parsers.FormParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Colorsite API",
    "DESCRIPTION": (
        "Colorize black-and-white photos from other programs. Authenticate with "
        "`Authorization: Bearer KEY` (keys come from `manage.py create_api_key NAME`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # the schema and the docs are public
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to swagger.io's validator: the docs page reaches nothing but this site.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "persistAuthorization": False, "validatorUrl": None},
}


# reCAPTCHA keys come from the environment: "" here when unset. local and test fall back to
# Google's public test keys; production refuses to start without real ones.
# Google's public test keys (every answer passes; django_recaptcha.constants has the same two),
# spelt out: importing django_recaptcha reads the settings, which do not exist yet here.
recaptcha_test_keys = ("6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI", "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe")
RECAPTCHA_PUBLIC_KEY = env_secret("RECAPTCHA_PUBLIC_KEY")
RECAPTCHA_PRIVATE_KEY = env_secret("RECAPTCHA_PRIVATE_KEY")
RECAPTCHA_VERSION = env.str("RECAPTCHA_VERSION", default="v2").strip().lower()  # "v2" or "v3"
RECAPTCHA_REQUIRED_SCORE = env.float("RECAPTCHA_REQUIRED_SCORE", default=0.5)
# Whether the upload form asks "Are you human?". Only a local run may go without it
# (COLORSITE_WITHOUT_RECAPTCHA=true in settings.local, for a machine that cannot reach Google);
# production refuses to start with that variable set.
RECAPTCHA_ENABLED = True
SILENCED_SYSTEM_CHECKS: list[str] = []

# Behind a proxy? Off for a local run; production turns it on, with the HTTPS-only switches
# (secure cookies, the redirect, HSTS), which are production's alone.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    # Behind a TLS-terminating proxy or load balancer (Elastic Beanstalk), trust its header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of gunicorn append the address they saw to X-Forwarded-For (Elastic
# Beanstalk: the load balancer, then nginx: 2). The client is the address the outermost one
# saw; anything further left was written by the client and is ignored. 0: the header is
# ignored, the client is the connection's address (REMOTE_ADDR).
PROXY_HOPS = env.int("DJANGO_PROXY_HOPS", default=2 if BEHIND_PROXY else 0)

# Content-Security-Policy (Django's own middleware): scripts only from this site, Google's
# reCAPTCHA, or an inline <script> carrying the response's nonce; no 'unsafe-inline' for them.
# Inline style attributes stay allowed (the before/after slider's position and reCAPTCHA's
# widget use them).
RECAPTCHA_DOMAIN = env.str("RECAPTCHA_DOMAIN", default="www.google.com")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, f"https://{RECAPTCHA_DOMAIN}/recaptcha/", "https://www.gstatic.com/recaptcha/"],
    "frame-src": [f"https://{RECAPTCHA_DOMAIN}/recaptcha/", "https://recaptcha.google.com/recaptcha/"],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Permissions-Policy (django-permissions-policy): the site uses none of the browser's powerful
# features, so none is allowed, to this site or to any frame (reCAPTCHA's included).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# One line per event, with the request's and the job's ids (colorsite.logs): JSON in production
# (LOG_FORMAT=json, its default there), readable text locally.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(json_lines=LOG_FORMAT == "json", level=env.str("DJANGO_LOG_LEVEL", default="INFO"))
# The worker's metrics to CloudWatch, once a minute (gallery.metrics: names and dimensions).
COLORSITE_METRICS = env.bool("COLORSITE_METRICS", default=False)
COLORSITE_METRICS_NAMESPACE = env.str("COLORSITE_METRICS_NAMESPACE", default="Colorsite")
COLORSITE_ENVIRONMENT = env.str("COLORSITE_ENVIRONMENT", default="local")  # the metrics' Environment
COLORSITE_METRICS_ENDPOINT_URL = env.str("COLORSITE_METRICS_ENDPOINT_URL", default="")  # another server (tests)
# Errors to Sentry when set (colorsite.sentry: tagged with the request and job ids, no personal data).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from colorsite.sentry import sentry_init

    sentry_init(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
