from django.urls import path

from qualitas.documents import lists, views, views_types

app_name = "documents"

urlpatterns = [
    path("documents/", lists.RegisterView.as_view(), name="register"),
    path("documents/new/", views.create_document, name="create"),
    path("documents/search/", views.search_page, name="search"),
    path("documents/reading/", views.my_reading, name="reading"),
    path("documents/types/", views_types.document_types, name="types"),
    path("documents/types/<int:pk>/edit/", views_types.edit_document_type, name="edit_type"),
    path("documents/<int:pk>/", views.document_detail, name="detail"),
    path("documents/<int:pk>/edit/", views.edit_document, name="edit"),
    path("documents/<int:pk>/new-revision/", views.start_revision, name="new_revision"),
    path("documents/<int:pk>/periodic-review/", views.periodic_review, name="periodic_review"),
    path("documents/<int:pk>/compare/", views.compare_revisions, name="compare"),
    path("document-revisions/<int:pk>/edit/", views.edit_revision, name="edit_revision"),
    path("document-revisions/<int:pk>/files/", views.add_file, name="add_file"),
    path(
        "document-revisions/<int:pk>/files/<int:attachment_id>/",
        views.download_file,
        name="download_file",
    ),
    path("document-revisions/<int:pk>/pdf/", views.content_pdf, name="content_pdf"),
    path("document-revisions/<int:pk>/signoffs/", views.choose_signoffs, name="signoffs"),
    path("document-revisions/<int:pk>/review/", views.review, name="review"),
    path("document-revisions/<int:pk>/approve/", views.approve, name="approve"),
    path("document-revisions/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("document-revisions/<int:pk>/reading/", views.revision_reading, name="revision_reading"),
]
