from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "bascule.training"
    label = "training"
    verbose_name = "Formation"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.training import importers, selectors, tasks  # noqa: F401 - register the importer and the handler

        registry.register_navigation(registry.NavEntry("training:plan_list", "Formation", "/formation", 57))
        registry.register_home_panel(
            registry.Panel("training/home_panel.html", lambda user: selectors.training_home(user=user), 10)
        )
