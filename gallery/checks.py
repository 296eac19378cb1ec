"""System checks: a limit the site cannot read stops every command (and the deploy) at start-up,
rather than failing the first request that needs it."""

from django.conf import settings
from django.core.checks import Error, register

from gallery.ratelimits import parse_rate


@register()
def rate_limits_check(app_configs, **kwargs):
    errors = []
    for name in ("GALLERY_RATE_LIMIT", "GALLERY_EDIT_RATE_LIMIT", "API_RATE_LIMIT"):
        try:
            parse_rate(getattr(settings, name))
        except ValueError as error:
            errors.append(
                Error(f"{name}: {error}", hint='Write it as "20/10m" (N per period; s, m, h or d).', id="gallery.E001")
            )
    return errors
