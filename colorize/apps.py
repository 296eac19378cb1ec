from django.apps import AppConfig
from django.core import checks


class ColorizeConfig(AppConfig):
    name = "colorize"
    verbose_name = "Colorization engine"

    def ready(self) -> None:
        from colorize.site import settings_check

        checks.register(settings_check)
