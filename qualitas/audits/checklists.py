"""Every write to audit checklists (the question banks they draw on are in question_banks).

A checklist is generated while the audit is planned: one question per auditable requirement
among its criteria, the bank questions tied to those requirements, and every question of the
banks the planner adds (ISO 19011 6.3.4: work documents prepared before the audit). It is
answered during fieldwork by the audit team, item by item or as a batch a tablet kept while
the connection was down; each answer raises the item's `revision`, so an answer given on an
older copy is refused with the answer that is there now, never written over it unseen.
Objective evidence (photos, records seen) is attached to the audit and tied to its item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from qualitas.audits import readiness, services, workflows as w
from qualitas.audits.models import (
    Answer,
    Audit,
    BankQuestion,
    ChecklistEvidence,
    ChecklistItem,
    QuestionBank,
)
from qualitas.core import attachments, audit, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import Attachment, User
from qualitas.core.validation import clean_or_raise

ANSWERS = {choice.value: choice.label for choice in Answer}
# Past this, bank questions not tied to the audit's criteria follow the criteria's questions.
_AFTER_CRITERIA = 1_000_000


# --- Who may -----------------------------------------------------------------------------------


def may_answer(user: User, audit_: Audit) -> bool:
    """The lead auditor and the team members who judge conformity (auditors and auditors in
    training: observers and technical experts do not, ISO 19011 3.15), or an audit planner
    at the audit's site (who stands in for an absent team member)."""
    if user.pk in services.relation_lead(audit_):
        return True
    if audit_.team.filter(
        removed_at__isnull=True, role__in=readiness.AUDITING_ROLES, person_id=user.pk
    ).exists():
        return True
    return permissions.has_perm(user, w.PLAN, site=audit_.site)


def require_answerer(user: User, audit_: Audit) -> None:
    if not may_answer(user, audit_):
        raise PermissionDenied(
            f"Only the audit team of {audit_.number} (its lead auditor, auditors and auditors "
            "in training) or an audit planner at its site may answer its checklist."
        )


def require_fieldwork(audit_: Audit, *, field: str) -> None:
    """Answers and evidence belong to the fieldwork: refused, naming the field, before it
    starts and once the report is issued (a closed audit's checklist is its record)."""
    if audit_.state in w.FIELDWORK:
        return
    if audit_.state in w.PLANNING:
        why = "start the audit before answering its checklist"
    else:
        why = "its checklist is part of the audit's record and no longer changes"
    raise Conflict(
        f"{audit_.number} is {audit_.get_state_display()}: {why}. Nothing was saved.",
        errors=[FieldError(field, f"{audit_.number} is {audit_.get_state_display()}: {why}.")],
    )


# --- Generating the checklist ------------------------------------------------------------------


def criteria_requirements(audit_: Audit) -> list[Any]:
    """The requirements the audit asks about, in the standards' order: its criteria, a
    heading among them (8.7, not audited itself) standing for the requirements under it."""
    from qualitas.compliance import queries as compliance

    chosen = {
        row.requirement.pk: row.requirement
        for row in audit_.criterion_rows.select_related("requirement__framework")
    }
    headings = [r for r in chosen.values() if not r.auditable]
    for framework in {r.framework_id: r.framework for r in headings}.values():
        under: dict[int, list[Any]] = defaultdict(list)
        for requirement in compliance.tree(framework, retired=True):
            if requirement.parent_id:
                under[requirement.parent_id].append(requirement)
        stack = [r.pk for r in headings if r.framework_id == framework.pk]
        while stack:
            for child in under[stack.pop()]:
                if child.pk not in chosen:
                    chosen[child.pk] = child
                    stack.append(child.pk)
    return sorted(chosen.values(), key=lambda r: (r.framework_id, r.order, r.pk))


def requirement_question(requirement: Any) -> str:
    return f"{requirement.ref_id} {requirement.title}: is it met, and what evidence shows it?"


@dataclass(frozen=True)
class Generated:
    audit: Audit
    added: int


