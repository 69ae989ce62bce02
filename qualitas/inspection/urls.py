"""Inspection pages beyond the generic record ones."""

from django.urls import URLPattern, URLResolver, path

from qualitas.inspection import parts_views, upload_views, views

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
]
