"""Settings shared by every run of the site. Everything a deployment changes is read from the
environment here, with django-environ; ``local``, ``test`` and ``production`` add only what
differs between those runs (the secret key, static files, reCAPTCHA test keys, HTTPS)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()


def env_secret(name):
    """A secret exactly as it is set ("" when unset). django-environ reads a value that starts
    with "$" as the name of another variable, and a random key may well start with one."""
    return env.ENVIRON.get(name, "")


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
    "colorize",
    "gallery",
]

MIDDLEWARE = [
    # First: answers the load balancer's /healthz itself, before the host check and the HTTPS
    # redirect (the health checker asks with the instance's private IP, over plain HTTP).
    "colorsite.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
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

# --- The colorization engine: every COLORIZE_* setting, here and only here ------------------
COLORIZE_WEIGHTS_DIR = Path(env.str("COLORIZE_WEIGHTS_DIR", default=str(DATA_DIR / "weights")))
COLORIZE_DEFAULT_MODEL = env.str("COLORIZE_DEFAULT_MODEL", default="")
COLORIZE_MAX_UPLOAD_BYTES = env.int("COLORIZE_MAX_UPLOAD_BYTES", default=40 * 1024 * 1024)
COLORIZE_MAX_PIXELS = env.int("COLORIZE_MAX_PIXELS", default=50_000_000)
COLORIZE_MAX_HINTS = env.int("COLORIZE_MAX_HINTS", default=64)
# Vividness when a job, the CLI or the API gives none: 0 the most conservative colours, 1 the
# most vivid (each model maps it onto its decoding, colorize.registry; 0.5 is the compact
# model's setting chosen on val/).
COLORIZE_DEFAULT_VIVIDNESS = env.float("COLORIZE_DEFAULT_VIVIDNESS", default=0.5)
# Threads for the network (ONNX Runtime's intra-op pool); 0: every CPU the process may use.
COLORIZE_THREADS = env.int("COLORIZE_THREADS", default=0)
# ONNX Runtime's memory arena: keeps the largest run's buffers for the next run (faster);
# false gives them back after every run (less resident memory between jobs).
COLORIZE_MEMORY_ARENA = env.bool("COLORIZE_MEMORY_ARENA", default=True)

# --- The website: background jobs, reCAPTCHA, the gallery ------------------------------------
# Jobs run through Django's Tasks framework on the ORM backend; `manage.py gallery_worker`
# (scripts/start-worker: started by scripts/run-site next to the web server, and by the
# worker tier in production) runs them.
TASKS = {"default": {"BACKEND": env.str("DJANGO_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# A job still "running" this long after it started is taken to have lost its worker and is
# queued again (at most GALLERY_JOB_MAX_ATTEMPTS runs in all).
GALLERY_JOB_TIMEOUT_SECONDS = env.int("GALLERY_JOB_TIMEOUT_SECONDS", default=600)
GALLERY_JOB_MAX_ATTEMPTS = env.int("GALLERY_JOB_MAX_ATTEMPTS", default=3)
GALLERY_THUMBNAIL_SIZE = env.int("GALLERY_THUMBNAIL_SIZE", default=480)
GALLERY_PAGE_SIZE = env.int("GALLERY_PAGE_SIZE", default=12)

# reCAPTCHA keys come from the environment: "" here when unset. local and test fall back to
# Google's public test keys; production refuses to start without real ones.
# Google's public test keys (every answer passes; django_recaptcha.constants has the same two),
# spelt out: importing django_recaptcha reads the settings, which do not exist yet here.
recaptcha_test_keys = ("6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI", "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe")
RECAPTCHA_PUBLIC_KEY = env_secret("RECAPTCHA_PUBLIC_KEY")
RECAPTCHA_PRIVATE_KEY = env_secret("RECAPTCHA_PRIVATE_KEY")
RECAPTCHA_VERSION = env.str("RECAPTCHA_VERSION", default="v2").strip().lower()  # "v2" or "v3"
RECAPTCHA_REQUIRED_SCORE = env.float("RECAPTCHA_REQUIRED_SCORE", default=0.5)
SILENCED_SYSTEM_CHECKS = []

# HTTPS switches, off by default for a local run; production turns them on.
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    # Behind a TLS-terminating proxy or load balancer (Elastic Beanstalk), trust its header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
