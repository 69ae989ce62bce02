from django.urls import path

from qualitas.changes import views

app_name = "changes"

urlpatterns = [
    path("<int:pk>/impact/", views.impact, name="impact"),
    path("<int:pk>/start-revision/", views.start_revision, name="start_revision"),
]
