"""Change request pages beyond the generic ones: the panel on its page, the impact
assessment, starting a revision for it, raising one from a nonconformance or a CAPA, naming
the change that implements a CAPA action, assigning its training, and "changes in flight" on
the home page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.changes import (
    checklists,
    implemented_actions,
    policy,
    queries,
    readiness,
    services,
    training_impact,
)
from qualitas.changes.models import Answer, ChangeRequest
from qualitas.core import actions, permissions, records, training_requests
from qualitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qualitas.core.forms import put_errors
from qualitas.core.forms_records import record_form
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url
from qualitas.documents import queries as document_queries


def _cr(request: HttpRequest, pk: int) -> ChangeRequest:
    found: ChangeRequest = records.get_visible(signed_in_user(request), services.record_type(), pk)
    return found


def change_panel(cr: ChangeRequest, request: HttpRequest) -> str:
    viewer = signed_in_user(request)
    done, planned = queries.plan_progress(cr)
    revisions = queries.revisions_for(cr, viewer)
    revised = {r.document_id for r in revisions}
    rows = queries.impact_rows(cr, viewer)
    may_plan = policy.may_plan(viewer, cr)
    to_revise = [
        d
        for row in rows
        if row.item == checklists.NAMES_DOCUMENTS
        for d in row.documents
        if d["pk"] not in revised
    ]
    context = {
        "cr": cr,
        "rows": rows,
        "may_assess": policy.may_assess(viewer, cr),
        "votes": queries.vote_rows(cr),
        "board_rule": queries.board_rule(cr),
        "outstanding": readiness.board_outstanding(cr) if cr.approved_at is None else None,
        "done": done,
        "planned": planned,
        "revisions": revisions,
        "to_revise": to_revise if may_plan else [],
        "implemented": implemented_actions.implementing(cr),
        **_training_context(cr, viewer),
    }
    return render_to_string("changes/_panel.html", context, request=request)


def _training_context(cr: ChangeRequest, viewer: Any) -> dict[str, Any]:
    """The training the impact calls for: progress for everyone, the people's readings for
    those who may see their training records."""
    if not training_impact.audiences(cr):
        return {"training_named": False}
    asked, missing = training_impact.readings(cr)
    done, total = training_impact.progress_of(asked, missing)
    _people, unmatched = training_impact.people_named(cr)
    return {
        "training_named": True,
        "training_available": training_requests.available(),
        "training_done": done,
        "training_total": total,
        "training_rows": training_impact.visible_readings(viewer, asked),
        "training_missing": len(missing),
        "training_unmatched": unmatched,
        "may_assign_training": training_impact.may_assign(cr) and bool(missing),
    }


def _answers_from(post: Any, items: tuple[str, ...]) -> list[services.ImpactInput]:
    answers = []
    for item in items:
        answer = post.get(f"{item}-answer", "")
        if not answer:
            continue
        documents = post.getlist(f"{item}-documents")
        audiences = post.get(f"{item}-audiences", "")
        courses = post.get(f"{item}-courses", "")
        answers.append(
            services.ImpactInput(
                item=item,
                answer=answer,
                comment=post.get(f"{item}-comment", ""),
                documents=[int(d) for d in documents if d.isdigit()],
                audiences=[a for a in audiences.split(",") if a.strip()],
                courses=[c for c in courses.split(",") if c.strip()],
            )
        )
    return answers


@login_required
def impact(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the impact assessment of the change's type, item by item."""
    cr = _cr(request, pk)
    actor = signed_in_user(request)
    policy.require_assess(actor, cr)
    items = checklists.checklist(cr.change_type)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = _answers_from(request.POST, items)
        try:
            services.set_impact(
                cr,
                actor=actor,
                answers=answers,
                expected_version=int(request.POST.get("version") or 0) or None,
            )
        except InvalidInput as exc:
            for error in exc.errors:
                # "answers[2].documents" belongs to the third answer given.
                where = error.field.split("]")[0].removeprefix("answers[")
                item = answers[int(where)].item if where.isdigit() else "__all__"
                errors.setdefault(item, []).append(error.message)
        else:
            messages.success(request, f"{cr.number}: impact assessment saved.")
            return redirect(detail_url(cr))
    given = {row.item: row for row in queries.impact_rows(cr, actor)}
    posted = request.POST if request.method == "POST" else None
    fields = []
    for item in items:
        row = given[item]
        fields.append(
            {
                "item": item,
                "question": row.question,
                "hint": row.hint,
                "answer": posted.get(f"{item}-answer", "") if posted else row.answer,
                "comment": posted.get(f"{item}-comment", "") if posted else row.comment,
                "documents": {int(d) for d in posted.getlist(f"{item}-documents") if d.isdigit()}
                if posted
                else {d["pk"] for d in row.documents},
                "audiences": posted.get(f"{item}-audiences", "")
                if posted
                else ", ".join(row.audiences),
                "courses": posted.get(f"{item}-courses", "") if posted else ", ".join(row.courses),
                "errors": errors.get(item, []),
            }
        )
    context = {
        "cr": cr,
        "fields": fields,
        "choices": Answer.choices,
        "register": document_queries.visible_documents(actor).order_by("number")[:500],
        "names_documents": checklists.NAMES_DOCUMENTS,
        "names_audiences": checklists.NAMES_AUDIENCES,
        "general_errors": errors.get("__all__", []),
        "title": f"Impact assessment of {cr.number}",
    }
    return render(request, "changes/impact.html", context, status=422 if errors else 200)


