"""Inspection pages beyond the generic record ones."""

from django.urls import URLPattern, URLResolver, path

from qualitas.inspection import (
    alarms_views,
    certificate,
    gagestudies_views,
    gauges_views,
    live_views,
    parts_views,
    upload_views,
    views,
)

app_name = "inspection"

urlpatterns: list[URLPattern | URLResolver] = [
    path("parts/", parts_views.PartListView.as_view(), name="part_list"),
    path("parts/new/", parts_views.PartCreateView.as_view(), name="part_create"),
    path("parts/<int:pk>/", parts_views.part_detail, name="part_detail"),
    path("parts/<int:pk>/edit/", parts_views.PartEditView.as_view(), name="part_edit"),
    path(
        "parts/<int:pk>/revisions/new/",
        parts_views.RevisionCreateView.as_view(),
        name="revision_create",
    ),
    path(
        "parts/<int:pk>/revisions/<int:part_revision_pk>/current/",
        parts_views.revision_make_current,
        name="revision_make_current",
    ),
    path(
        "parts/revisions/<int:pk>/characteristics/new/",
        parts_views.CharacteristicCreateView.as_view(),
        name="characteristic_create",
    ),
    path(
        "parts/characteristics/<int:pk>/edit/",
        parts_views.CharacteristicEditView.as_view(),
        name="characteristic_edit",
    ),
    path("plans/<int:pk>/items/", views.plan_item, name="plan_item"),
    path("plans/<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("lots/<int:pk>/measurements/", views.lot_measurements, name="lot_measurements"),
    path("lots/<int:pk>/upload/", upload_views.lot_upload, name="lot_upload"),
    path("switching/", views.switching, name="switching"),
    path("lots/<int:pk>/certificate.pdf", certificate.certificate_view, name="lot_certificate"),
    path("gage-studies/", gagestudies_views.GageStudyListView.as_view(), name="gagestudy_list"),
    path(
        "gage-studies/new/",
        gagestudies_views.GageStudyCreateView.as_view(),
        name="gagestudy_create",
    ),
    path("gage-studies/<int:pk>/spc/", gagestudies_views.gagestudy_spc, name="gagestudy_spc"),
    path(
        "characteristics/<int:pk>/",
        live_views.characteristic_chart,
        name="characteristic_chart",
    ),
    path("alarms/", alarms_views.AlarmListView.as_view(), name="alarm_list"),
    path("alarms/<int:pk>/acknowledge/", alarms_views.alarm_acknowledge, name="alarm_acknowledge"),
    path("alarms/<int:pk>/close/", alarms_views.alarm_close, name="alarm_close"),
    path("gauges/", gauges_views.GaugeListView.as_view(), name="gauge_list"),
    path("gauges/new/", gauges_views.GaugeCreateView.as_view(), name="gauge_create"),
    path("gauges/<int:pk>/", gauges_views.gauge_detail, name="gauge_detail"),
    path("gauges/<int:pk>/edit/", gauges_views.GaugeEditView.as_view(), name="gauge_edit"),
    path("gauges/<int:pk>/status/", gauges_views.GaugeStatusView.as_view(), name="gauge_status"),
]
