from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "bascule.assistance"
    label = "assistance"
    verbose_name = "Assistance"

    def ready(self) -> None:
        from datetime import timedelta

        from bascule.assistance import operations, programme_parts, selectors, tasks

        programme_parts.register()
        from bascule.assistance.models import writes_articles
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere

        registry.register_user_ability("assistance.intake", selectors.can_take_calls)
        registry.register_user_ability("assistance.add_anomaly", selectors.files_anomalies)
        registry.register_user_ability("assistance.add_mailbox", can_write_somewhere)
        registry.register_user_ability("assistance.write_articles", writes_articles)
        registry.register_home_panel(
            registry.Panel("assistance/home_panel.html", lambda user: selectors.home(user=user), 12)
        )
        registry.register_navigation(
            registry.NavEntry("assistance:ticket_list", "Assistance", "/assistance", 58)
        )
        registry.register_periodic(
            registry.PeriodicJob("assistance.deadlines", timedelta(minutes=5), operations.deadlines_watch)
        )
        registry.register_periodic(
            registry.PeriodicJob("assistance.fetch_mail", timedelta(minutes=2), tasks.fetch_all_mailboxes)
        )
