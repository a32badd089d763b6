from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "bascule.indicators"
    label = "indicators"
    verbose_name = "Indicateurs"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere
        from bascule.indicators import programme_parts, selectors

        programme_parts.register()
        from bascule.programmes.selectors import piloted_programmes

        registry.register_user_ability(
            "indicators.add_indicator", lambda user: bool(piloted_programmes(user=user))
        )
        registry.register_user_ability("indicators.add_measurement", can_write_somewhere)
        registry.register_home_panel(
            registry.Panel(
                "indicators/home_panel.html", lambda user: selectors.off_target_panel(user=user), 8
            )
        )
        registry.register_navigation(
            registry.NavEntry("indicators:indicator_list", "Indicateurs", "/indicateurs", 45)
        )
