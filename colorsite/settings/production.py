"""Elastic Beanstalk (DJANGO_SETTINGS_MODULE=colorsite.settings.production, set by
.ebextensions/01-colorsite.config), both tiers. Fails closed: a missing secret, Google's test
reCAPTCHA keys or a missing database stop the process with ImproperlyConfigured naming the
variable, rather than run an insecure or SQLite site. Behind the load balancer's HTTPS by
default; `manage.py check --deploy` then warns only about HSTS preload (security.W021)."""

from django.core.exceptions import ImproperlyConfigured

from colorsite.logs import logging_config

from .base import *  # noqa: F403
from .base import RECAPTCHA_PRIVATE_KEY, RECAPTCHA_PUBLIC_KEY, TEST_SECRET_KEY, env, env_secret, recaptcha_test_keys


def required(name, value, why="production needs it"):
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable: {why}.")
    return value


DEBUG = False
LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # one JSON object per line, for CloudWatch Logs
LOGGING = logging_config(json_lines=LOG_FORMAT == "json", level=env.str("DJANGO_LOG_LEVEL", default="INFO"))
SECRET_KEY = required("DJANGO_SECRET_KEY", env_secret("DJANGO_SECRET_KEY"), "a long random key, kept secret")
if SECRET_KEY == TEST_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the test suite's key (colorsite.settings.test), which anyone can read in the "
        "repository; set a long random key of the site's own."
    )
required("DATABASE_URL", env.str("DATABASE_URL", default=""), "production never falls back to SQLite")
required(
    "AWS_STORAGE_BUCKET_NAME",
    env.str("AWS_STORAGE_BUCKET_NAME", default=""),
    "the web and worker tiers share uploads and results through S3",
)
ALLOWED_HOSTS = required(
    "DJANGO_ALLOWED_HOSTS",
    env.list("DJANGO_ALLOWED_HOSTS", cast=str.strip, default=[]),
    "the site's host names, comma-separated (e.g. colorsite.example.org,colorsite-web.eu-west-1.elasticbeanstalk.com)",
)


# Suffixes under which anyone can have a site (a few of the public suffix list's, the likely
# mistakes; a single label such as "com" is refused anyway).
SHARED_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "com.au",
        "co.jp",
        "com.br",
        "co.nz",
        "co.in",
        "github.io",
        "herokuapp.com",
        "cloudfront.net",
        "azurewebsites.net",
        "appspot.com",
        "vercel.app",
        "netlify.app",
        "pages.dev",
        "onrender.com",
        "fly.dev",
    }
)


def trusts_a_shared_domain(host: str) -> bool:
    """``*``, or a wildcard that matches other people's sites: every Elastic Beanstalk
    environment (``.elasticbeanstalk.com``, ``.eu-west-1.elasticbeanstalk.com``) or anything
    under ``amazonaws.com``. Pages build absolute links (og:url, the API's job URLs) from the
    Host header, so a host anyone can name must not pass."""
    if host == "*":
        return True
    if not host.startswith("."):
        return False
    domain = host.lower().strip(".")
    if "." not in domain or domain in SHARED_SUFFIXES:
        return True  # ".com", ".co.uk", ".github.io": everyone's sites under one suffix
    beanstalk = domain == "elasticbeanstalk.com" or (
        domain.endswith(".elasticbeanstalk.com") and domain.count(".") == 2
    )
    return beanstalk or domain == "amazonaws.com" or domain.endswith(".amazonaws.com")


for _host in ALLOWED_HOSTS:
    if trusts_a_shared_domain(_host):
        raise ImproperlyConfigured(
            f"DJANGO_ALLOWED_HOSTS has {_host!r}, which also matches other people's sites; name this "
            "site's own hosts (its domain, its environment's CNAME such as colorsite-web.eu-west-1.elasticbeanstalk.com)."
        )
for _name, _value, _test_key in zip(
    ("RECAPTCHA_PUBLIC_KEY", "RECAPTCHA_PRIVATE_KEY"),
    (RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY),
    recaptcha_test_keys,
    strict=False,
):
    required(_name, _value, "the site's own reCAPTCHA keys")
    if _value == _test_key:
        raise ImproperlyConfigured(
            f"{_name} is Google's public test key, with which every answer passes; set the site's own key."
        )

if env.bool("COLORSITE_WITHOUT_RECAPTCHA", default=False):
    raise ImproperlyConfigured(
        "COLORSITE_WITHOUT_RECAPTCHA is for a local run that cannot reach Google; production keeps the reCAPTCHA check."
    )

# HTTPS ends at Elastic Beanstalk's load balancer, which says so in X-Forwarded-Proto.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=True)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer and nginx each append to X-Forwarded-For (see base.PROXY_HOPS).
PROXY_HOPS = env.int("DJANGO_PROXY_HOPS", default=2 if BEHIND_PROXY else 0)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
if SESSION_COOKIE_SECURE:
    # The __Host- prefix: the browser takes these cookies only from this host over HTTPS, never
    # from a sibling subdomain, so nobody can plant a session (and with it a "My photos" list).
    SESSION_COOKIE_NAME, CSRF_COOKIE_NAME = "__Host-sessionid", "__Host-csrftoken"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
# The load balancer's health checker asks over plain HTTP (colorsite.health's middleware
# answers /healthz before any redirect anyway).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# SECURE_HSTS_PRELOAD stays off (check --deploy's security.W021): preloading is a commitment
# for the whole domain that its owner makes, not a default.

# Hashed, compressed copies made by collectstatic at deploy time, cached forever by browsers.
# Inside the release (Elastic Beanstalk runs collectstatic in /var/app/staging, which then
# becomes /var/app/current), where the proxy's /static mapping points (.ebextensions).
STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
