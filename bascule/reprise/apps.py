from django.apps import AppConfig


class RepriseConfig(AppConfig):
    name = "bascule.reprise"
    label = "reprise"
    verbose_name = "Reprise des données"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere
        from bascule.reprise import selectors, tasks  # noqa: F401 - handlers register

        # Any structure the user edits can hold a run or a header mapping (the service checks which one).
        registry.register_user_ability("reprise.add_run", can_write_somewhere)
        registry.register_user_ability("reprise.add_mapping", can_write_somewhere)
        registry.register_home_panel(
            registry.Panel("reprise/home_panel.html", lambda user: selectors.home(user=user), 11)
        )
        registry.register_navigation(
            registry.NavEntry("reprise:run_list", "Reprise des données", "/reprise", 55)
        )
