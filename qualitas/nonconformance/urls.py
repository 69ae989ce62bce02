from django.urls import path

from qualitas.nonconformance import views

app_name = "nonconformance"

urlpatterns = [
    path("analysis/", views.analysis, name="analysis"),
    path("defect-codes/", views.defect_codes, name="defect_codes"),
    path("<int:pk>/containment/", views.containment, name="containment"),
    path("<int:pk>/disposition/", views.disposition, name="disposition"),
    path("<int:pk>/costs/", views.add_cost, name="add_cost"),
    path("<int:pk>/escalate/", views.escalate, name="escalate"),
    path("<int:pk>/costs/<int:cost_pk>/remove/", views.remove_cost, name="remove_cost"),
]
