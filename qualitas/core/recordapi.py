"""The API every record type gets: /api/v1/<resource>/… built from its declaration.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.core import (
    actions,
    attachments,
    links,
    records,
    search as text_search,
    signatures,
    workflow,
)
from qualitas.core.errors import FieldError, InvalidInput, NotFound
from qualitas.core.models import ActionItem, Attachment, AuditEvent, RecordLink, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.recordschemas import build, to_out
from qualitas.core.schemas import ERRORS, actor_of


class RefusalOut(Schema):
    code: str
    message: str
    field: str | None


class TransitionOut(Schema):
    name: str
    label: str
    to_state: str
    allowed: bool
    needs_signature: bool
    signature_meaning: str | None
    comment_required: bool
    refusals: list[RefusalOut]


class TransitionIn(Schema):
    comment: str = ""
    password: str | None = Field(None, description="Your password, when the step is signed")
    otp_code: str | None = Field(
        None,
        description="A current authenticator code, when the step is signed and you have MFA",
    )
    version: int | None = None


class HistoryOut(Schema):
    id: int
    occurred_at: datetime
    actor: int | None
    actor_name: str
    action: str
    subject: str
    changes: dict[str, Any]
    reason: str
    request_id: str


class SignatureOut(Schema):
    id: int
    signer: int
    printed_name: str
    signed_at: datetime
    meaning: str
    transition: str
    record_version: int
    manifestation: str
    valid: bool


class AttachmentOut(Schema):
    id: int
    original_name: str
    media_type: str
    size: int
    sha256: str
    description: str
    uploaded_by: int = Field(..., alias="uploaded_by_id")
    uploaded_at: datetime
    removed_at: datetime | None
    removal_reason: str


class RemovalIn(Schema):
    reason: str


class LinkIn(Schema):
    target_type: str
    target_id: int
    kind: str
    note: str = ""


class LinkOut(Schema):
    id: int
    kind: str
    phrase: str
    direction: str
    record_type: str
    record_id: int
    record_number: str
    record_title: str


class ActionIn(Schema):
    title: str
    due_on: date
    assignee: int | None = None
    department: int | None = None
    description: str = ""
    kind: str = ""


class ActionOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    assignee: int | None
    department: int | None
    due_on: date
    state: str
    overdue: bool
    completion_note: str
    completed_at: datetime | None
    record_type: str
    record_id: int


class RecordListFilters(Schema):
    state: str | None = None
    owner: int | None = None
    site: int | None = None
    q: str | None = None


def _resolve_refs(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ids of references into objects; an unknown id is a 422 naming the field."""
    resolved = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if field.is_relation and value is not None:
            found = field.related_model._default_manager.filter(pk=value).first()
            if found is None:
                raise InvalidInput.for_field(
                    name, f"No {field.related_model._meta.verbose_name} with id {value}."
                )
            value = found
        resolved[name] = value
    return resolved


def history_of(record: Any) -> QuerySet[AuditEvent]:
    """Events of the record and of its attachments, actions and links."""
    own_type = ContentType.objects.get_for_model(type(record))
    parts = Q(object_type=own_type, object_id=record.pk)
    for model, ids in (
        (Attachment, Attachment.objects.filter(object_type=own_type, object_id=record.pk)),
        (ActionItem, ActionItem.objects.filter(object_type=own_type, object_id=record.pk)),
        (
            RecordLink,
            RecordLink.objects.filter(
                Q(source_type=own_type, source_id=record.pk)
                | Q(target_type=own_type, target_id=record.pk)
            ),
        ),
    ):
        parts |= Q(
            object_type=ContentType.objects.get_for_model(model), object_id__in=ids.values("pk")
        )
    return AuditEvent.objects.filter(parts).select_related("object_type").order_by("id")


def history_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "subject": f"{event.object_type.model}: {event.object_repr}",
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
    }


