from django.urls import path

from qualitas.compliance import views

app_name = "compliance"

urlpatterns = [
    path("frameworks/", views.FrameworkListView.as_view(), name="frameworks"),
    path("frameworks/import/", views.import_framework, name="import"),
    path("frameworks/<str:key>/", views.framework_detail, name="framework"),
    path("requirements/", views.RequirementListView.as_view(), name="requirements"),
]
