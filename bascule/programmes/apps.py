from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "bascule.programmes"
    label = "programmes"
    verbose_name = "Pilotage des programmes"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere
        from bascule.programmes import (
            importers,  # noqa: F401 - registers the action plan importer
            selectors,
        )

        registry.register_user_ability(
            "programmes.import_actions", lambda user: bool(selectors.importable_programmes(user=user))
        )
        registry.register_user_ability("programmes.add_action", can_write_somewhere)

        registry.register_navigation(
            registry.NavEntry("programmes:programme_list", "Programmes", "/programmes", 30)
        )