@require_POST
@login_required
def start_revision(request: HttpRequest, pk: int) -> HttpResponse:
    """Start the next revision of a document the assessment names, for this change."""
    cr = _cr(request, pk)
    document = request.POST.get("document", "")
    if not document.isdigit():
        raise InvalidInput.for_field("document", "Choose the document to revise.")
    revision = services.start_revision(cr, actor=signed_in_user(request), document_id=int(document))
    messages.success(request, f"{revision.number} started as a draft for {cr.number}.")
    return redirect(document_queries.document_url(revision.document, revision))


def in_flight_panel(request: HttpRequest) -> str:
    """For those who steer change (change editors: the quality managers): open changes,
    emergencies first."""
    user = signed_in_user(request)
    if not permissions.has_perm(user, services.record_type().permissions.edit):
        return ""
    changes = list(queries.in_flight(user)[:10])
    context = {"changes": changes, "resource": services.record_type().resource}
    return render_to_string("changes/_in_flight_panel.html", context, request=request)


def raise_button(record: Any, viewer: Any) -> str | None:
    """ "Raise a change request" on a nonconformance's or a CAPA's page, for those who may
    raise change requests at its site."""
    if not permissions.has_perm(
        viewer, services.record_type().permissions.create, site=record.site
    ):
        return None
    return reverse("changes:raise_from", args=[records.type_of(record).resource, record.pk])


@login_required
def raise_from(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    """The change request form, filled in from the nonconformance or CAPA it is raised from
    (and linked `raised_from` it)."""
    actor = signed_in_user(request)
    source_type = records.by_resource(resource)
    if source_type.key not in services.RAISED_FROM_TYPES:
        raise NotFound("Change requests are raised from nonconformances and CAPAs.")
    source = records.get_visible(actor, source_type, pk)
    record_type = services.record_type()
    permissions.require(actor, record_type.permissions.create, site=source.site)
    form = record_form(record_type, editing=False)(
        request.POST or None, initial=services.prefilled_from(source)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in record_type.editable_fields}
        try:
            cr = services.raise_from(source, actor=actor, **data)
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, f"{cr.number} raised from {source.number}.")
            return redirect(detail_url(cr))
    context = {
        "form": form,
        "title": f"Raise a change request from {source.number}",
        "cancel_url": detail_url(source),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "core/object_form.html", context, status=status)


@login_required
def implement_action(request: HttpRequest, action_id: int) -> HttpResponse:
    """Name the change request that implements an open action of a CAPA."""
    actor = signed_in_user(request)
    action, record = actions.visible_action(actor, action_id)
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("change_request", "")
        try:
            if not chosen.isdigit():
                raise InvalidInput.for_field(
                    "change_request", "Choose the change request that implements the action."
                )
            cr = _cr(request, int(chosen))
            implemented_actions.implement_action(cr, actor=actor, action_id=action.pk)
        except (InvalidInput, Conflict) as exc:
            error = exc.errors[0].message if isinstance(exc, InvalidInput) else exc.detail
        else:
            messages.success(request, f"'{action.title}' is implemented by {cr.number}.")
            return redirect(detail_url(record))
    else:
        # Refused before the form is shown: nobody fills in what they could never submit.
        implemented_actions.require_linkable(actor, action, record)
    open_changes = (
        records.visible_to(actor, services.record_type())
        .exclude(state__in=implemented_actions.ENDED)
        .order_by("-created_at")[:200]
    )
    context = {
        "action": action,
        "record": record,
        "record_url": detail_url(record),
        "changes": open_changes,
        "error": error,
        "raise_url": raise_button(record, actor),
        "title": f"Change request implementing '{action.title}'",
    }
    return render(request, "changes/implement_action.html", context, status=422 if error else 200)


@require_POST
@login_required
def assign_training(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the training the change's impact calls for that is not asked yet."""
    cr = _cr(request, pk)
    asked = training_impact.assign(cr, actor=signed_in_user(request))
    messages.success(request, f"{cr.number}: {len(asked)} reading(s) assigned.")
    return redirect(detail_url(cr))
