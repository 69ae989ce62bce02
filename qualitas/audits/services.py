"""Every write to audits: raising one, its criteria, its team (independence and
qualification enforced here, the exception signed by a quality manager) and what its steps
entail. Checklists are in `checklists`, findings in `findings`, programmes in `programmes`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from qualitas.audits import readiness, workflows as w
from qualitas.audits.models import Audit, AuditCriterion, TeamMember, TeamRole
from qualitas.core import audit, notifications, permissions, records, signatures
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import Meaning, User
from qualitas.core.validation import clean_or_raise

AUDIT = "audit"
FINDING = "auditfinding"
PROGRAMME = "auditprogramme"

# What may change once the report is signed: nothing the report says. Who follows up and by
# when stays editable (the audit is locked from follow-up anyway). The independence
# exception's signature is set after it is made, so it cannot be part of what it covers.
UNSIGNED = (
    "owner",
    "due_on",
    "priority",
    "reported_at",
    "started_on",
    "ended_on",
    "independence_signature",
)


def record_type() -> records.RecordType:
    return records.RECORD_TYPES[AUDIT]


def url_of(audit_: Audit) -> str:
    return f"/{record_type().resource}/{audit_.pk}/"


def raise_audit(*, actor: User, **fields: Any) -> Audit:
    """Plan an audit: numbered AUD-…, planned. The lead auditor, when given, must be
    qualified and independent of the audited departments (set after the departments)."""
    lead = fields.get("lead_auditor")
    if (
        lead is not None
        and readiness.led_by_us(fields.get("audit_type", ""))
        and readiness.unqualified(fields.get("site"), [lead])
    ):
        raise InvalidInput.for_field(
            "lead_auditor", readiness.qualification_reason([lead.printed_name])
        )
    created: Audit = records.create(record_type(), actor=actor, **fields)
    return created


def change_audit(
    audit_: Audit, *, actor: User, expected_version: int | None, reason: str = "", **changes: Any
) -> Audit:
    """Change an audit's fields; a new lead auditor must be qualified and independent."""
    lead = changes.get("lead_auditor")
    if lead is not None and lead.pk != audit_.lead_auditor_id:
        require_auditors(audit_, [lead], field="lead_auditor")
    changed: Audit = records.update(
        audit_, actor=actor, expected_version=expected_version, reason=reason, **changes
    )
    return changed


def may_plan(user: User, audit_: Audit) -> bool:
    return audit_.state in w.PLANNING and records.may_edit(user, audit_)


def require_plan(user: User, audit_: Audit) -> None:
    if audit_.state not in w.PLANNING:
        raise Conflict(
            f"{audit_.number} is {audit_.get_state_display()}: its plan (criteria, team, "
            "checklist) no longer changes."
        )
    if not records.may_edit(user, audit_):
        raise PermissionDenied(f"Only the owner of {audit_.number} or an audit planner may.")


def require_auditors(audit_: Audit, people: Sequence[User], *, field: str) -> None:
    """Refuse unqualified auditors, and auditors of their own department unless a quality
    manager has signed the exception for this audit."""
    if not readiness.led_by_us(audit_.audit_type):
        return
    names = readiness.unqualified(audit_.site, people)
    if names:
        raise InvalidInput.for_field(field, readiness.qualification_reason(names))
    if readiness.exception_holds(audit_):
        return
    conflicts = readiness.independence_conflicts(audit_, people)
    if conflicts:
        raise InvalidInput.for_field(field, readiness.independence_reason(conflicts))


@audit.service
def set_criteria(
    audit_: Audit, *, actor: User, requirement_ids: Iterable[int], expected_version: int | None
) -> Audit:
    """The requirements the audit is held against (replacing the earlier set)."""
    from qualitas.compliance import queries as compliance

    wanted = list(dict.fromkeys(int(i) for i in requirement_ids))
    with records.locked(audit_, expected_version) as current:
        require_plan(actor, current)
        known = compliance.requirement_ids(wanted)
        unknown = [str(i) for i in wanted if i not in known]
        if unknown:
            raise InvalidInput.for_field("criteria", f"No such requirement: {', '.join(unknown)}.")
        rows = {c.requirement_id: c for c in current.criterion_rows.all()}
        for requirement_id, row in rows.items():
            if requirement_id not in known:
                row.delete()
        for requirement_id in wanted:
            if requirement_id not in rows:
                AuditCriterion.objects.create(audit=current, requirement_id=requirement_id)
        records.touch(current, actor)
        return current


