"""Coverage of a framework within a scope: per requirement, covered / partly / not covered /
not applicable, computed from its applicability and the state of its evidence now.

Evidence counts while it is current: a controlled document while a revision of it is in
force (an obsolete or withdrawn one is not evidence), a quality record unless it was
cancelled, rejected or withdrawn, an automated check while it passes and ran within twice its
interval, a written justification always. A requirement is covered with at least one current
piece, partly covered with evidence none of which is current (or when its owner marks it
partly implemented), not covered without evidence. A heading is what its requirements are:
covered when all applicable ones are, not covered when none is even partly, else partly.

Evidence given for an *equivalent* requirement of another framework (by a shipped or an
organisation's correspondence) at the same site counts too, shown as coming through it: a
purchasing procedure that meets ISO 13485 7.4 meets ISO 9001 8.4 as well.

A fixed number of queries per scope, whatever the size of the framework: requirements,
applicability, evidence, the equivalent requirements and their evidence, documents, checks,
and one per record type named.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from qualitas.compliance.check_models import CheckState, ComplianceCheck
from qualitas.compliance.models import (
    Applicability,
    Evidence,
    EvidenceKind,
    Implementation,
    Relation,
    Requirement,
    RequirementMapping,
    Scope,
)
from qualitas.core import records
from qualitas.documents import queries as documents

COVERED = "covered"
PARTLY = "partly"
NOT_COVERED = "not_covered"
NOT_APPLICABLE = "not_applicable"
STATES = (COVERED, PARTLY, NOT_COVERED, NOT_APPLICABLE)
LABELS = {
    COVERED: "Covered",
    PARTLY: "Partly covered",
    NOT_COVERED: "Not covered",
    NOT_APPLICABLE: "Not applicable",
}

# A record in one of these states no longer shows anything.
VOID_STATES = frozenset({"cancelled", "rejected", "withdrawn", "obsolete", "superseded"})


@dataclass(frozen=True)
class Shown:
    """One piece of evidence as coverage judged it."""

    kind: str  # document, record, justification, check
    reference: str  # document or record number, check key, or "" for a justification
    label: str  # what to show
    current: bool
    why: str  # in force / passing / cancelled / obsolete …
    url: str = ""
    evidence_id: int | None = None  # None for a check (its mapping is on the check)


@dataclass
class Row:
    requirement: Requirement
    state: str = NOT_COVERED
    reason: str = ""
    applicability: Applicability | None = None
    evidence: list[Shown] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.state]


@dataclass
class Coverage:
    scope: Scope
    rows: list[Row]
    totals: dict[str, int]

    @property
    def applicable(self) -> int:
        return sum(n for state, n in self.totals.items() if state != NOT_APPLICABLE)

    @property
    def percent(self) -> float | None:
        """Share of the applicable auditable requirements covered; None when there are none."""
        if not self.applicable:
            return None
        return 100.0 * self.totals.get(COVERED, 0) / self.applicable

    def gaps(self) -> list[Row]:
        """Auditable requirements not (fully) covered, in the standard's order."""
        return [
            r for r in self.rows if r.requirement.auditable and r.state in (PARTLY, NOT_COVERED)
        ]


# What judging reads of a piece of evidence: read as plain rows (a scope of a large framework
# holds thousands; model instances cost ten times more to load, and nothing is saved).
PIECE = ("pk", "requirement_id", "kind", "document_id", "record_type", "record_id",
         "reference", "note")  # fmt: skip


def _documents(rows: list[Any]) -> dict[int, Any]:
    ids = {e.document_id for e in rows if e.kind == EvidenceKind.DOCUMENT and e.document_id}
    if not ids:
        return {}
    return {d.id: d for d in documents.controlled_documents(ids=ids).values()}


