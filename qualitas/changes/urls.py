from django.urls import path

from qualitas.changes import views

app_name = "changes"

urlpatterns = [
    path("<int:pk>/impact/", views.impact, name="impact"),
    path("<int:pk>/start-revision/", views.start_revision, name="start_revision"),
    path("<int:pk>/training/assign/", views.assign_training, name="assign_training"),
    path("raise-from/<str:resource>/<int:pk>/", views.raise_from, name="raise_from"),
    path("implement-action/<int:action_id>/", views.implement_action, name="implement_action"),
]
