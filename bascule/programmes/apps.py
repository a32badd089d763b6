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
            setup,  # noqa: F401 - registers the workstream milestones as what moves with a wave
            sheets,  # noqa: F401 - registers the « fiche chantier » handler
        )

        registry.register_user_ability(
            "programmes.import_actions", lambda user: bool(selectors.importable_programmes(user=user))
        )
        registry.register_user_ability("programmes.add_action", can_write_somewhere)
        # A programme is owned by a structure its creator edits (asked again on that structure).
        registry.register_user_ability("programmes.add_programme", can_write_somewhere)

        registry.register_navigation(
            registry.NavEntry("programmes:programme_list", "Programmes", "/programmes", 30)
        )
        registry.register_home_panel(
            registry.Panel(
                "programmes/includes/home_panel.html", lambda user: selectors.steering_summary(user=user), 7
            )
        )
