from django.apps import AppConfig


class CommitteesConfig(AppConfig):
    name = "bascule.committees"
    label = "committees"
    verbose_name = "Comités"

    def ready(self) -> None:
        from datetime import timedelta

        from bascule.committees import (
            digest,
            selectors,
            services,
            tasks,  # noqa: F401 - registers the committee report handler
        )
        from bascule.core import registry
        from bascule.programmes.selectors import piloted_programmes

        registry.register_user_ability(
            "committees.add_meeting", lambda user: bool(selectors.meeting_scopes(user=user)[1])
        )
        registry.register_user_ability(
            "committees.add_campaign", lambda user: bool(piloted_programmes(user=user))
        )
        registry.register_navigation(registry.NavEntry("committees:meeting_list", "Comités", "/comites", 40))
        registry.register_home_panel(
            registry.Panel(
                "committees/includes/home_panel.html",
                lambda user: selectors.requests_panel(user=user),
                5,  # what is asked of the user comes first
            )
        )
        registry.register_periodic(
            registry.PeriodicJob(
                "committees.campaign_reminders",
                timedelta(hours=1),
                lambda: services.campaign_send_reminders(),
            )
        )
        registry.register_periodic(
            registry.PeriodicJob(
                "committees.daily_digest", timedelta(days=1), lambda: digest.send_daily_digests(), hour=7
            )
        )
