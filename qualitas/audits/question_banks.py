"""Question banks: reusable audit questions (a process audit's, a supplier audit's, an ISMS
control's) that checklists draw on (checklists.generate). Shared reference data, kept by
those who hold audits.manage_question_banks everywhere or at their own site."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Max

from qualitas.audits import workflows as w
from qualitas.audits.models import AuditType, BankQuestion, QuestionBank
from qualitas.core import audit, permissions
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise


def may_manage_banks(user: User) -> bool:
    """Question banks are shared reference data: kept by those who hold the permission
    everywhere, or at their own site."""
    if user.site_id is not None:
        return permissions.has_perm(user, w.MANAGE_BANKS, site=user.site)
    return permissions.holds_everywhere(user, w.MANAGE_BANKS)


def require_bank_manager(user: User) -> None:
    if not may_manage_banks(user):
        spec = permissions.PERMISSIONS[w.MANAGE_BANKS]
        raise PermissionDenied(f"You may not do this: it needs '{spec.description}'")


def _bank_name_free(name: str, *, but: int | None = None) -> None:
    taken = QuestionBank.objects.filter(name__iexact=name)
    if but is not None:
        taken = taken.exclude(pk=but)
    if taken.exists():
        raise InvalidInput.for_field("name", f"A question bank named '{name}' exists already.")


def _audit_type(value: str) -> str:
    if value and value not in AuditType.values:
        raise InvalidInput.for_field(
            "audit_type",
            f"'{value}' is not an audit type: use one of {', '.join(AuditType.values)}.",
        )
    return value


@audit.service
def create_bank(
    *,
    actor: User,
    name: str,
    description: str = "",
    audit_type: str = "",
    active: bool = True,
    questions: Sequence[str] = (),
) -> QuestionBank:
    """A new question bank, with its first questions (untied to requirements) if given."""
    require_bank_manager(actor)
    name = name.strip()
    if not name:
        raise InvalidInput.for_field("name", "Name the question bank.")
    _bank_name_free(name)
    bank = QuestionBank(
        name=name,
        description=description.strip(),
        audit_type=_audit_type(audit_type),
        active=active,
    )
    clean_or_raise(bank)
    bank.save()
    for n, text in enumerate(questions):
        if not text.strip():
            raise InvalidInput.for_field(f"questions[{n}]", "Write the question.")
        BankQuestion.objects.create(bank=bank, order=n + 1, text=text.strip())
    return bank


@audit.service
def change_bank(
    bank: QuestionBank,
    *,
    actor: User,
    name: str | None = None,
    description: str | None = None,
    audit_type: str | None = None,
    active: bool | None = None,
) -> QuestionBank:
    """Rename a bank, describe it, or take it out of use (its questions stay on the
    checklists that asked them)."""
    require_bank_manager(actor)
    current: QuestionBank = QuestionBank.objects.select_for_update().get(pk=bank.pk)
    if name is not None:
        name = name.strip()
        if not name:
            raise InvalidInput.for_field("name", "Name the question bank.")
        _bank_name_free(name, but=current.pk)
        current.name = name
    if description is not None:
        current.description = description.strip()
    if audit_type is not None:
        current.audit_type = _audit_type(audit_type)
    if active is not None:
        current.active = active
    clean_or_raise(current)
    current.save()
    return current


@audit.service
def add_bank_question(
    bank: QuestionBank,
    *,
    actor: User,
    text: str,
    guidance: str = "",
    requirement_id: int | None = None,
) -> BankQuestion:
    """A question at the end of the bank; tied to a requirement, it is asked on every
    checklist whose criteria include that requirement."""
    from qualitas.compliance import queries as compliance

    require_bank_manager(actor)
    if not text.strip():
        raise InvalidInput.for_field("text", "Write the question.")
    if requirement_id is not None and not compliance.requirement_ids([requirement_id]):
        raise InvalidInput.for_field("requirement", f"No such requirement: {requirement_id}.")
    current = QuestionBank.objects.select_for_update().get(pk=bank.pk)
    last = current.questions.aggregate(last=Max("order"))["last"] or 0
    question = BankQuestion(
        bank=current,
        order=last + 1,
        text=text.strip(),
        guidance=guidance.strip(),
        requirement_id=requirement_id,
    )
    clean_or_raise(question, exclude=["bank", "requirement"])
    question.save()
    return question


@audit.service
def retire_bank_question(question: BankQuestion, *, actor: User) -> BankQuestion:
    """No longer asked on new checklists; the checklists that asked it keep it."""
    require_bank_manager(actor)
    current: BankQuestion = BankQuestion.objects.select_for_update().get(pk=question.pk)
    if not current.retired:
        current.retired = True
        current.save(update_fields=["retired"])
    return current
