from django.urls import path

from qualitas.reports import views

app_name = "reports"

urlpatterns = [
    path("capas/<int:pk>/8d.pdf", views.capa_8d, name="capa_8d"),
]
