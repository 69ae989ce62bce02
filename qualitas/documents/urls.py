from django.urls import path

from qualitas.documents import lists, views

app_name = "documents"

urlpatterns = [
    path("", lists.RegisterView.as_view(), name="register"),
    path("new/", views.create_document, name="create"),
    path("search/", views.search_page, name="search"),
    path("reading/", views.my_reading, name="reading"),
    path("types/", views.document_types, name="types"),
    path("types/<int:pk>/edit/", views.edit_document_type, name="edit_type"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/edit/", views.edit_document, name="edit"),
    path("<int:pk>/new-revision/", views.start_revision, name="new_revision"),
    path("<int:pk>/periodic-review/", views.periodic_review, name="periodic_review"),
    path("<int:pk>/compare/", views.compare_revisions, name="compare"),
    path("revisions/<int:pk>/edit/", views.edit_revision, name="edit_revision"),
    path("revisions/<int:pk>/files/", views.add_file, name="add_file"),
    path(
        "revisions/<int:pk>/files/<int:attachment_id>/",
        views.download_file,
        name="download_file",
    ),
    path("revisions/<int:pk>/pdf/", views.content_pdf, name="content_pdf"),
    path("revisions/<int:pk>/signoffs/", views.choose_signoffs, name="signoffs"),
    path("revisions/<int:pk>/review/", views.review, name="review"),
    path("revisions/<int:pk>/approve/", views.approve, name="approve"),
    path("revisions/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("revisions/<int:pk>/reading/", views.revision_reading, name="revision_reading"),
]
