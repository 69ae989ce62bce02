from django.urls import path

from qualitas.studies import views

app_name = "studies"

urlpatterns = [
    path("new/", views.study_create, name="study_create"),
    path("<int:pk>/report.pdf", views.study_report, name="study_report"),
]
