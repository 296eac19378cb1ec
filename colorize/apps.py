from django.apps import AppConfig


class ColorizeConfig(AppConfig):
    name = "colorize"
    verbose_name = "Colorization engine"
