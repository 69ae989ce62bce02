"""The calibration record's own create and edit pages, mounted at the record type's paths
(/calibrations/new/, /calibrations/<id>/edit/) before the generic ones: the readings are a
table of calibration points there, not a JSON text box. The list, detail and transition
pages stay the generic ones."""

from django.urls import URLPattern, path

from qualitas.inspection import gauges_views

app_name = "calibrations"

urlpatterns: list[URLPattern] = [
    path("new/", gauges_views.calibration_create, name="create"),
    path("<int:calibration_id>/edit/", gauges_views.calibration_edit, name="edit"),
]
