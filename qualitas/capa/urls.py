from django.urls import path

from qualitas.capa import reports, views

app_name = "capa"

urlpatterns = [
    path("metrics/", views.metrics_page, name="metrics"),
    path("<int:pk>/8d.pdf", reports.capa_8d, name="eight_d"),
    path("<int:pk>/effectiveness/", views.effectiveness, name="effectiveness"),
    path("<int:pk>/team/", views.add_member, name="add_member"),
    path("<int:pk>/whys/", views.add_why, name="add_why"),
    path("<int:pk>/causes/", views.add_cause, name="add_cause"),
    path(
        "<int:pk>/<slug:kind>/<int:item_pk>/root-cause/",
        views.mark_root_cause,
        name="mark_root_cause",
    ),
]
