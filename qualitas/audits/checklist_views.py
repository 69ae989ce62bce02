"""Checklist pages: the checklist an auditor answers on a tablet (one card per question; an
ordinary form per card without JavaScript, a queue kept on the device with it, see
static/qualitas/audit-checklist.js), its CSV/XLSX export, generating it while the audit is
planned, the panel on the audit's page, and the question banks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.audits import checklists, question_banks, services, workflows as w
from qualitas.audits.checklists_api import items_of
from qualitas.audits.models import Answer, Audit, AuditType, BankQuestion, QuestionBank
from qualitas.core import exports, permissions, records
from qualitas.core.errors import InvalidInput, NotFound, QualitasError
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ServiceFormView
from qualitas.core.views.records import detail_url

# How each answer looks on its button (Bootstrap's outline button colours).
ANSWER_STYLES = {
    Answer.CONFORMING: "success",
    Answer.MINOR_NC: "warning",
    Answer.MAJOR_NC: "danger",
    Answer.OBSERVATION: "info",
    Answer.OFI: "primary",
    Answer.NOT_AUDITED: "secondary",
}


def _audit(request: HttpRequest, pk: int) -> Audit:
    found: Audit = records.get_visible(signed_in_user(request), services.record_type(), pk)
    return found


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _back(audit_: Audit, item_pk: int | None = None) -> HttpResponseRedirect:
    url = reverse("audits:checklist", args=[audit_.pk])
    return HttpResponseRedirect(f"{url}#item-{item_pk}" if item_pk else url)


def _banks() -> list[QuestionBank]:
    return list(QuestionBank.objects.filter(active=True).order_by("name"))


# --- The checklist -----------------------------------------------------------------------------

HEADER = [
    "No.",
    "Reference",
    "Question",
    "Guidance",
    "Answer",
    "Notes",
    "Answered by",
    "Answered at",
    "Revision",
    "Evidence",
]


def export_rows(items: list[Any]) -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for n, item in enumerate(items, start=1):
        rows.append(
            [
                n,
                item.requirement.ref_id if item.requirement else "",
                item.question,
                item.guidance,
                checklists.ANSWERS.get(item.answer, ""),
                item.notes,
                item.answered_by.printed_name if item.answered_by else "",
                item.answered_at,
                item.revision,
                "; ".join(e.attachment.original_name for e in item.evidence.all()),
            ]
        )
    return rows


def _cards(items: list[Any], errors: dict[int, list[str]], posted: dict[str, Any]) -> list[Any]:
    """Each item with what its card shows: the answer buttons, and what was posted back
    when the card's form was refused."""
    cards = []
    for item in items:
        mine = posted if posted.get("item") == item.pk else {}
        chosen = mine.get("answer", item.answer)
        cards.append(
            {
                "item": item,
                "answer": chosen,
                "notes": mine.get("notes", item.notes),
                "errors": errors.get(item.pk, []),
                "choices": [
                    {"value": v, "label": label, "style": ANSWER_STYLES[Answer(v)]}
                    for v, label in Answer.choices
                ],
                "evidence": list(item.evidence.all()),
            }
        )
    return cards