def signature_rows(record: Any) -> list[dict[str, Any]]:
    # Through the record's relation: a page that fetched its signatures along asks nothing.
    found = sorted(record.signatures.all(), key=lambda s: (s.signed_at, s.pk))
    return [
        {
            "id": s.pk,
            "signer": s.signer_id,
            "printed_name": s.printed_name,
            "signed_at": s.signed_at,
            "meaning": s.meaning,
            "transition": s.transition,
            "record_version": s.record_version,
            "manifestation": s.manifestation,
            "valid": signatures.is_valid(s, record),
        }
        for s in found
    ]


def transition_rows(record: Any, actor: User) -> list[dict[str, Any]]:
    return [
        {
            "name": a.transition.name,
            "label": a.transition.title,
            "to_state": a.transition.target,
            "allowed": a.allowed,
            "needs_signature": a.transition.signature is not None,
            "signature_meaning": a.transition.signature,
            "comment_required": a.transition.comment_required,
            "refusals": [
                {"code": r.code, "message": r.message, "field": r.field} for r in a.refusals
            ],
        }
        for a in workflow.available(record, actor)
    ]


def fire_with_signature(
    record: Any,
    name: str,
    *,
    actor: User,
    comment: str,
    version: int | None,
    request: HttpRequest | None,
    credentials: Any,
) -> Any:
    """Verify the signer first (outside the signing transaction), then fire. `credentials`
    carries `password` / `otp_code` (a form's cleaned_data or an API payload)."""
    transition = records.type_of(record).workflow.transition(name)
    token = None
    if transition.signature is not None:
        refusals = workflow.evaluate(record, transition, actor)
        if refusals:  # say why before asking for a password that could not help
            workflow._raise(refusals)
        token = signatures.authenticate_from(request, actor, credentials, subject=record)
    return workflow.fire(
        record, name, actor=actor, comment=comment, signature=token, expected_version=version
    )


def action_row(action: ActionItem, record_type_key: str | None = None) -> dict[str, Any]:
    return {
        "id": action.pk,
        "title": action.title,
        "description": action.description,
        "kind": action.kind,
        "assignee": action.assignee_id,
        "department": action.department_id,
        "due_on": action.due_on,
        "state": action.state,
        "overdue": actions.is_overdue(action),
        "completion_note": action.completion_note,
        "completed_at": action.completed_at,
        "record_type": record_type_key or action.object_type.model,
        "record_id": action.object_id,
    }


