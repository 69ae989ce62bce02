"""Document pages: the register, a document with its revisions, writing, review and
approval, controlled copies, compare, periodic review, reading, search."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.core import attachments, permissions, records, signatures, sso
from qualitas.core.errors import NotFound, QualitasError
from qualitas.core.forms import put_errors
from qualitas.core.forms_signing import add_otp_code
from qualitas.core.forms_sso import confirm_instead_of_password
from qualitas.core.pagination import requested_page
from qualitas.core.views import signed_in_user
from qualitas.documents import (
    compare,
    content,
    copies,
    forms,
    indexing,
    policy,
    queries,
    reading,
    reviews,
    search,
    services,
    signoffs,
    workflows as w,
)
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    ReviewComment,
)
from qualitas.documents.workflows import State

# --- One document ------------------------------------------------------------------------------


def _document(request: HttpRequest, pk: int) -> Document:
    return queries.get_document(signed_in_user(request), pk)


def _revision(request: HttpRequest, pk: int) -> DocumentRevision:
    found: DocumentRevision = records.get_visible(
        signed_in_user(request), services.record_type(), pk
    )
    return found


def _back(revision: DocumentRevision) -> HttpResponse:
    return redirect(queries.document_url(revision.document, revision))


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The effective revision by default; any other visible one with a banner."""
    user = signed_in_user(request)
    document = _document(request, pk)
    revisions = list(
        queries.visible_revisions(user, document.revisions.all())
        .select_related("owner")
        .order_by("-sequence")
    )
    chosen = request.GET.get("revision")
    revision = None
    if chosen and chosen.isdigit():
        revision = next((r for r in revisions if r.pk == int(chosen)), None)
        if revision is None:
            raise NotFound("No such revision of this document that you may see.")
    if revision is None:
        revision = next((r for r in revisions if r.state == State.EFFECTIVE), revisions[0])
    files = list(attachments.attachments_of(revision))
    steps = queries.current_signoffs(revision)
    comments: dict[int, list[Any]] = {}
    for comment in ReviewComment.objects.filter(signoff__in=steps):
        comments.setdefault(comment.signoff_id, []).append(comment)
    for step in steps:
        step.comment_list = comments.get(step.pk, [])  # type: ignore[attr-defined]
    control = policy.may_control(user, document)
    my_review = next((s for s in steps if s.kind == "review" and s.person_id == user.pk), None)
    my_approval = next((s for s in steps if s.kind == "approval" and s.person_id == user.pk), None)
    acknowledgement = reading.my_pending(revision, user)
    from qualitas.core import workflow

    context = {
        "title": f"{document.number} {document.title}",
        "document": document,
        "revision": revision,
        "revisions": revisions,
        "effective": next((r for r in revisions if r.state == State.EFFECTIVE), None),
        "html": content.render_markdown(revision.content_text),
        "files": files,
        "unread_files": indexing.unread_files(revision) if files else set(),
        "stampable": copies.STAMPABLE,
        "steps": steps,
        "may_control": control,
        "may_edit": records.may_edit(user, revision) and revision.state == State.DRAFT,
        # Steps this person could never take are not shown; those not possible yet are,
        # greyed out with the reason.
        "transitions": [
            a
            for a in workflow.available(revision, user)
            if not any(r.code == "not_permitted" for r in a.refusals)
        ],
        "my_review": my_review,
        "my_approval": my_approval,
        "approval_refusals": signoffs.approval_refusals(revision, user) if my_approval else [],
        "acknowledgement": acknowledgement,
        "sign_with_otp": signatures.needs_otp(user),
        # Single sign-on users confirm with their provider instead of typing a password.
        "sign_with_provider": sso.oidc_provider_name() if sso.signs_with_fresh_login(user) else "",
        "reading": reading.summary(revision) if control else None,
        "in_progress": queries.revision_in_progress(document),
        "may_author": policy.may_start_revision(user, document),
        "reviews": list(document.reviews.select_related("reviewer", "signature")[:10]),
        "related": list(queries.visible_documents(user).filter(related=document)),
        "review_form": forms.ReviewForm(),
        "sign_form": forms.SignForm(),
        "file_form": forms.FileForm(),
        "new_revision_form": forms.NewRevisionForm(),
        "today": timezone.localdate(),
    }
    return render(request, "documents/detail.html", context)


