from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "bascule.organisation"
    label = "organisation"
    verbose_name = "Référentiel d'organisation"

    def ready(self) -> None:
        from bascule.organisation import importers  # noqa: F401 - registers the importers
