from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "bascule.organisation"
    label = "organisation"
    verbose_name = "Référentiel d'organisation"

    def ready(self) -> None:
        from bascule.core import registry
        from bascule.core.access import can_write_somewhere
        from bascule.organisation import (
            importers,  # noqa: F401 - registers the importers
            selectors,
        )
        from bascule.organisation.grants import may_see_grant_log

        registry.register_assignment_source(selectors.active_role_paths)
        registry.register_user_ability("organisation.add_structure", can_write_somewhere)
        registry.register_user_ability("organisation.add_person", can_write_somewhere)
        registry.register_user_ability("organisation.import", can_write_somewhere)
        registry.register_user_ability("organisation.grant_log", may_see_grant_log)
        registry.register_user_ability(
            "organisation.add_root_structure", may_see_grant_log
        )  # national steering
        registry.register_user_ability("organisation.manage_roles", may_see_grant_log)  # national steering
        registry.register_navigation(
            registry.NavEntry("organisation:structure_tree", "Structures", "/organisation/structures", 10)
        )
        registry.register_navigation(
            registry.NavEntry("organisation:person_list", "Personnes", "/organisation/personnes", 20)
        )
        registry.register_navigation(
            registry.NavEntry(
                "organisation:import", "Imports", "/organisation/import", 90, "organisation.import"
            )
        )
        registry.register_navigation(
            registry.NavEntry("organisation:service_link_list", "Liens de service", "/organisation/liens", 25)
        )
        registry.register_navigation(
            registry.NavEntry("organisation:role_list", "Rôles", "/organisation/roles", 94)
        )
        registry.register_navigation(
            registry.NavEntry(
                "organisation:grant_log",
                "Droits attribués",
                "/organisation/droits",
                95,
                "organisation.grant_log",
            )
        )
        registry.register_home_panel(
            registry.Panel(
                "organisation/includes/home_panel.html", lambda user: selectors.home_summary(user=user), 10
            )
        )
        registry.register_account_panel(
            registry.Panel(
                "organisation/includes/account_panel.html",
                lambda user: selectors.account_summary(user=user),
                10,
            )
        )
