"""The ISO/IEC 27001 Statement of Applicability (6.1.3 d): prepared from the register as a
draft, refreshed while a draft, approved by a signature that covers the frozen snapshot,
superseded by the next approved revision. A new revision may be made under a change request
(linked "implements"), since changing the SoA is a change to the ISMS.

Exports are the auditors' usual sheet: one row per Annex A control with its theme,
applicability, justification, implementation status, owner and evidence, under a header
with the organisation, the SoA's number and revision, and who approved it when.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from qualitas.compliance import coverage as cov
from qualitas.compliance.models import Implementation, Requirement, Scope
from qualitas.compliance.services import require_manage
from qualitas.compliance.soa_models import StatementOfApplicability
from qualitas.compliance.soa_workflows import State
from qualitas.core import audit, events, links, records, workflow
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import LinkKind, Meaning, Signature, User

FRAMEWORK_KEY = "iso-27001-2022"
RECORD_TYPE_KEY = "soa"
# The four themes of ISO/IEC 27001:2022 Annex A, by clause.
THEMES = {"A.5": "Organizational", "A.6": "People", "A.7": "Physical", "A.8": "Technological"}
IMPLEMENTATION_LABELS = dict(Implementation.choices)


def theme_of(ref_id: str) -> str:
    return THEMES.get(".".join(ref_id.split(".")[:2]), "")


def is_control(requirement: Requirement) -> bool:
    """An Annex A control (A.5.1 … A.8.34), not a theme heading or a clause 4-10."""
    ref_id = requirement.ref_id
    return requirement.auditable and ref_id.startswith("A.") and ref_id.count(".") == 2


def take_snapshot(scope: Scope) -> list[dict[str, Any]]:
    """Each Annex A control as the register has it now, in the standard's order."""
    rows = []
    for row in cov.coverage(scope).rows:
        requirement = row.requirement
        if not is_control(requirement):
            continue
        said = row.applicability
        applicable = said is None or said.applicable
        implementation = said.implementation if said else Implementation.NOT_STARTED
        rows.append(
            {
                "ref_id": requirement.ref_id,
                "title": requirement.title,
                "theme": theme_of(requirement.ref_id),
                "applicable": applicable,
                "justification": said.justification if said else "",
                "implementation": implementation if applicable else "",
                "owner": said.owner.printed_name if said and said.owner else "",
                "coverage": row.label,
                "evidence": [
                    {
                        "kind": shown.kind,
                        "reference": shown.reference,
                        "label": shown.label,
                        "current": shown.current,
                        "why": shown.why,
                    }
                    for shown in row.evidence
                ],
            }
        )
    return rows


def _record_type() -> records.RecordType:
    return records.RECORD_TYPES[RECORD_TYPE_KEY]


def _check_scope(scope: Scope) -> None:
    if scope.framework.key != FRAMEWORK_KEY:
        raise InvalidInput.for_field(
            "scope",
            f"A Statement of Applicability is made for ISO/IEC 27001:2022; {scope} is a scope "
            f"of {scope.framework.name}.",
        )


def _change_request(actor: User, number: str) -> Any:
    found = records.find_by_number(actor, number.strip())
    if found is None or records.type_of(found).key != "changerequest":
        raise InvalidInput.for_field(
            "change_request_number", f"No change request {number.strip()} that you may see."
        )
    return found


@audit.service
def prepare_soa(
    scope: Scope, *, actor: User, change_request_number: str = ""
) -> StatementOfApplicability:
    """The scope's next SoA revision, as a draft taken from the register now; linked as
    implementing the change request when one is named."""
    _check_scope(scope)
    require_manage(actor, scope.site)
    # One preparer at a time per scope (the scope's row locked to the commit).
    list(Scope.objects.select_for_update().filter(pk=scope.pk).order_by("pk").values("pk"))
    mine = StatementOfApplicability.objects.filter(scope=scope)
    draft = mine.filter(state=State.DRAFT).first()
    if draft is not None:
        raise Conflict(
            f"{draft.number} (revision {draft.revision}) is still a draft for {scope}: "
            "approve or withdraw it before preparing another."
        )
    change = _change_request(actor, change_request_number) if change_request_number else None
    last = mine.exclude(state=State.WITHDRAWN).aggregate(n=Max("revision"))["n"] or 0
    current = mine.filter(state=State.APPROVED).order_by("-revision").first()
    where = scope.site.name if scope.site else "whole organisation"
    soa: StatementOfApplicability = records.create(
        _record_type(),
        actor=actor,
        title=f"Statement of Applicability, {scope.framework.name}, {where}, revision {last + 1}",
        computed={
            "scope": scope,
            "site": scope.site,
            "revision": last + 1,
            "snapshot": take_snapshot(scope),
            "taken_at": timezone.now(),
            "taken_by": actor,
            "supersedes": current,
        },
    )
    if change is not None:
        links.add(soa, actor=actor, target=change, kind=LinkKind.IMPLEMENTS)
    return soa


