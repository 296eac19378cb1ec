"""Settings for the whole site. Everything a deployment changes is read from the environment here."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or ("insecure-dev-key-only" if DEBUG else None)
if SECRET_KEY is None:
    # A stable local key for a newcomer's single run command; production must set its own.
    SECRET_KEY = "insecure-local-key-set-DJANGO_SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

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

# Where the site keeps what it writes: the SQLite database, local media, downloaded weights.
DATA_DIR = Path(os.environ.get("COLORSITE_DATA_DIR", BASE_DIR / "var"))

if "DATABASE_URL" not in os.environ:
    # The default SQLite file needs its folder before any command (even `colorize`) runs the checks.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", DATA_DIR / "media"))

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "file_overwrite": False,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True),
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- The colorization engine -------------------------------------------------------------
COLORIZE_WEIGHTS_DIR = Path(os.environ.get("COLORIZE_WEIGHTS_DIR", DATA_DIR / "weights"))
COLORIZE_DEFAULT_MODEL = os.environ.get("COLORIZE_DEFAULT_MODEL", "")
COLORIZE_MAX_UPLOAD_BYTES = int(os.environ.get("COLORIZE_MAX_UPLOAD_BYTES", 40 * 1024 * 1024))
COLORIZE_MAX_PIXELS = int(os.environ.get("COLORIZE_MAX_PIXELS", 50_000_000))
COLORIZE_MAX_HINTS = int(os.environ.get("COLORIZE_MAX_HINTS", 64))
# Threads for the network (ONNX Runtime's intra-op pool); 0: every CPU the process may use.
COLORIZE_THREADS = int(os.environ.get("COLORIZE_THREADS", 0))
# ONNX Runtime's memory arena: keeps the largest run's buffers for the next run (faster);
# false gives them back after every run (less resident memory between jobs).
COLORIZE_MEMORY_ARENA = env_bool("COLORIZE_MEMORY_ARENA", True)

# --- The website: background jobs, reCAPTCHA, the gallery ------------------------------------
# Jobs run through Django's Tasks framework on the ORM backend; `manage.py gallery_worker`
# (started by scripts/run-site next to the web server) runs them.
TASKS = {"default": {"BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# A job still "running" this long after it started is taken to have lost its worker and is
# queued again (at most GALLERY_JOB_MAX_ATTEMPTS runs in all).
GALLERY_JOB_TIMEOUT_SECONDS = int(os.environ.get("GALLERY_JOB_TIMEOUT_SECONDS", 600))
GALLERY_JOB_MAX_ATTEMPTS = int(os.environ.get("GALLERY_JOB_MAX_ATTEMPTS", 3))
GALLERY_THUMBNAIL_SIZE = int(os.environ.get("GALLERY_THUMBNAIL_SIZE", 480))
GALLERY_PAGE_SIZE = int(os.environ.get("GALLERY_PAGE_SIZE", 12))

# reCAPTCHA keys come from the environment. Without them the site runs on Google's public test
# keys (every answer passes) and the one system check that warns about them is silenced.
RECAPTCHA_PUBLIC_KEY = os.environ.get("RECAPTCHA_PUBLIC_KEY", "")
RECAPTCHA_PRIVATE_KEY = os.environ.get("RECAPTCHA_PRIVATE_KEY", "")
RECAPTCHA_VERSION = os.environ.get("RECAPTCHA_VERSION", "v2").strip().lower()  # "v2" or "v3"
RECAPTCHA_REQUIRED_SCORE = float(os.environ.get("RECAPTCHA_REQUIRED_SCORE", 0.5))
SILENCED_SYSTEM_CHECKS = []
if not (RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY):
    from django_recaptcha.constants import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY

    RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY = TEST_PUBLIC_KEY, TEST_PRIVATE_KEY
    SILENCED_SYSTEM_CHECKS.append("django_recaptcha.recaptcha_test_key_error")

# Behind a TLS-terminating proxy or load balancer (Elastic Beanstalk), trust its header.
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 0))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