def build_router(
    record_type: records.RecordType, *, given: frozenset[tuple[str, str]] = frozenset()
) -> Router:
    """All endpoints of one record type, except those its module gives itself: `given`
    holds (method, path) with path parameters as `{}`, e.g. ("GET", "/{}") when the module
    serves a richer detail (a revision with its files and sign-offs) at the same place."""
    schemas: Any = build(record_type)
    out_schema, in_schema, patch_schema = schemas
    key, label = record_type.key, record_type.label
    router = Router(tags=[record_type.label_plural.lower()])

    def get(request: HttpRequest, record_id: int) -> Any:
        return records.get_visible(actor_of(request), record_type, record_id)

    @router.get(
        "",
        response={200: list[out_schema], **ERRORS},
        operation_id=f"{key}_list",
        summary=f"List {label.lower()}s",
    )
    @paginate(PageNumber)
    def list_records(request: HttpRequest, filters: Query[RecordListFilters]) -> Any:
        found = records.visible_to(actor_of(request), record_type)
        if filters.state:
            found = found.filter(state=filters.state)
        if filters.owner:
            found = found.filter(owner_id=filters.owner)
        if filters.site:
            found = found.filter(site_id=filters.site)
        if filters.q:
            found = text_search.matching(found, record_type, filters.q)
        return Mapped(found.order_by("-created_at", "-id"), to_out, keyset=True)

    def create_record(request: HttpRequest, payload: in_schema) -> Any:
        data = {
            k: v
            for k, v in payload.dict().items()
            if v is not None or k in payload.model_fields_set
        }
        created = records.raise_record(
            record_type, actor=actor_of(request), **_resolve_refs(record_type.model, data)
        )
        return Status(201, to_out(created))

    if record_type.generic_create:
        router.post(
            "",
            response={201: out_schema, **ERRORS},
            operation_id=f"{key}_create",
            summary=f"Raise a {label.lower()}",
        )(create_record)

    if ("GET", "/{}") not in given:

        @router.get("/{record_id}", response={200: out_schema, **ERRORS}, operation_id=f"{key}_get")
        def get_record(request: HttpRequest, record_id: int) -> Any:
            return to_out(get(request, record_id))

    if ("PATCH", "/{}") not in given:

        @router.patch(
            "/{record_id}",
            response={200: out_schema, **ERRORS},
            operation_id=f"{key}_update",
            summary=f"Change a {label.lower()} (send the version you edited)",
        )
        def update_record(request: HttpRequest, record_id: int, payload: patch_schema) -> Any:
            data = payload.dict(exclude_unset=True)
            version, reason = data.pop("version"), data.pop("reason", "")
            changed = records.change_record(
                get(request, record_id),
                actor=actor_of(request),
                expected_version=version,
                reason=reason,
                **_resolve_refs(record_type.model, data),
            )
            return to_out(changed)

    @router.get(
        "/{record_id}/transitions",
        response={200: list[TransitionOut], **ERRORS},
        operation_id=f"{key}_transitions",
        summary="Transitions from the current state, and why any is not possible for you",
    )
    def list_transitions(request: HttpRequest, record_id: int) -> Any:
        return transition_rows(get(request, record_id), actor_of(request))

    @router.post(
        "/{record_id}/transitions/{name}",
        response={200: out_schema, **ERRORS},
        operation_id=f"{key}_fire",
        summary="Fire a transition (with your password when it needs a signature)",
    )
    def fire_transition(
        request: HttpRequest, record_id: int, name: str, payload: TransitionIn
    ) -> Any:
        fired = fire_with_signature(
            get(request, record_id),
            name,
            actor=actor_of(request),
            comment=payload.comment,
            version=payload.version,
            request=request,
            credentials=payload,
        )
        return to_out(fired)

    @router.get(
        "/{record_id}/history",
        response={200: list[HistoryOut], **ERRORS},
        operation_id=f"{key}_history",
        summary="The audit trail of this record",
    )
    def history(request: HttpRequest, record_id: int) -> Any:
        return [history_row(e) for e in history_of(get(request, record_id))]

    @router.get(
        "/{record_id}/signatures",
        response={200: list[SignatureOut], **ERRORS},
        operation_id=f"{key}_signatures",
    )
    def list_signatures(request: HttpRequest, record_id: int) -> Any:
        return signature_rows(get(request, record_id))

    @router.get(
        "/{record_id}/attachments",
        response={200: list[AttachmentOut], **ERRORS},
        operation_id=f"{key}_attachments",
    )
    def list_attachments(request: HttpRequest, record_id: int) -> Any:
        return list(attachments.attachments_of(get(request, record_id), include_removed=True))

    @router.post(
        "/{record_id}/attachments",
        response={201: AttachmentOut, **ERRORS},
        operation_id=f"{key}_attach",
        summary="Attach a file (multipart form: file, description)",
    )
    def add_attachment(
        request: HttpRequest, record_id: int, file: File[UploadedFile], description: Form[str] = ""
    ) -> Any:
        added = attachments.add(
            get(request, record_id),
            actor=actor_of(request),
            file=file,
            name=file.name or "file",
            description=description,
        )
        return Status(201, added)

    @router.get(
        "/{record_id}/attachments/{attachment_id}",
        response={200: None, **ERRORS},
        operation_id=f"{key}_download",
        summary="Download a file (its checksum is verified first)",
    )
    def download(request: HttpRequest, record_id: int, attachment_id: int) -> HttpResponse:
        record = get(request, record_id)
        attachment = _attachment(record, attachment_id)
        if record_type.presentation.serve_file is not None:
            return record_type.presentation.serve_file(record, attachment, actor_of(request))  # type: ignore[no-any-return]
        return file_response(attachment)

    @router.post(
        "/{record_id}/attachments/{attachment_id}/remove",
        response={200: AttachmentOut, **ERRORS},
        operation_id=f"{key}_detach",
    )
    def remove_attachment(
        request: HttpRequest, record_id: int, attachment_id: int, payload: RemovalIn
    ) -> Any:
        attachment = _attachment(get(request, record_id), attachment_id)
        return attachments.remove(attachment, actor=actor_of(request), reason=payload.reason)

    @router.get(
        "/{record_id}/links", response={200: list[LinkOut], **ERRORS}, operation_id=f"{key}_links"
    )
    def list_links(request: HttpRequest, record_id: int) -> Any:
        return link_rows(get(request, record_id), actor_of(request))

    @router.post(
        "/{record_id}/links",
        response={201: list[LinkOut], **ERRORS},
        operation_id=f"{key}_link",
        summary="Link to another record (target_type is a record type key)",
    )
    def add_link(request: HttpRequest, record_id: int, payload: LinkIn) -> Any:
        record, actor = get(request, record_id), actor_of(request)
        target_type = records.RECORD_TYPES.get(payload.target_type)
        if target_type is None:
            raise InvalidInput.for_field(
                "target_type", f"Unknown record type '{payload.target_type}'."
            )
        target = records.get_visible(actor, target_type, payload.target_id)
        links.add(record, actor=actor, target=target, kind=payload.kind, note=payload.note)
        return Status(201, link_rows(record, actor))

    @router.post(
        "/{record_id}/links/{link_id}/remove",
        response={200: list[LinkOut], **ERRORS},
        operation_id=f"{key}_unlink",
        summary="Withdraw a link, with the reason (it stays in both histories)",
    )
    def remove_link(request: HttpRequest, record_id: int, link_id: int, payload: RemovalIn) -> Any:
        record, actor = get(request, record_id), actor_of(request)
        view = next((v for v in links.links_of(record, viewer=actor) if v.link.pk == link_id), None)
        if view is None:
            raise NotFound(f"No link {link_id} on {record.number}.")
        links.remove(view.link, actor=actor, reason=payload.reason)
        return link_rows(record, actor)

    @router.get(
        "/{record_id}/actions",
        response={200: list[ActionOut], **ERRORS},
        operation_id=f"{key}_actions",
    )
    def list_actions(request: HttpRequest, record_id: int) -> Any:
        return [action_row(a, key) for a in actions.actions_of(get(request, record_id))]

    @router.post(
        "/{record_id}/actions",
        response={201: ActionOut, **ERRORS},
        operation_id=f"{key}_assign",
        summary="Assign an action to a person or department",
    )
    def add_action(request: HttpRequest, record_id: int, payload: ActionIn) -> Any:
        from qualitas.core.models import Department

        record = get(request, record_id)
        data = payload.dict()
        assignee = _resolve_refs_simple(User, data.pop("assignee"), "assignee")
        department = _resolve_refs_simple(Department, data.pop("department"), "department")
        action = actions.assign(
            record, actor=actor_of(request), assignee=assignee, department=department, **data
        )
        return Status(201, action_row(action, key))

    return router


