from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "bascule.programmes"
    label = "programmes"
    verbose_name = "Pilotage des programmes"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.programmes import importers  # noqa: F401 - registers the action plan importer

        registry.register_navigation(
            registry.NavEntry("programmes:programme_list", "Programmes", "/programmes", 30)
        )
