"""A run on one's own machine (`make run`, `manage.py runserver`, the CLI): needs no
configuration at all."""

import os
import tempfile

from django.core.management.utils import get_random_secret_key

from .base import *  # noqa: F403
from .base import (
    DATA_DIR,
    DEBUG,
    INSTALLED_APPS,
    RECAPTCHA_PRIVATE_KEY,
    RECAPTCHA_PUBLIC_KEY,
    SILENCED_SYSTEM_CHECKS,
    STATIC_ROOT,
    env,
    env_secret,
    recaptcha_test_keys,
)


def local_secret_key(path):
    """The key kept in ``path``; made (random, mode 0600) by the first process that asks."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(get_random_secret_key() + "\n")
            os.link(temporary, path)  # atomic, and never replaces a key another process made
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or local_secret_key(DATA_DIR / "secret-key")

# COLORSITE_WITHOUT_RECAPTCHA=true: no "Are you human?" on the upload form, for a machine that
# cannot reach Google (offline, a closed network). Never in production, which refuses it.
RECAPTCHA_ENABLED = not env.bool("COLORSITE_WITHOUT_RECAPTCHA", default=False)

# Without keys in the environment, Google's public test keys (every answer passes), and the
# one system check about them is silenced.
if not (RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY):
    RECAPTCHA_PUBLIC_KEY, RECAPTCHA_PRIVATE_KEY = recaptcha_test_keys
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_recaptcha.recaptcha_test_key_error"]

# Static files straight from the app and project folders, with or without DEBUG and without
# collectstatic (runserver and gunicorn alike); picked up as they change when DEBUG is on.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns at start-up when it is missing

# Development's commands (training, evaluation): never in production, which installs no PyTorch.
INSTALLED_APPS = [*INSTALLED_APPS, "research"]
