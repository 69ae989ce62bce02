"""Pages of the audits module: an audit's plan, its independence exception and its report
(mounted under /audits/ by urls.py; /audits/<pk>/ itself is the generic record page)."""

from django.urls import path

from qualitas.audits import audit_views

urlpatterns = [
    path("<int:pk>/plan/", audit_views.plan, name="plan"),
    path("<int:pk>/independence/", audit_views.independence, name="independence"),
    path("<int:pk>/report.pdf", audit_views.report_pdf, name="report_pdf"),
]
