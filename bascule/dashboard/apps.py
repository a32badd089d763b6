from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "bascule.dashboard"
    label = "dashboard"
    verbose_name = "Tableau de bord"

    def ready(self) -> None:
        from bascule.core import registry

        registry.register_navigation(
            registry.NavEntry("dashboard:dashboard", "Tableau de bord", "/tableau-de-bord", 25)
        )
