from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "bascule.training"
    label = "training"
    verbose_name = "Formation"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere
        from bascule.training import importers, programme_parts, selectors, tasks  # noqa: F401 - register the importer and the handler

        programme_parts.register()
        # A plan is a region's: whoever edits a structure may start one (the service checks the region).
        registry.register_user_ability("training.add_plan", can_write_somewhere)
        registry.register_navigation(registry.NavEntry("training:plan_list", "Formation", "/formation", 57))
        registry.register_home_panel(
            registry.Panel("training/home_panel.html", lambda user: selectors.training_home(user=user), 10)
        )
