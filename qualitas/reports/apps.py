from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """PDF reports built from the modules' data."""

    name = "qualitas.reports"
    label = "reports"

    def ready(self) -> None:
        from qualitas.core.registry import registry

        registry.url_includes.append(("reports/", "qualitas.reports.urls"))
