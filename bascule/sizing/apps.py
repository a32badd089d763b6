from django.apps import AppConfig


class SizingConfig(AppConfig):
    name = "bascule.sizing"
    label = "sizing"
    verbose_name = "Dimensionnement"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.programmes.selectors import piloted_programmes
        from bascule.sizing import importers, programme_parts, selectors, tasks  # noqa: F401 - importers and handlers register

        programme_parts.register()

        registry.register_user_ability("sizing.add_sizing", lambda user: bool(piloted_programmes(user=user)))
        registry.register_home_panel(
            registry.Panel("sizing/home_panel.html", lambda user: selectors.sizing_home(user=user), 9)
        )
        registry.register_navigation(
            registry.NavEntry("sizing:sizing_list", "Dimensionnement", "/dimensionnement", 50)
        )
