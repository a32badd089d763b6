from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bascule.core"
    label = "core"
    verbose_name = "Socle commun"