@audit.service
def refresh(
    soa: StatementOfApplicability, *, actor: User, expected_version: int | None = None
) -> StatementOfApplicability:
    """Take the draft's snapshot from the register again ("Refresh from the register")."""
    with records.locked(soa, expected_version) as current:
        if current.state != State.DRAFT:
            raise records.RecordLocked(
                f"{current.number} is {current.get_state_display()}: its content is what was "
                "signed and no longer changes. Prepare the next revision instead."
            )
        records.require_for(actor, _record_type().permissions.edit, current)
        current.snapshot = take_snapshot(current.scope)
        current.taken_at = timezone.now()
        current.taken_by = actor
        records.touch(current, actor)
    events.publish(
        events.RecordChanged(RECORD_TYPE_KEY, current.pk, actor.pk, ("snapshot", "taken_at"))
    )
    refreshed: StatementOfApplicability = current
    return refreshed


def approved(soa: Any, actor: User, comment: str) -> None:
    """Entailed by the approval signature: the date, and the revision it replaces goes to
    superseded (the scope has one approved SoA at a time)."""
    soa.approved_at = timezone.now()
    records.touch(soa, actor)
    earlier = StatementOfApplicability.objects.filter(
        scope_id=soa.scope_id, state=State.APPROVED
    ).exclude(pk=soa.pk)
    for previous in earlier:
        workflow.fire(
            previous,
            "supersede",
            actor=actor,
            comment=f"Superseded by {soa.number} (revision {soa.revision})",
            by_service=True,
        )


ENTAILS: dict[str, Callable[[Any, Any, str], None]] = {"approve": approved}

UNSIGNED = ("approved_at",)


def preparers(soa: Any) -> list[int]:
    """Who prepared the content: whoever raised the draft and whoever last refreshed it."""
    return [pk for pk in {soa.created_by_id, soa.taken_by_id} if pk is not None]


def approval(soa: StatementOfApplicability) -> Signature | None:
    """The approval signature, if the SoA was approved."""
    found = [s for s in soa.signatures.all() if s.meaning == Meaning.APPROVED]
    return found[-1] if found else None


def current_for(scope: Scope) -> dict[str, Any]:
    """The scope's approved SoA and open draft, for the coverage page."""
    open_or_approved = StatementOfApplicability.objects.filter(scope=scope).filter(
        Q(state=State.APPROVED) | Q(state=State.DRAFT)
    )
    found = {soa.state: soa for soa in open_or_approved}
    return {"approved": found.get(State.APPROVED), "draft": found.get(State.DRAFT)}


# --- Exports -----------------------------------------------------------------------------------

COLUMNS = [
    "Control",
    "Control title",
    "Theme",
    "Applicable",
    "Justification (inclusion or exclusion)",
    "Implementation status",
    "Owner",
    "Evidence",
]


def evidence_text(row: dict[str, Any]) -> str:
    return "; ".join(
        f"{e['reference'] or e['label']} ({'current' if e['current'] else 'not current'}: "
        f"{e['why']})"
        for e in row["evidence"]
    )


def header(soa: StatementOfApplicability) -> list[tuple[str, str]]:
    """The header block: organisation and site, number, revision, approval."""
    signature = approval(soa)
    scope = soa.scope
    return [
        ("Site", scope.site.name if scope.site else "Whole organisation"),
        ("Framework", scope.framework.name),
        ("Scope statement", scope.statement),
        ("Statement of Applicability", soa.number),
        ("Revision", str(soa.revision)),
        ("State", soa.get_state_display()),
        ("Supersedes", soa.supersedes.number if soa.supersedes else ""),
        ("Approved by", signature.printed_name if signature else "Not approved"),
        ("Approved on", f"{signature.signed_at:%Y-%m-%d %H:%M} UTC" if signature else ""),
    ]


def export_rows(soa: StatementOfApplicability) -> list[list[object]]:
    """The header block, a blank line, then the column titles and one row per control."""
    rows: list[list[object]] = [[label, value] for label, value in header(soa)]
    rows.append([])
    rows.append(list(COLUMNS))
    for row in soa.snapshot:
        rows.append(
            [
                row["ref_id"],
                row["title"],
                row["theme"],
                "Yes" if row["applicable"] else "No",
                row["justification"],
                IMPLEMENTATION_LABELS.get(row["implementation"], "") if row["applicable"] else "",
                row["owner"],
                evidence_text(row),
            ]
        )
    return rows
