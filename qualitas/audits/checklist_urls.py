"""Pages of the audits module: checklists and question banks (mounted under
/audits/checklists/ by urls.py)."""

from django.urls import path

from qualitas.audits import checklist_views as views

urlpatterns = [
    path("<int:pk>/", views.checklist, name="checklist"),
    path("<int:pk>/generate/", views.generate, name="checklist_generate"),
    path("<int:pk>/questions/", views.add_question, name="checklist_add_question"),
    path("<int:pk>/items/<int:item_pk>/", views.answer_item, name="checklist_answer"),
    path("<int:pk>/items/<int:item_pk>/remove/", views.remove_item, name="checklist_remove"),
    path("banks/", views.bank_list, name="banks"),
    path("banks/new/", views.BankFormView.as_view(), name="bank_create"),
    path("banks/<int:bank_pk>/", views.bank_detail, name="bank"),
    path("banks/<int:bank_pk>/edit/", views.BankFormView.as_view(), name="bank_edit"),
    path(
        "banks/<int:bank_pk>/questions/<int:question_pk>/retire/",
        views.retire_bank_question,
        name="bank_retire_question",
    ),
]
