"""Pages of the audits module: programmes (mounted under /audits/programmes/ by urls.py)."""

from django.urls import path

from qualitas.audits import programme_views as views

urlpatterns = [
    path("<int:pk>/entries/", views.add_entry, name="programme_entry_add"),
    path("<int:pk>/entries/<int:entry_pk>/", views.change_entry, name="programme_entry_change"),
    path(
        "<int:pk>/entries/<int:entry_pk>/remove/",
        views.remove_entry,
        name="programme_entry_remove",
    ),
    path("<int:pk>/entries/<int:entry_pk>/schedule/", views.schedule, name="programme_schedule"),
    path("<int:pk>/revise/", views.revise, name="programme_revise"),
    path("<int:pk>/calendar/", views.calendar_export, name="programme_calendar"),
]