@login_required
def create_document(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    policy.require_author(user)
    form = forms.DocumentForm(request.POST or None, request.FILES or None)

    def save(data: dict[str, Any]) -> str:
        from django.db import transaction

        upload = data.pop("file")
        with transaction.atomic():  # the document and its file, or neither
            document = services.create_document(actor=user, **data)
            if upload is not None:
                services.add_file(
                    document.revisions.get(), actor=user, file=upload, name=upload.name
                )
        messages.success(request, f"{document.number} registered as a draft.")
        return reverse("documents:detail", args=[document.pk])

    return form_page(request, form, save, title="New controlled document", multipart=True)


def form_page(
    request: HttpRequest, form: Any, save: Any, *, title: str, **context: Any
) -> HttpResponse:
    """A form page whose valid data goes to `save` (which calls a service and returns where
    to go next); the service's refusals land on the fields, with status 422."""
    if request.method == "POST" and form.is_valid():
        try:
            url = save(dict(form.cleaned_data))
        except QualitasError as exc:
            if exc.status in (403, 404):
                raise
            put_errors(form, exc)
        else:
            return redirect(url)
    status = 422 if request.method == "POST" else 200
    cancel = context.pop("cancel", None)
    if "cancel_url" not in context:
        context["cancel_url"] = (
            reverse("documents:detail", args=[cancel.pk])
            if cancel is not None
            else reverse("documents:register")
        )
    context.update(form=form, title=title)
    return render(request, "documents/form.html", context, status=status)


@login_required
def edit_document(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    document = _document(request, pk)
    policy.require_control(user, document)
    initial = {
        "owner": document.owner,
        "department": document.department,
        "sites": list(document.sites.all()),
        "clause_references": document.clause_references,
        "review_interval_months": document.review_interval_months,
        "confidentiality": document.confidentiality,
        "related": list(document.related.all()),
        "version": document.version,
    }
    form = forms.DocumentEditForm(request.POST or None, initial=initial)
    related: Any = form.fields["related"]
    related.queryset = queries.visible_documents(user).exclude(pk=document.pk)

    def save(data: dict[str, Any]) -> str:
        services.update_document(
            document,
            actor=user,
            expected_version=data.pop("version"),
            reason=data.pop("reason"),
            sites=data.pop("sites"),
            related=data.pop("related"),
            **data,
        )
        messages.success(request, f"{document.number} saved.")
        return reverse("documents:detail", args=[document.pk])

    return form_page(request, form, save, title=f"Edit {document.number}", cancel=document)


@login_required
def edit_revision(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    if revision.state != State.DRAFT:
        messages.error(request, f"{revision.number} is {revision.get_state_display()}: frozen.")
        return _back(revision)
    initial = {
        "title": revision.title,
        "content_text": revision.content_text,
        "change_summary": revision.change_summary,
        "change_reason": revision.change_reason,
        "effective_on": revision.effective_on,
        "training_impact": revision.training_impact,
        "training_roles": list(revision.training_roles.all()),
        "training_departments": list(revision.training_departments.all()),
        "version": revision.version,
    }
    form = forms.RevisionForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> str:
        services.edit_revision(revision, actor=user, expected_version=data.pop("version"), **data)
        messages.success(request, f"{revision.number} saved.")
        return queries.document_url(revision.document, revision)

    return form_page(request, form, save, title=f"Edit {revision.number}", cancel=revision.document)


def _run(request: HttpRequest, revision: DocumentRevision, call: Any, done: str) -> HttpResponse:
    """Call a service; its refusal becomes a message on the document page."""
    try:
        call()
    except QualitasError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return _back(revision)


@require_POST
@login_required
def add_file(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    form = forms.FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return _back(revision)
    upload = form.cleaned_data["file"]
    return _run(
        request,
        revision,
        lambda: services.add_file(
            revision,
            actor=user,
            file=upload,
            name=upload.name,
            description=form.cleaned_data["description"],
        ),
        f"'{upload.name}' added to {revision.number}.",
    )


@login_required
def choose_signoffs(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    steps = queries.current_signoffs(revision)
    approvers = [s.person for s in steps if s.kind == "approval"]
    initial: dict[str, Any] = {"reviewers": [s.person for s in steps if s.kind == "review"]}
    for n, person in enumerate(approvers[:3], start=1):
        initial[f"approver_{n}"] = person
    form = forms.SignOffForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> str:
        signoffs.set_signoffs(
            revision, actor=user, reviewers=list(data["reviewers"]), approvers=form.approvers()
        )
        messages.success(request, f"Reviewers and approvers of {revision.number} saved.")
        return queries.document_url(revision.document, revision)

    doc_type = revision.document.document_type
    return form_page(
        request,
        form,
        save,
        title=f"Reviewers and approvers: {revision.number}",
        cancel=revision.document,
        intro=f"Approval of {doc_type.name.lower()}s is "
        f"{doc_type.get_approval_order_display().lower()}.",
    )


@require_POST
@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    form = forms.ReviewForm(request.POST)
    form.is_valid()
    accept = request.POST.get("decision") == "accept"
    return _run(
        request,
        revision,
        lambda: signoffs.review(
            revision, actor=user, accept=accept, comment=form.cleaned_data.get("comment", "")
        ),
        "Review accepted." if accept else "Comment sent to the author.",
    )


@require_POST
@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    form = forms.SignForm(request.POST)
    confirm_instead_of_password(form, user)
    if not form.is_valid():
        messages.error(request, "Re-enter your password to sign.")
        return _back(revision)

    def sign() -> None:
        signoffs.check_approval(revision, user)
        token = signatures.authenticate_from(request, user, form.cleaned_data, subject=revision)
        signoffs.approve(
            revision, actor=user, signature=token, comment=form.cleaned_data["comment"]
        )

    return _run(request, revision, sign, f"You signed {revision.number} as approved.")


@require_POST
@login_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    revision = _revision(request, pk)
    form = forms.SignForm(request.POST)
    confirm_instead_of_password(form, user)
    reading.require_asked(revision, user)
    if not form.is_valid():
        messages.error(request, "Re-enter your password to sign.")
        return _back(revision)

    def sign() -> None:
        token = signatures.authenticate_from(request, user, form.cleaned_data, subject=revision)
        reading.acknowledge(revision, actor=user, signature=token)

    return _run(request, revision, sign, f"You signed {revision.number} as read and understood.")


@require_POST
@login_required
def start_revision(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    document = _document(request, pk)
    form = forms.NewRevisionForm(request.POST)
    form.is_valid()
    try:
        revision = services.new_revision(
            document,
            actor=user,
            major=form.cleaned_data.get("major", False),
            change_reason=form.cleaned_data.get("change_reason", ""),
        )
    except QualitasError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.detail)
        return redirect("documents:detail", pk=document.pk)
    messages.success(request, f"{revision.number} started as a draft.")
    return redirect("documents:edit_revision", pk=revision.pk)


@login_required
def periodic_review(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    document = _document(request, pk)
    policy.require_control(user, document)
    form = forms.PeriodicReviewForm(request.POST or None)
    add_otp_code(form, user)

    def save(data: dict[str, Any]) -> str:
        token = None
        if data["outcome"] == "no_change":
            token = signatures.authenticate_from(request, user, data, subject=document)
        result = reviews.record_periodic_review(
            document, actor=user, outcome=data["outcome"], comment=data["comment"], signature=token
        )
        if result.new_revision is not None:
            messages.success(request, f"{result.new_revision.number} started for revision.")
            return reverse("documents:edit_revision", args=[result.new_revision.pk])
        messages.success(request, f"Review recorded; next review {result.next_review_on}.")
        return reverse("documents:detail", args=[document.pk])

    return form_page(
        request,
        form,
        save,
        title=f"Periodic review: {document.number}",
        cancel=document,
        intro=f"Due {document.next_review_on}. Is {document.title} still right as it is?",
    )


# --- Controlled copies -------------------------------------------------------------------------


@login_required
def content_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The Markdown content as a controlled-copy PDF."""
    return copies.content_response(_revision(request, pk), signed_in_user(request))


@login_required
def download_file(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    original = request.GET.get("original") == "1"
    return copies.file_response(
        _revision(request, pk), attachment_id, signed_in_user(request), original=original
    )


# --- Compare -----------------------------------------------------------------------------------


@login_required
def compare_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    document = _document(request, pk)
    revisions = list(
        queries.visible_revisions(user, document.revisions.all()).order_by("-sequence")
    )
    if len(revisions) < 2:
        messages.info(request, "There is only one revision you may see: nothing to compare.")
        return redirect("documents:detail", pk=document.pk)
    by_id = {str(r.pk): r for r in revisions}
    new = by_id.get(request.GET.get("to", ""), revisions[0])
    old = by_id.get(request.GET.get("from", ""), next((r for r in revisions if r != new), None))
    if old is None:  # pragma: no cover - two revisions were found above
        raise NotFound("Nothing to compare with.")
    result = compare.compare(indexing.revision_text(old), indexing.revision_text(new))
    context = {
        "title": f"Compare {document.number}",
        "document": document,
        "revisions": revisions,
        "old": old,
        "new": new,
        "result": result,
    }
    return render(request, "documents/compare.html", context)


# --- Reading -----------------------------------------------------------------------------------


@login_required
def my_reading(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    context = {
        "title": "My reading",
        "pending": reading.pending_for(user),
        "done": reading.done_for(user),
        "today": timezone.localdate(),
    }
    return render(request, "documents/reading.html", context)


@login_required
def revision_reading(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has read and acknowledged a revision, who has not, who is overdue."""
    user = signed_in_user(request)
    revision = _revision(request, pk)
    policy.require_see_who_read(user, revision)
    context = {
        "title": f"Read and understood: {revision.number}",
        "revision": revision,
        "rows": reading.readings(revision),
        "summary": reading.summary(revision),
        "today": timezone.localdate(),
    }
    return render(request, "documents/revision_reading.html", context)


# --- Search ------------------------------------------------------------------------------------


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    text = request.GET.get("q", "").strip()
    page_number = requested_page(request.GET.get("page", "1"))
    size = 20
    results = (
        search.search_revisions(user, text, limit=size, offset=(page_number - 1) * size)
        if text
        else None
    )
    context = {
        "title": "Search documents",
        "q": text,
        "results": results,
        "page": page_number,
        "has_next": results is not None and results.total > page_number * size,
        "snippets": {h.revision_id: h.snippet for h in results.hits} if results else {},
    }
    return render(request, "documents/search.html", context)