@dataclass(frozen=True)
class MemberInput:
    person: User
    role: str = TeamRole.AUDITOR


@audit.service
def set_team(
    audit_: Audit, *, actor: User, members: Sequence[MemberInput], expected_version: int | None
) -> Audit:
    """The audit team besides the lead auditor (replacing the earlier team). Refused with
    the reason when an auditor is not qualified or would audit their own department."""
    roles = {choice.value for choice in TeamRole}
    with records.locked(audit_, expected_version) as current:
        require_plan(actor, current)
        for member in members:
            if member.role not in roles:
                raise InvalidInput.for_field("team", f"Unknown team role '{member.role}'.")
            if member.person.pk == current.lead_auditor_id:
                raise InvalidInput.for_field(
                    "team", f"{member.person.printed_name} is the lead auditor already."
                )
        auditing = [m.person for m in members if m.role in readiness.AUDITING_ROLES]
        require_auditors(current, auditing, field="team")
        wanted = {m.person.pk: m.role for m in members}
        now = timezone.now()
        for row in current.team.filter(removed_at__isnull=True):
            if wanted.get(row.person_id) == row.role:
                wanted.pop(row.person_id)
            else:
                row.removed_at = now
                row.save()
        for person_id, role in wanted.items():
            TeamMember.objects.create(audit=current, person_id=person_id, role=role)
        records.touch(current, actor)
        return current


