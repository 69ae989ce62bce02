from django.urls import path

from qualitas.studies import views

app_name = "studies"

urlpatterns = [
    path("new/", views.study_create, name="study_create"),
    path("new/<slug:kind>/", views.analysis_create, name="analysis_create"),
    path("<int:pk>/report.pdf", views.study_report, name="study_report"),
    path("<int:pk>/figures/<slug:name>.png", views.study_figure, name="study_figure"),
]
