"""Pages of the audits module: findings (mounted under /audits/findings/ by urls.py)."""

from django.urls import path

from qualitas.audits import finding_views

urlpatterns = [
    path("new/<int:pk>/", finding_views.new, name="finding_new"),
]
