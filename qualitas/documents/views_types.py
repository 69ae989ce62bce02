"""The document types' pages: the list, and the form document control keeps them with."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from qualitas.core import permissions
from qualitas.core.errors import NotFound
from qualitas.core.views import signed_in_user
from qualitas.documents import forms, policy, services, workflows as w
from qualitas.documents.models import DocumentType
from qualitas.documents.views import form_page


@login_required
def document_types(request: HttpRequest) -> HttpResponse:
    permissions.require(signed_in_user(request), w.VIEW)
    types = DocumentType.objects.prefetch_related(
        "default_reviewers",
        "default_approvers",
        "default_training_roles",
        "default_training_departments",
    )
    context = {
        "title": "Document types",
        "types": types,
        "may_change": policy.may_maintain_types(signed_in_user(request)),
    }
    return render(request, "documents/types.html", context)


@login_required
def edit_document_type(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.CONTROL)
    document_type = DocumentType.objects.filter(pk=pk).first()
    if document_type is None:
        raise NotFound(f"No document type with id {pk}.")
    initial = {name: getattr(document_type, name) for name in services.TYPE_FIELDS}
    initial["default_reviewers"] = list(document_type.default_reviewers.all())
    initial["default_approvers"] = list(document_type.default_approvers.all())
    initial["default_training_roles"] = list(document_type.default_training_roles.all())
    initial["default_training_departments"] = list(document_type.default_training_departments.all())
    form = forms.DocumentTypeForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> str:
        services.update_document_type(
            document_type,
            actor=user,
            reason=data.pop("reason"),
            default_reviewers=data.pop("default_reviewers"),
            default_approvers=data.pop("default_approvers"),
            default_training_roles=data.pop("default_training_roles"),
            default_training_departments=data.pop("default_training_departments"),
            **data,
        )
        messages.success(request, f"{document_type.name} saved.")
        return reverse("documents:types")

    return form_page(
        request,
        form,
        save,
        title=f"Document type: {document_type.name}",
        intro=f"Numbers start with {document_type.prefix}. Existing documents keep their "
        "numbers and revision labels; changes apply to what is created from now on.",
        cancel_url=reverse("documents:types"),
    )
