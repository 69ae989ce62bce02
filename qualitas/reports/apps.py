from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """PDF reports built from the modules' data."""

    name = "qualitas.reports"
    label = "reports"

    def ready(self) -> None:
        from qualitas.core.registry import RecordDocument, registry

        registry.url_includes.append(("reports/", "qualitas.reports.urls"))
        registry.record_documents.append(RecordDocument("capa", "8D report", "reports:capa_8d"))
