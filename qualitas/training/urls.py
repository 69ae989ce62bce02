"""Training pages beyond the generic record ones (/training/…)."""

from django.urls import URLPattern, URLResolver, path

from qualitas.training import matrix_views, my_views

app_name = "training"

urlpatterns: list[URLPattern | URLResolver] = [
    path("matrix/", matrix_views.training_matrix, name="matrix"),
    path("my/", my_views.my_training, name="my_training"),
]
