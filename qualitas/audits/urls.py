"""The audits module's pages under /audits/: each part's own URLconf, one namespace."""

from django.urls import include, path

app_name = "audits"

urlpatterns = [
    path("", include("qualitas.audits.audit_urls")),
    path("checklists/", include("qualitas.audits.checklist_urls")),
    path("findings/", include("qualitas.audits.finding_urls")),
    path("programmes/", include("qualitas.audits.programme_urls")),
]