def _bank_ids(bank_ids: Iterable[Any]) -> list[int]:
    wanted: list[int] = []
    for raw in bank_ids:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            raise InvalidInput.for_field(
                "bank_ids", f"'{raw}' is not a question bank id."
            ) from None
    return list(dict.fromkeys(wanted))


@audit.service
def generate(
    audit_: Audit,
    *,
    actor: User,
    bank_ids: Iterable[Any] = (),
    expected_version: int | None,
) -> Generated:
    """Add to the checklist what is missing from it: a question per auditable requirement
    among the criteria or under a heading among them (retired ones left out), the bank
    questions tied to those requirements, and every question of the banks named. Run it
    again after the criteria change: nothing is asked twice, and the checklist is put back
    in the standards' order."""
    wanted_banks = _bank_ids(bank_ids)
    with records.locked(audit_, expected_version) as current:
        services.require_plan(actor, current)
        banks = {b.pk: b for b in QuestionBank.objects.filter(pk__in=wanted_banks)}
        unknown = [str(i) for i in wanted_banks if i not in banks]
        if unknown:
            raise InvalidInput.for_field(
                "bank_ids", f"No such question bank: {', '.join(unknown)}."
            )
        inactive = [b.name for b in banks.values() if not b.active]
        if inactive:
            raise InvalidInput.for_field(
                "bank_ids", f"No longer in use: {', '.join(sorted(inactive))}."
            )
        criteria = criteria_requirements(current)
        rank = {requirement.pk: i for i, requirement in enumerate(criteria)}
        items = list(current.checklist.all())
        covered = {i.requirement_id for i in items if i.bank_question_id is None}
        asked = {i.bank_question_id for i in items if i.bank_question_id}
        added = 0
        for requirement in criteria:
            if requirement.auditable and not requirement.retired and requirement.pk not in covered:
                items.append(
                    ChecklistItem.objects.create(
                        audit=current,
                        requirement=requirement,
                        question=requirement_question(requirement),
                        guidance=requirement.guidance,
                        order=0,
                    )
                )
                added += 1
        drawn = (
            BankQuestion.objects.filter(retired=False, bank__active=True)
            .filter(Q(requirement_id__in=list(rank)) | Q(bank_id__in=list(banks)))
            .select_related("bank")
            .order_by("bank__name", "order", "id")
        )
        for question in drawn:
            if question.pk not in asked:
                items.append(
                    ChecklistItem.objects.create(
                        audit=current,
                        requirement_id=question.requirement_id,
                        bank_question=question,
                        question=question.text,
                        guidance=question.guidance,
                        order=0,
                    )
                )
                added += 1
        _put_in_order(items, rank)
        if added:
            records.touch(current, actor)
        return Generated(current, added)


def _put_in_order(items: list[ChecklistItem], rank: dict[int, int]) -> None:
    """Each requirement's question, then the bank questions tied to it, then the other
    questions asked about it; after the criteria, the rest in the order they had (new ones
    last)."""
    banked = {
        pk: (name, order)
        for pk, name, order in BankQuestion.objects.filter(
            pk__in=[i.bank_question_id for i in items if i.bank_question_id]
        ).values_list("pk", "bank__name", "order")
    }
    # A requirement's own question: the first one asked about it that no bank supplied.
    first: dict[int, int] = {}
    for item in sorted(items, key=lambda i: i.pk):
        if item.requirement_id and not item.bank_question_id:
            first.setdefault(item.requirement_id, item.pk)

    def key(item: ChecklistItem) -> tuple[Any, ...]:
        place = rank.get(item.requirement_id or 0)
        if place is None:
            return (_AFTER_CRITERIA, 0, "", item.order or _AFTER_CRITERIA, item.pk)
        if item.bank_question_id:
            name, order = banked[item.bank_question_id]
            return (place, 1, name, order, item.pk)
        if first.get(item.requirement_id or 0) == item.pk:
            return (place, 0, "", 0, item.pk)
        return (place, 2, "", item.order or _AFTER_CRITERIA, item.pk)

    for position, item in enumerate(sorted(items, key=key), start=1):
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


