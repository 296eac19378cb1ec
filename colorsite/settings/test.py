"""The test suite's settings (pytest.ini): fixed keys, fast passwords, no configuration."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, SILENCED_SYSTEM_CHECKS, STATIC_ROOT, TEST_SECRET_KEY, recaptcha_test_keys

SECRET_KEY = TEST_SECRET_KEY
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Google's public test keys whatever the shell has; the tests replace reCAPTCHA's one network call.
RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY = recaptcha_test_keys
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_recaptcha.recaptcha_test_key_error"]

# The database cache whatever the shell has (REDIS_URL), so the suite never writes to a real
# Redis by accident; the rate-limit tests that use Redis say so themselves.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "colorsite_cache"}}

# The live server serves the static files from the finders: the tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing

# Development's commands (training, evaluation): never in production, which installs no PyTorch.
INSTALLED_APPS = [*INSTALLED_APPS, "research"]

# fetch_weights would make and check an int8 graph for every test's weights (a minute for
# SIGGRAPH17): the int8 tests switch it on themselves.
COLORIZE_INT8 = False
