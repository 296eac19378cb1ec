"""Elastic Beanstalk (DJANGO_SETTINGS_MODULE=colorsite.settings.production, set by
.ebextensions/01-colorsite.config), both tiers. Fails closed: a missing secret, Google's test
reCAPTCHA keys or a missing database stop the process with ImproperlyConfigured naming the
variable, rather than run an insecure or SQLite site. Behind the load balancer's HTTPS by
default; `manage.py check --deploy` then warns only about HSTS preload (security.W021)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import RECAPTCHA_PRIVATE_KEY, RECAPTCHA_PUBLIC_KEY, env, env_secret, recaptcha_test_keys


def required(name, value, why="production needs it"):
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable: {why}.")
    return value


DEBUG = False
SECRET_KEY = required("DJANGO_SECRET_KEY", env_secret("DJANGO_SECRET_KEY"), "a long random key, kept secret")
required("DATABASE_URL", env.str("DATABASE_URL", default=""), "production never falls back to SQLite")
required(
    "AWS_STORAGE_BUCKET_NAME",
    env.str("AWS_STORAGE_BUCKET_NAME", default=""),
    "the web and worker tiers share uploads and results through S3",
)
ALLOWED_HOSTS = required(
    "DJANGO_ALLOWED_HOSTS",
    env.list("DJANGO_ALLOWED_HOSTS", cast=str.strip, default=[]),
    "the site's host names, comma-separated (e.g. colorsite.example.org,.elasticbeanstalk.com)",
)
for _name, _value, _test_key in zip(
    ("RECAPTCHA_PUBLIC_KEY", "RECAPTCHA_PRIVATE_KEY"),
    (RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY),
    recaptcha_test_keys,
):
    required(_name, _value, "the site's own reCAPTCHA keys")
    if _value == _test_key:
        raise ImproperlyConfigured(
            f"{_name} is Google's public test key, with which every answer passes; set the site's own key."
        )

# HTTPS ends at Elastic Beanstalk's load balancer, which says so in X-Forwarded-Proto.
if env.bool("DJANGO_BEHIND_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
# The load balancer's health checker asks over plain HTTP (colorsite.health's middleware
# answers /healthz before any redirect anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# SECURE_HSTS_PRELOAD stays off (check --deploy's security.W021): preloading is a commitment
# for the whole domain that its owner makes, not a default.

# Hashed, compressed copies made by collectstatic at deploy time, cached forever by browsers.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
