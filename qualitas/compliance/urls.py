from django.urls import path

from qualitas.compliance import check_views, coverage_views, mapping_views, soa_views, views

app_name = "compliance"

urlpatterns = [
    path("frameworks/", views.FrameworkListView.as_view(), name="frameworks"),
    path("frameworks/import/", views.import_framework, name="import"),
    path("frameworks/<str:key>/", views.framework_detail, name="framework"),
    path("requirements/", views.RequirementListView.as_view(), name="requirements"),
    path("requirements/<int:pk>/", coverage_views.requirement_detail, name="requirement"),
    path("requirements/<int:pk>/evidence/", coverage_views.add_evidence, name="evidence_add"),
    path("requirements/<int:pk>/mappings/", mapping_views.add, name="mapping_add"),
    path(
        "requirements/<int:pk>/mappings/<int:mapping_pk>/remove/",
        mapping_views.remove,
        name="mapping_remove",
    ),
    path(
        "requirements/<int:pk>/evidence/<int:evidence_pk>/remove/",
        coverage_views.remove_evidence,
        name="evidence_remove",
    ),
    path(
        "requirements/<int:pk>/applicability/<int:scope_pk>/",
        coverage_views.set_applicability,
        name="applicability",
    ),
    path("scopes/", coverage_views.ScopeListView.as_view(), name="scopes"),
    path("scopes/new/", coverage_views.ScopeCreateView.as_view(), name="scope_create"),
    path("scopes/<int:pk>/coverage/", coverage_views.coverage_view, name="coverage"),
    path("scopes/<int:pk>/soa/prepare/", soa_views.prepare, name="soa_prepare"),
    path("soa/<int:pk>/", soa_views.soa_detail, name="soa"),
    path("soa/<int:pk>/refresh/", soa_views.refresh, name="soa_refresh"),
    path("checks/", check_views.CheckListView.as_view(), name="checks"),
    path("checks/new/", check_views.create_check, name="check_create"),
    path(
        "checks/new-query/",
        check_views.create_check,
        {"configured": True},
        name="check_create_query",
    ),
    path("checks/<slug:key>/", check_views.check_detail, name="check"),
    path("checks/<slug:key>/run/", check_views.run_check, name="check_run"),
]