@audit.service
def set_auditee_departments(
    audit_: Audit, *, actor: User, department_ids: Iterable[int], expected_version: int | None
) -> Audit:
    """The departments audited. Auditors already named must stay independent of them."""
    from qualitas.core.models import Department

    wanted = {int(i) for i in department_ids}
    with records.locked(audit_, expected_version) as current:
        require_plan(actor, current)
        found = set(Department.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found:
            missing = ", ".join(str(i) for i in sorted(wanted - found))
            raise InvalidInput.for_field("auditee_departments", f"No such department: {missing}.")
        # Through set_many: a many-to-many change is not captured by the save hooks, and
        # which departments were audited belongs on the trail.
        audit.set_many(current, "auditee_departments", Department.objects.filter(pk__in=found))
        # Once an exception was signed, a change of departments is allowed: the exception
        # then no longer holds, and the audit is not prepared or started until it is
        # signed again (readiness.team_independent).
        if not current.independence_signature_id:
            conflicts = readiness.independence_conflicts(current)
            if conflicts:
                raise InvalidInput.for_field(
                    "auditee_departments", readiness.independence_reason(conflicts)
                )
        records.touch(current, actor)
        return current


@audit.service
def override_independence(
    audit_: Audit,
    *,
    actor: User,
    justification: str,
    token: signatures.SignatureToken,
    expected_version: int | None,
) -> Audit:
    """A quality manager allows auditors to audit their own department for this audit,
    signing the justification (e.g. a one-person site; ISO 19011 4 e allows it where
    independence is impractical, if objectivity is otherwise kept)."""
    with records.locked(audit_, expected_version) as current:
        if not permissions.has_perm(actor, w.OVERRIDE_INDEPENDENCE, site=current.site):
            raise PermissionDenied(
                "Only a quality manager may allow an auditor to audit their own department."
            )
        if current.state not in (*w.PLANNING, w.State.IN_PROGRESS):
            raise Conflict(f"{current.number} is {current.get_state_display()}.")
        if readiness.exception_holds(current):
            raise Conflict(f"{current.number} has a signed independence exception already.")
        if not justification.strip():
            raise InvalidInput.for_field(
                "justification", "Say why independence cannot be kept for this audit."
            )
        current.independence_justification = justification.strip()
        clean_or_raise(current, exclude=["independence_signature"])
        records.touch(current, actor)
        signature = signatures.sign(
            current,
            signer=actor,
            meaning=Meaning.APPROVED,
            token=token,
            transition=readiness.EXCEPTION,
            comment=current.independence_justification,
        )
        current.independence_signature = signature
        current.save(update_fields=["independence_signature"])
        return current


def resolve_criteria(framework_key: str, ref_ids: str | Iterable[str]) -> list[int]:
    """Requirement ids from reference ids within one framework ("8.5.1, 8.7"); an unknown
    framework or clause is refused naming its field, so nothing is half-set."""
    from qualitas.compliance import services as compliance

    framework = _framework(framework_key)
    if isinstance(ref_ids, str):
        ref_ids = ref_ids.replace(";", ",").replace("\n", ",").split(",")
    wanted = list(dict.fromkeys(ref.strip() for ref in ref_ids if ref.strip()))
    if not wanted:
        raise InvalidInput.for_field("ref_ids", "Name at least one clause or control.")
    found = compliance.requirements_of(framework, wanted)
    unknown = [ref for ref in wanted if ref not in found or found[ref].retired]
    if unknown:
        raise InvalidInput.for_field("ref_ids", f"Not in {framework.name}: {', '.join(unknown)}.")
    return [found[ref].pk for ref in wanted]


def _framework_model() -> Any:
    """The compliance module's framework model, reached through the criteria's relation:
    its models are not imported here (only its services and queries)."""
    requirement = Audit._meta.get_field("criteria").related_model
    return requirement._meta.get_field("framework").related_model  # type: ignore[union-attr]


def frameworks() -> list[Any]:
    """The frameworks criteria may be chosen from."""
    return list(_framework_model().objects.order_by("name"))


def _framework(key: str) -> Any:
    key = (key or "").strip()
    found = _framework_model().objects.filter(key=key).first() if key else None
    if found is None:
        raise InvalidInput.for_field(
            "framework", f"No framework '{key}'." if key else "Choose a framework."
        )
    return found


@audit.service
def set_distribution(
    audit_: Audit,
    *,
    actor: User,
    people: Sequence[User],
    external: str | None = None,
    expected_version: int | None,
) -> Audit:
    """Who receives the report (ISO 19011 6.5.2): people told when it is issued, and
    recipients outside the system. Fixed once the report is signed."""
    with records.locked(audit_, expected_version) as current:
        if current.state in w.WORKFLOW.locked_states:
            raise Conflict(
                f"{current.number} is {current.get_state_display()}: the report's distribution "
                "was fixed when it was signed."
            )
        if not records.may_edit(actor, current):
            raise PermissionDenied(f"Only the owner of {current.number} or an audit planner may.")
        inactive = [p.printed_name for p in people if not p.is_active]
        if inactive:
            raise InvalidInput.for_field(
                "distribution", f"No longer active: {', '.join(inactive)}."
            )
        audit.set_many(current, "distribution", people)
        if external is not None:
            current.distribution_external = external.strip()
        records.touch(current, actor)
        return current


def relation_lead(audit_: Audit) -> list[int]:
    return [audit_.lead_auditor_id] if audit_.lead_auditor_id else []


def relation_team(audit_: Audit) -> list[int]:
    return list(audit_.team.filter(removed_at__isnull=True).values_list("person_id", flat=True))


def relation_auditee(audit_: Audit) -> list[int]:
    return [audit_.auditee_contact_id] if audit_.auditee_contact_id else []


def _started(audit_: Audit, actor: User, comment: str) -> None:
    if audit_.started_on is None:
        audit_.started_on = timezone.localdate()
        audit_.save(update_fields=["started_on"])


def _fieldwork_done(audit_: Audit, actor: User, comment: str) -> None:
    if audit_.ended_on is None:
        audit_.ended_on = timezone.localdate()
        audit_.save(update_fields=["ended_on"])


def _reported(audit_: Audit, actor: User, comment: str) -> None:
    audit_.reported_at = timezone.now()
    audit_.save(update_fields=["reported_at"])
    people = list(audit_.distribution.all())
    if people:
        for person in people:
            notifications.notify(
                person,
                title=f"Audit report {audit_.number} issued",
                body=f"{audit_.title}: the report is signed by {actor.printed_name}.",
                url=url_of(audit_),
                email=True,
            )


ENTAILS: dict[str, Callable[[Any, User, str], None]] = {
    "start": _started,
    "finish_fieldwork": _fieldwork_done,
    "issue_report": _reported,
}
