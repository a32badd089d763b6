from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "bascule.surveys"
    label = "surveys"
    verbose_name = "Enquêtes"

    def ready(self) -> None:
        from datetime import timedelta

        from bascule.core import registry
        from bascule.programmes.selectors import piloted_programmes
        from bascule.surveys import importers, selectors, services, tasks  # noqa: F401 - importers, handlers register

        registry.register_user_ability(
            "surveys.add_questionnaire", lambda user: bool(piloted_programmes(user=user))
        )
        registry.register_navigation(registry.NavEntry("surveys:survey_list", "Enquêtes", "/enquetes", 55))
        registry.register_home_panel(
            registry.Panel("surveys/home_panel.html", lambda user: selectors.surveys_home(user=user), 6)
        )
        registry.register_periodic(
            registry.PeriodicJob(
                "surveys.calendar", timedelta(days=1), lambda: services.surveys_follow_calendar(), hour=8
            )
        )