def _records(rows: list[Any]) -> dict[tuple[str, int], dict[str, Any]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in rows:
        if e.kind == EvidenceKind.RECORD and e.record_id:
            wanted[e.record_type].add(e.record_id)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for key, ids in wanted.items():
        record_type = records.RECORD_TYPES.get(key)
        if record_type is None:
            continue
        for row in record_type.model.objects.filter(pk__in=ids).values("pk", "state", "number"):
            row["resource"] = record_type.resource
            found[(key, row["pk"])] = row
    return found


def judge(evidence: Any, docs: dict[int, Any], recs: dict[tuple[str, int], Any]) -> Shown:
    """Whether one piece of evidence shows anything today, and why (or why not)."""
    if evidence.kind == EvidenceKind.DOCUMENT:
        doc = docs.get(evidence.document_id or 0)
        if doc is None:
            return _missing("document", evidence, "no longer in the register")
        in_force = doc.effective_revision_id is not None
        return Shown(
            "document",
            doc.number,
            f"{doc.number} {doc.title}",
            current=in_force,
            why=f"revision {doc.effective_label} in force"
            if in_force
            else "not in force (obsolete)",
            url=f"/documents/{doc.id}/",
            evidence_id=evidence.pk,
        )
    if evidence.kind == EvidenceKind.RECORD:
        rec = recs.get((evidence.record_type, evidence.record_id or 0))
        if rec is None:
            return _missing("record", evidence, "not found")
        void = rec["state"] in VOID_STATES
        return Shown(
            "record",
            rec["number"],
            rec["number"],
            current=not void,
            why=str(rec["state"]).replace("_", " "),
            url=f"/{rec['resource']}/{rec['pk']}/",
            evidence_id=evidence.pk,
        )
    return Shown(
        "justification", "", evidence.note, current=True, why="justified", evidence_id=evidence.pk
    )


def _missing(kind: str, evidence: Any, why: str) -> Shown:
    return Shown(
        kind, evidence.reference, evidence.reference, current=False, why=why,
        evidence_id=evidence.pk,
    )  # fmt: skip


def judge_check(check: ComplianceCheck, now: Any) -> Shown:
    fresh = check.last_run_at is not None and check.last_run_at >= now - timedelta(
        hours=2 * max(check.interval_hours, 1)
    )
    passing = check.last_state == CheckState.PASS
    if passing and fresh:
        why = f"passing (last run {timezone.localtime(check.last_run_at):%Y-%m-%d %H:%M})"
    elif passing:
        why = "passing, but not run on time"
    else:
        why = check.get_last_state_display().lower()
    return Shown(
        "check",
        check.key,
        check.name,
        current=passing and fresh,
        why=why,
        url=f"/compliance/checks/{check.key}/",
    )


def _equivalent_evidence(
    scope: Scope, requirement_ids: Any
) -> tuple[list[Any], dict[int, list[tuple[int, str]]]]:
    """Evidence given for requirements of other frameworks that correspond *equivalently*
    to this framework's (ISO 9001 8.4 and ISO 13485 7.4, by the shipped or the organisation's
    mappings), at the scope's site or everywhere; and, per such requirement, this
    framework's requirements it stands for with the name shown. Two queries always."""
    framework = scope.framework_id
    pairs = RequirementMapping.objects.filter(relation=Relation.EQUIVALENT).filter(
        Q(source__framework_id=framework) | Q(target__framework_id=framework)
    )
    if requirement_ids is not None:
        pairs = pairs.filter(Q(source_id__in=requirement_ids) | Q(target_id__in=requirement_ids))
    through: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (
        source,
        source_fw,
        source_name,
        source_ref,
        target,
        target_fw,
        target_name,
        target_ref,
    ) in pairs.values_list(
        "source_id",
        "source__framework_id",
        "source__framework__name",
        "source__ref_id",
        "target_id",
        "target__framework_id",
        "target__framework__name",
        "target__ref_id",
    ):
        if source_fw == target_fw:
            continue
        if source_fw == framework:
            through[target].append((source, f"{target_name} {target_ref}"))
        else:
            through[source].append((target, f"{source_name} {source_ref}"))
    same_site = Q(scope__isnull=True) | (
        Q(scope__site_id=scope.site_id) if scope.site_id else Q(scope__site__isnull=True)
    )
    mapped = Q(
        requirement__mapped_to__relation=Relation.EQUIVALENT,
        requirement__mapped_to__target__framework_id=framework,
    ) | Q(
        requirement__mapped_from__relation=Relation.EQUIVALENT,
        requirement__mapped_from__source__framework_id=framework,
    )
    found = (
        Evidence.objects.filter(removed_at__isnull=True)
        .exclude(requirement__framework_id=framework)
        .filter(mapped)
        .filter(same_site)
        .distinct()
        .order_by("added_at", "pk")
    )
    rows = [e for e in found.values_list(*PIECE, named=True) if e.requirement_id in through]
    return rows, dict(through)


def evidence_for(scope: Scope, requirement_ids: Any = None) -> dict[int, list[Shown]]:
    """Per requirement of the scope's framework, its evidence within the scope, judged."""
    found = Evidence.objects.filter(
        requirement__framework=scope.framework, removed_at__isnull=True
    ).filter(Q(scope=scope) | Q(scope__isnull=True))
    if requirement_ids is not None:
        found = found.filter(requirement_id__in=requirement_ids)
    rows = list(found.order_by("added_at", "pk").values_list(*PIECE, named=True))
    borrowed, through = _equivalent_evidence(scope, requirement_ids)
    docs, recs = _documents(rows + borrowed), _records(rows + borrowed)
    shown: dict[int, list[Shown]] = defaultdict(list)
    for evidence in rows:
        shown[evidence.requirement_id].append(judge(evidence, docs, recs))
    # Map once, show many: what shows an equivalent requirement met shows this one met too.
    for evidence in borrowed:
        theirs = judge(evidence, docs, recs)
        for ours, name in through.get(evidence.requirement_id, ()):
            shown[ours].append(
                replace(theirs, why=f"{theirs.why}; via equivalent {name}", evidence_id=None)
            )
    # Checks are evidence for the requirements they declare, at their site or everywhere;
    # each check is judged once, however many requirements it serves.
    declared = ComplianceCheck.requirements.through.objects.filter(
        requirement__framework=scope.framework, compliancecheck__active=True
    ).filter(Q(compliancecheck__site__isnull=True) | Q(compliancecheck__site=scope.site_id))
    if requirement_ids is not None:
        declared = declared.filter(requirement_id__in=requirement_ids)
    pairs = list(declared.values_list("requirement_id", "compliancecheck_id"))
    now = timezone.now()
    judged = {
        check.pk: judge_check(check, now)
        for check in ComplianceCheck.objects.filter(pk__in=declared.values("compliancecheck_id"))
    }
    for requirement_id, check_id in pairs:
        shown[requirement_id].append(judged[check_id])
    return shown


def coverage(scope: Scope) -> Coverage:
    """The scope's coverage, requirement by requirement, in the standard's order."""
    requirements = list(
        Requirement.objects.filter(framework=scope.framework, retired=False).order_by("order")
    )
    said = {
        a.requirement_id: a
        for a in Applicability.objects.filter(scope=scope).select_related("owner")
    }
    shown = evidence_for(scope)
    rows = {
        r.pk: Row(r, applicability=said.get(r.pk), evidence=shown.get(r.pk, []))
        for r in requirements
    }
    children: dict[int, list[Row]] = defaultdict(list)
    for requirement in requirements:
        if requirement.parent_id in rows:
            children[requirement.parent_id].append(rows[requirement.pk])
    # An excluded heading excludes everything under it (ISO 9001 8.3 takes 8.3.1-8.3.6 along);
    # the standard's order puts a heading before what it holds.
    excluded: dict[int, str] = {}
    for requirement in requirements:
        said_here = said.get(requirement.pk)
        if said_here is not None and not said_here.applicable:
            excluded[requirement.pk] = said_here.justification
        elif requirement.parent_id in excluded:
            parent = rows[requirement.parent_id].requirement
            excluded[requirement.pk] = f"Under {parent.ref_id}, which does not apply."
    # Deepest first, so a heading rolls up what its requirements already are.
    for requirement in sorted(requirements, key=lambda r: -r.depth):
        row = rows[requirement.pk]
        if requirement.pk in excluded:
            row.state, row.reason = NOT_APPLICABLE, excluded[requirement.pk]
            continue
        _state(row, children.get(requirement.pk, []))
    ordered = [rows[r.pk] for r in requirements]
    totals = Counter(r.state for r in ordered if r.requirement.auditable)
    return Coverage(scope, ordered, {state: totals.get(state, 0) for state in STATES})


def _state(row: Row, below: list[Row]) -> None:
    said = row.applicability
    if said is not None and not said.applicable:
        row.state, row.reason = NOT_APPLICABLE, said.justification
        return
    if not row.requirement.auditable and below:
        states = {r.state for r in below} - {NOT_APPLICABLE}
        if not states:
            row.state = NOT_APPLICABLE
        elif states == {COVERED}:
            row.state = COVERED
        elif states == {NOT_COVERED}:
            row.state = NOT_COVERED
        else:
            row.state = PARTLY
        return
    current = [e for e in row.evidence if e.current]
    if current and said is not None and said.implementation == Implementation.PARTLY:
        row.state, row.reason = PARTLY, "Marked partly implemented"
    elif current:
        row.state, row.reason = COVERED, ""
    elif row.evidence:
        row.state = PARTLY
        row.reason = "No current evidence: " + "; ".join(
            f"{e.reference or e.label} {e.why}" for e in row.evidence
        )
    else:
        row.state, row.reason = NOT_COVERED, "No evidence"