def _page(
    request: HttpRequest,
    audit_: Audit,
    *,
    errors: dict[int, list[str]] | None = None,
    general: list[str] | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = signed_in_user(request)
    items = list(items_of(audit_))
    answered = Counter(i.answer for i in items if i.answer)
    fieldwork = audit_.state in w.FIELDWORK
    context = {
        "title": f"Checklist of {audit_.number}",
        "audit": audit_,
        "audit_url": detail_url(audit_),
        "cards": _cards(items, errors or {}, posted or {}),
        "total": len(items),
        "answered": sum(answered.values()),
        "fieldwork": fieldwork,
        "may_answer": fieldwork and checklists.may_answer(viewer, audit_),
        "may_plan": services.may_plan(viewer, audit_),
        "banks": _banks(),
        "general_errors": general or [],
        "sync_url": f"/api/v1/{services.record_type().resource}/{audit_.pk}/checklist/answers",
        "viewer_id": viewer.pk,
    }
    return render(request, "audits/checklist.html", context, status=status)


@login_required
def checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit's checklist, one card per question; ?export=csv|xlsx every question with
    its answer."""
    audit_ = _audit(request, pk)
    wanted = request.GET.get("export", "")
    if wanted:
        name = f"checklist-{audit_.number}"
        rows = export_rows(list(items_of(audit_)))
        if wanted == "csv":
            return exports.csv_response(name, rows)
        if wanted == "xlsx":
            return exports.xlsx_response(name, rows, title="Checklist")
        raise InvalidInput.for_field("export", "Ask for csv or xlsx.")
    return _page(request, audit_)


@require_POST
@login_required
def answer_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """One card's form, sent without JavaScript: its answer and notes, and any photo or
    file, saved together or not at all."""
    audit_ = _audit(request, pk)
    actor = signed_in_user(request)
    item = audit_.checklist.filter(pk=item_pk).first()
    if item is None:
        raise NotFound("No such question on this checklist.")
    answer = request.POST.get("answer", "")
    notes = request.POST.get("notes", "").replace("\r\n", "\n")
    revision = request.POST.get("revision", "")
    uploads = [f for f in (request.FILES.get("photo"), request.FILES.get("file")) if f]
    changed = answer and (answer != item.answer or notes != item.notes)
    try:
        if not changed and not uploads:
            raise InvalidInput.for_field("answer", "Choose an answer, or add a photo or file.")
        with transaction.atomic():
            if changed:
                checklists.answer(
                    item,
                    actor=actor,
                    answer=answer,
                    notes=notes,
                    expected_revision=int(revision) if revision.isdigit() else -1,
                )
            for upload in uploads:
                checklists.attach_evidence(
                    item, actor=actor, file=upload, name=upload.name or "evidence"
                )
    except QualitasError as exc:
        refused = [e.message for e in exc.errors] or [exc.detail]
        posted = {"item": item.pk, "answer": answer, "notes": notes}
        audit_.refresh_from_db()
        return _page(request, audit_, errors={item.pk: refused}, posted=posted, status=exc.status)
    messages.success(request, f"Question {item.order} saved.")
    return _back(audit_, item.pk)


@require_POST
@login_required
def generate(request: HttpRequest, pk: int) -> HttpResponse:
    audit_ = _audit(request, pk)
    try:
        done = checklists.generate(
            audit_,
            actor=signed_in_user(request),
            bank_ids=request.POST.getlist("bank_ids"),
            expected_version=_version(request),
        )
    except QualitasError as exc:
        return _page(request, audit_, general=[exc.detail], status=exc.status)
    added = done.added
    messages.success(
        request,
        f"{added} question{'s' if added != 1 else ''} added to the checklist."
        if added
        else "The checklist already asks every question of the criteria and banks chosen.",
    )
    return _back(audit_)


@require_POST
@login_required
def add_question(request: HttpRequest, pk: int) -> HttpResponse:
    audit_ = _audit(request, pk)
    requirement = request.POST.get("requirement", "")
    try:
        item = checklists.add_question(
            audit_,
            actor=signed_in_user(request),
            question=request.POST.get("question", ""),
            guidance=request.POST.get("guidance", ""),
            requirement_id=int(requirement) if requirement.isdigit() else None,
            expected_version=_version(request),
        )
    except QualitasError as exc:
        return _page(request, audit_, general=[exc.detail], status=exc.status)
    messages.success(request, "Question added.")
    return _back(audit_, item.pk)


@require_POST
@login_required
def remove_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    audit_ = _audit(request, pk)
    item = audit_.checklist.filter(pk=item_pk).first()
    if item is None:
        raise NotFound("No such question on this checklist.")
    try:
        checklists.remove_item(item, actor=signed_in_user(request))
    except QualitasError as exc:
        return _page(request, audit_, errors={item.pk: [exc.detail]}, status=exc.status)
    messages.success(request, "Question taken off the checklist.")
    return _back(audit_)


def panel(request: HttpRequest, audit_: Audit) -> str:
    """The checklist on the audit's page: how far it is answered, by answer; the link to
    answer it; while the audit is planned, the form that generates it."""
    viewer = signed_in_user(request)
    # One query: the answers of every question ("" unanswered), counted here.
    every = Counter(audit_.checklist.order_by().values_list("answer", flat=True).iterator())
    total = sum(every.values())
    counts = {answer: n for answer, n in every.items() if answer}
    may_plan = services.may_plan(viewer, audit_)
    context = {
        "audit": audit_,
        "total": total,
        "answered": sum(counts.values()),
        "counts": [
            {"label": label, "count": counts.get(v, 0), "style": ANSWER_STYLES[Answer(v)]}
            for v, label in Answer.choices
            if counts.get(v)
        ],
        "may_plan": may_plan,
        "banks": _banks() if may_plan else [],
    }
    return render_to_string("audits/checklist_panel.html", context, request=request)


# --- Question banks ----------------------------------------------------------------------------


def _require_see_banks(request: HttpRequest) -> None:
    permissions.require(signed_in_user(request), w.VIEW)


def _bank(request: HttpRequest, bank_pk: int) -> QuestionBank:
    _require_see_banks(request)
    found: QuestionBank = get_or_404(QuestionBank.objects.all(), pk=bank_pk)
    return found


@login_required
def bank_list(request: HttpRequest) -> HttpResponse:
    """The question banks; ?export=csv|xlsx."""
    _require_see_banks(request)
    from django.db.models import Count, Q

    banks = list(
        QuestionBank.objects.annotate(
            asked=Count("questions", filter=Q(questions__retired=False))
        ).order_by("name")
    )
    wanted = request.GET.get("export", "")
    if wanted:
        rows: list[list[object]] = [["Name", "Audit type", "In use", "Questions", "Description"]]
        for bank in banks:
            rows.append(
                [
                    bank.name,
                    bank.get_audit_type_display() if bank.audit_type else "",
                    "yes" if bank.active else "no",
                    bank.asked,
                    bank.description,
                ]
            )
        if wanted == "csv":
            return exports.csv_response("question-banks", rows)
        if wanted == "xlsx":
            return exports.xlsx_response("question-banks", rows, title="Question banks")
        raise InvalidInput.for_field("export", "Ask for csv or xlsx.")
    context = {
        "title": "Question banks",
        "banks": banks,
        "may_manage": question_banks.may_manage_banks(signed_in_user(request)),
    }
    return render(request, "audits/bank_list.html", context)


class BankQuestionForm(StyledForm):
    text = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 2}))
    guidance = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What the auditor looks for, in our words.",
    )
    requirement = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of a requirement: the question is then asked on every audit against it.",
    )


@login_required
def bank_detail(request: HttpRequest, bank_pk: int) -> HttpResponse:
    """A bank and its questions; a form to add one; ?export=csv|xlsx."""
    bank = _bank(request, bank_pk)
    questions = list(
        BankQuestion.objects.filter(bank=bank)
        .select_related("requirement__framework")
        .order_by("order", "id")
    )
    wanted = request.GET.get("export", "")
    if wanted:
        rows: list[list[object]] = [["No.", "Question", "Guidance", "Requirement", "Retired"]]
        for q in questions:
            ref = f"{q.requirement.framework.key} {q.requirement.ref_id}" if q.requirement else ""
            rows.append([q.order, q.text, q.guidance, ref, "yes" if q.retired else "no"])
        name = f"question-bank-{bank.pk}"
        if wanted == "csv":
            return exports.csv_response(name, rows)
        if wanted == "xlsx":
            return exports.xlsx_response(name, rows, title="Questions")
        raise InvalidInput.for_field("export", "Ask for csv or xlsx.")
    actor = signed_in_user(request)
    form = BankQuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                question_banks.add_bank_question(
                    bank,
                    actor=actor,
                    text=form.cleaned_data["text"],
                    guidance=form.cleaned_data["guidance"],
                    requirement_id=form.cleaned_data["requirement"],
                )
            except QualitasError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, "Question added to the bank.")
                return HttpResponseRedirect(reverse("audits:bank", args=[bank.pk]))
        status = 422
    context = {
        "title": bank.name,
        "bank": bank,
        "questions": questions,
        "form": form,
        "may_manage": question_banks.may_manage_banks(actor),
    }
    return render(request, "audits/bank_detail.html", context, status=status)


@require_POST
@login_required
def retire_bank_question(request: HttpRequest, bank_pk: int, question_pk: int) -> HttpResponse:
    bank = _bank(request, bank_pk)
    question = get_or_404(BankQuestion.objects.filter(bank=bank), pk=question_pk)
    question_banks.retire_bank_question(question, actor=signed_in_user(request))
    messages.success(request, "Question retired: new checklists no longer ask it.")
    return HttpResponseRedirect(reverse("audits:bank", args=[bank.pk]))


class BankForm(StyledForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    audit_type = forms.ChoiceField(
        choices=[("", "Any audit"), *list(AuditType.choices)], required=False
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Offered when checklists are generated."
    )


class BankFormView(ServiceFormView):
    """Create a question bank, or rename, describe or retire one."""

    form_class = BankForm
    success_message = "Question bank saved."

    def get_object(self) -> QuestionBank | None:
        pk = self.kwargs.get("bank_pk")
        return get_or_404(QuestionBank.objects.all(), pk=pk) if pk else None

    def get_initial(self) -> dict[str, Any]:
        bank = self.object
        if not isinstance(bank, QuestionBank):
            return {"active": True}
        return {
            "name": bank.name,
            "description": bank.description,
            "audit_type": bank.audit_type,
            "active": bank.active,
        }

    def get_title(self) -> str:
        return f"Edit {self.object}" if self.object else "New question bank"

    def check_permission(self) -> None:
        question_banks.require_bank_manager(signed_in_user(self.request))

    def perform(self, form: forms.Form) -> QuestionBank:
        data = form.cleaned_data
        actor = signed_in_user(self.request)
        if isinstance(self.object, QuestionBank):
            return question_banks.change_bank(self.object, actor=actor, **data)
        return question_banks.create_bank(actor=actor, **data)

    def success_url(self, saved: Any) -> str:
        return reverse("audits:bank", args=[saved.pk])

    def cancel_url(self) -> str | None:
        if self.object:
            return reverse("audits:bank", args=[self.object.pk])
        return reverse("audits:banks")
