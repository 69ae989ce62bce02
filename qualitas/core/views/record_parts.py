"""Posting to a record's parts: files, links, actions. Each is one POST, then back to the record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from qualitas.core import actions, attachments, links, recordapi, records
from qualitas.core.errors import NotFound, QualitasError
from qualitas.core.forms_records import (
    ActionForm,
    AttachmentForm,
    CompletionForm,
    LinkForm,
    RemovalForm,
)
from qualitas.core.models import ActionItem
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url


def _record(request: HttpRequest, resource: str, pk: int) -> Any:
    return records.get_visible(signed_in_user(request), records.by_resource(resource), pk)


def _back(record: Any, tab: str) -> HttpResponse:
    return redirect(f"{detail_url(record)}?tab={tab}#{tab}")


def _report(request: HttpRequest, exc: QualitasError) -> None:
    if exc.status in (403, 404):
        raise exc
    messages.error(request, exc.detail)


@require_POST
@login_required
def attach(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return _back(record, "files")
    upload = form.cleaned_data["file"]
    try:
        added = attachments.add(
            record,
            actor=signed_in_user(request),
            file=upload,
            name=upload.name,
            description=form.cleaned_data["description"],
        )
    except QualitasError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"'{added.original_name}' attached.")
    return _back(record, "files")


@login_required
def download(request: HttpRequest, resource: str, pk: int, attachment_pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    found = (
        attachments.attachments_of(record, include_removed=True).filter(pk=attachment_pk).first()
    )
    if found is None:
        raise NotFound("No such file on this record.")
    serve = records.type_of(record).presentation.serve_file
    if serve is not None:
        return serve(record, found, signed_in_user(request))  # type: ignore[no-any-return]
    return recordapi.file_response(found)


@require_POST
@login_required
def detach(request: HttpRequest, resource: str, pk: int, attachment_pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    found = attachments.attachments_of(record).filter(pk=attachment_pk).first()
    form = RemovalForm(request.POST)
    if found is None:
        raise NotFound("No such file on this record.")
    if not form.is_valid():
        messages.error(request, "Say why the file is removed.")
        return _back(record, "files")
    try:
        attachments.remove(found, actor=signed_in_user(request), reason=form.cleaned_data["reason"])
    except QualitasError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"'{found.original_name}' removed from the record.")
    return _back(record, "files")


@require_POST
@login_required
def link(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    actor = signed_in_user(request)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of the record to link and how they relate.")
        return _back(record, "links")
    target = records.find_by_number(actor, form.cleaned_data["target"].strip())
    if target is None:
        messages.error(
            request, f"No record numbered {form.cleaned_data['target']} that you may see."
        )
        return _back(record, "links")
    try:
        links.add(
            record,
            actor=actor,
            target=target,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
        )
    except QualitasError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"Linked to {target.number}.")
    return _back(record, "links")


@require_POST
@login_required
def unlink(request: HttpRequest, resource: str, pk: int, link_pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    actor = signed_in_user(request)
    view = next((v for v in links.links_of(record, viewer=actor) if v.link.pk == link_pk), None)
    if view is None:
        raise NotFound("No such link on this record.")
    form = RemovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the link is removed.")
        return _back(record, "links")
    try:
        links.remove(view.link, actor=actor, reason=form.cleaned_data["reason"])
    except QualitasError as exc:
        _report(request, exc)
    return _back(record, "links")


@require_POST
@login_required
def assign(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    record = _record(request, resource, pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items())
        messages.error(request, f"The action was not added: {problems}")
        return _back(record, "actions")
    try:
        actions.assign(record, actor=signed_in_user(request), **form.cleaned_data)
    except QualitasError as exc:
        _report(request, exc)
    else:
        messages.success(request, "Action assigned.")
    return _back(record, "actions")


@require_POST
@login_required
def complete(request: HttpRequest, action_pk: int) -> HttpResponse:
    actor = signed_in_user(request)
    action, record = _action_for(request, action_pk)
    form = CompletionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what was done.")
    else:
        try:
            actions.complete(action, actor=actor, note=form.cleaned_data["note"])
        except QualitasError as exc:
            _report(request, exc)
        else:
            messages.success(request, f"Action '{action.title}' done.")
    next_url = request.POST.get("next", "")
    if next_url == "home":
        return redirect("home")
    return _back(record, "actions")


def _action_for(request: HttpRequest, action_pk: int) -> tuple[ActionItem, Any]:
    return actions.visible_action(signed_in_user(request), action_pk)


@require_POST
@login_required
def attach_evidence(request: HttpRequest, action_pk: int) -> HttpResponse:
    """Attach a file to an action as evidence that it was done."""
    action, record = _action_for(request, action_pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return _back(record, "actions")
    upload = form.cleaned_data["file"]
    try:
        attachments.add(action, actor=signed_in_user(request), file=upload, name=upload.name)
    except QualitasError as exc:
        _report(request, exc)
    else:
        messages.success(request, f"'{upload.name}' attached to '{action.title}'.")
    return _back(record, "actions")


@login_required
def download_evidence(request: HttpRequest, action_pk: int, attachment_pk: int) -> HttpResponse:
    action, _record = _action_for(request, action_pk)
    found = (
        attachments.attachments_of(action, include_removed=True).filter(pk=attachment_pk).first()
    )
    if found is None:
        raise NotFound("No such file on this action.")
    return recordapi.file_response(found)