def _resolve_refs_simple(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise InvalidInput([FieldError(field, f"No {model._meta.verbose_name} with id {pk}.")])
    return found


def _attachment(record: Any, attachment_id: int) -> Attachment:
    found = (
        attachments.attachments_of(record, include_removed=True).filter(pk=attachment_id).first()
    )
    if found is None:
        raise NotFound(f"No attachment {attachment_id} on {record.number}.")
    return found


def file_response(attachment: Attachment) -> HttpResponse:
    """Serve a verified file as a download (never rendered inline by the browser)."""
    from urllib.parse import quote

    data = attachments.read_verified(attachment)
    response = HttpResponse(data, content_type=attachment.media_type)
    ascii_name = attachment.original_name.encode("ascii", "replace").decode().replace('"', "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.original_name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Checksum-SHA256"] = attachment.sha256
    return response


def link_rows(record: Any, actor: User) -> list[dict[str, Any]]:
    rows = []
    for view in links.links_of(record, viewer=actor):
        other_type = records.type_of(view.other)
        rows.append(
            {
                "id": view.link.pk,
                "kind": view.link.kind,
                "phrase": view.phrase,
                "direction": "outgoing" if view.outgoing else "incoming",
                "record_type": other_type.key,
                "record_id": view.other.pk,
                "record_number": view.other.number,
                "record_title": view.other.title,
            }
        )
    return rows