@audit.service
def add_question(
    audit_: Audit,
    *,
    actor: User,
    question: str,
    guidance: str = "",
    requirement_id: int | None = None,
    expected_version: int | None = None,
) -> ChecklistItem:
    """A question of the auditor's own, at the end of the checklist (tied to a requirement
    when it tests one)."""
    from qualitas.compliance import queries as compliance

    with records.locked(audit_, expected_version) as current:
        services.require_plan(actor, current)
        if not question.strip():
            raise InvalidInput.for_field("question", "Write the question to ask.")
        if requirement_id is not None and not compliance.requirement_ids([requirement_id]):
            raise InvalidInput.for_field("requirement", f"No such requirement: {requirement_id}.")
        last = current.checklist.aggregate(last=Max("order"))["last"] or 0
        item = ChecklistItem(
            audit=current,
            question=question.strip(),
            guidance=guidance.strip(),
            requirement_id=requirement_id,
            order=last + 1,
        )
        clean_or_raise(item, exclude=["audit", "requirement", "bank_question", "answered_by"])
        item.save()
        records.touch(current, actor)
        return item


@audit.service
def remove_item(item: ChecklistItem, *, actor: User) -> None:
    """Take a question off the checklist before the audit starts (answered ones stay)."""
    with records.locked(item.audit) as current:
        services.require_plan(actor, current)
        found = ChecklistItem.objects.select_for_update().filter(pk=item.pk, audit=current).first()
        if found is None:
            raise InvalidInput.for_field("item", "No such question on this checklist.")
        if found.answer or found.evidence.exists():
            raise InvalidInput.for_field(
                "item", "The question is answered already: it stays on the checklist."
            )
        found.delete()
        records.touch(current, actor)


# --- Answering ---------------------------------------------------------------------------------


def _check_answer(answer: str, notes: str, *, field: str, notes_field: str) -> list[FieldError]:
    errors = []
    if answer not in ANSWERS:
        errors.append(
            FieldError(
                field,
                f"'{answer}' is not an answer: use one of {', '.join(ANSWERS)}."
                if answer
                else f"Choose an answer: {', '.join(ANSWERS)}.",
            )
        )
    limit = settings.TEXT_MAX_CHARS
    if len(notes) > limit:
        errors.append(
            FieldError(
                notes_field,
                f"At most {limit:,} characters ({len(notes):,} given): attach a longer text.",
            )
        )
    return errors


def _stale(item: ChecklistItem, expected: int) -> str:
    who = item.answered_by.printed_name if item.answered_by else "someone"
    when = f" at {timezone.localtime(item.answered_at):%Y-%m-%d %H:%M}" if item.answered_at else ""
    said = ANSWERS.get(item.answer, "no answer")
    return (
        f"Someone else answered this question since you read it: {who}{when} answered "
        f"'{said}' (revision {item.revision}, you had revision {expected}). Read their answer "
        "and answer again if yours differs."
    )


def _write(item: ChecklistItem, actor: User, answer: str, notes: str) -> None:
    item.answer = answer
    item.notes = notes
    item.answered_by = actor
    item.answered_at = timezone.now()
    item.revision += 1
    item.save(update_fields=["answer", "notes", "answered_by", "answered_at", "revision"])


@audit.service
def answer(
    item: ChecklistItem,
    *,
    actor: User,
    answer: str,
    notes: str = "",
    expected_revision: int,
) -> ChecklistItem:
    """Answer one question. Refused (409) when someone answered it since the revision the
    auditor read, naming the answer that is there now."""
    with records.locked(item.audit) as current:
        require_fieldwork(current, field="answer")
        require_answerer(actor, current)
        errors = _check_answer(answer, notes, field="answer", notes_field="notes")
        if errors:
            raise InvalidInput(errors)
        found: ChecklistItem | None = (
            ChecklistItem.objects.select_for_update(of=("self",))
            .select_related("answered_by")
            .filter(pk=item.pk, audit=current)
            .first()
        )
        if found is None:
            raise InvalidInput.for_field("item", "No such question on this checklist.")
        if found.revision != expected_revision:
            message = _stale(found, expected_revision)
            raise Conflict(message, errors=[FieldError("revision", message)])
        _write(found, actor, answer, notes)
        records.touch(current, actor)
        return found


@dataclass(frozen=True)
class AnswerInput:
    item: int
    answer: str
    revision: int
    notes: str = ""


@dataclass(frozen=True)
class AnswerResult:
    """What became of one answer of a batch: `saved` (its new revision) or `conflict` (the
    answer someone else gave, now on the server)."""

    item: int
    status: str
    answer: str
    notes: str
    revision: int
    answered_by: str
    answered_at: datetime | None
    message: str = ""


def _result(item: ChecklistItem, status: str, message: str = "") -> AnswerResult:
    return AnswerResult(
        item=item.pk,
        status=status,
        answer=item.answer,
        notes=item.notes,
        revision=item.revision,
        answered_by=item.answered_by.printed_name if item.answered_by else "",
        answered_at=item.answered_at,
        message=message,
    )


@audit.service
def answer_many(
    audit_: Audit, *, actor: User, answers: Sequence[AnswerInput]
) -> list[AnswerResult]:
    """Save the answers a tablet kept while offline. Every answer is checked first (a bad one
    refuses the whole batch, naming it, and nothing is saved); then each is saved if nobody
    answered its question since, else returned as a conflict with the answer there now. An
    answer already saved (the same answer and notes, sent again after a lost reply) counts
    as saved."""
    with records.locked(audit_) as current:
        require_fieldwork(current, field="answers")
        require_answerer(actor, current)
        if not answers:
            raise InvalidInput.for_field("answers", "Send at least one answer.")
        ids = [a.item for a in answers]
        found = {
            i.pk: i
            for i in ChecklistItem.objects.select_for_update(of=("self",))
            .select_related("answered_by")
            .filter(audit=current, pk__in=ids)
        }
        errors: list[FieldError] = []
        seen: set[int] = set()
        for n, given in enumerate(answers):
            where = f"answers[{n}]"
            if given.item not in found:
                errors.append(
                    FieldError(f"{where}.item", f"No question {given.item} on this checklist.")
                )
            elif given.item in seen:
                errors.append(FieldError(f"{where}.item", "The same question is answered twice."))
            seen.add(given.item)
            errors += _check_answer(
                given.answer, given.notes, field=f"{where}.answer", notes_field=f"{where}.notes"
            )
        if errors:
            raise InvalidInput(errors)
        results = []
        saved = False
        for given in answers:
            item = found[given.item]
            if item.revision == given.revision:
                _write(item, actor, given.answer, given.notes)
                results.append(_result(item, "saved"))
                saved = True
            elif item.answer == given.answer and item.notes == given.notes:
                results.append(_result(item, "saved"))
            else:
                results.append(_result(item, "conflict", _stale(item, given.revision)))
        if saved:
            records.touch(current, actor)
        return results


# --- Evidence ----------------------------------------------------------------------------------


@audit.service
def attach_evidence(
    item: ChecklistItem, *, actor: User, file: IO[bytes], name: str, description: str = ""
) -> Attachment:
    """Keep a file (a photo from the tablet's camera is an image file like any other) as
    evidence for a checklist answer: an attachment of the audit, tied to the question."""
    with records.locked(item.audit) as current:
        require_fieldwork(current, field="file")
        require_answerer(actor, current)
        if not ChecklistItem.objects.filter(pk=item.pk, audit=current).exists():
            raise InvalidInput.for_field("item", "No such question on this checklist.")
        description = description.strip() or f"Evidence: {item.question}"
        limit = Attachment._meta.get_field("description").max_length or 200
        if len(description) > limit:
            if description.startswith("Evidence: "):
                description = description[: limit - 1] + "…"
            else:
                raise InvalidInput.for_field("description", f"At most {limit} characters.")
        added = attachments.add(current, actor=actor, file=file, name=name, description=description)
        ChecklistEvidence.objects.create(item_id=item.pk, attachment=added)
        records.touch(current, actor)
        return added
