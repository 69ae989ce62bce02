"""Demo change requests at Aldermoor: fifteen changes in every state of the workflow, among
them a second source for machined shaft SHF-2209, the calibration SOP's next revision, an
ERP release and an emergency change implemented before its approval."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qualitas.changes import checklists, services
from qualitas.changes.models import ChangeRequest
from qualitas.core import actions, signatures, workflow
from qualitas.core.models import Site, User
from qualitas.documents import queries as document_queries

SOP_TITLE = "Calibration and control of measuring equipment"

# (title, type, urgency, site, originator, reason, where it stands)
CHANGES: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "Second machining source for shaft SHF-2209",
        "supplier",
        "standard",
        "SHF",
        "mkowalski",
        "The only approved source for SHF-2209 is on allocation until Q3; a second source "
        "protects deliveries to the pump customer.",
        "board_review",
    ),
    (
        "Calibration SOP: add the CMM probe qualification",
        "document",
        "standard",
        "SHF",
        "jokafor",
        "Audit finding: probe qualification is done but not described.",
        "implementing",
    ),
    (
        "ERP release 24.2: new purchasing approval limits",
        "it_release",
        "standard",
        "LDS",
        "elund",
        "Finance raised the approval limits; the ERP must enforce them.",
        "verification",
    ),
    (
        "Bypass the failed coolant filter on CNC-3",
        "equipment",
        "emergency",
        "SHF",
        "jokafor",
        "The filter housing cracked; line 3 stops without a temporary bypass.",
        "emergency",
    ),
    (
        "Add a 100 % visual check at packing",
        "process",
        "standard",
        "SHF",
        "dfischer",
        "Two customer complaints about scratched housings in a month.",
        "draft",
    ),
    (
        "Merge goods-in and stores teams",
        "organisation",
        "minor",
        "SHF",
        "mkowalski",
        "One team receives and stores: fewer hand-overs, one owner of stock accuracy.",
        "draft",
    ),
    (
        "Replace the CMM probe head",
        "equipment",
        "standard",
        "SHF",
        "jokafor",
        "The probe head is out of support from the maker next year.",
        "impact_assessment",
    ),
    (
        "Change the implant pouch seal width",
        "product_design",
        "standard",
        "SHF",
        "dfischer",
        "The new sealer cannot hold the 6 mm seal width tolerance.",
        "impact_assessment",
    ),
    (
        "Switch to water-based coolant on the lathes",
        "process",
        "standard",
        "SHF",
        "jokafor",
        "Health and safety: operators report skin irritation.",
        "board_review",
    ),
    (
        "New surface roughness tester in the lab",
        "equipment",
        "standard",
        "SHF",
        "dfischer",
        "The old tester drifts; the new one reads Ra and Rz.",
        "approved",
    ),
    (
        "Move deburring before washing",
        "process",
        "standard",
        "SHF",
        "jokafor",
        "Burrs carried into the wash contaminate the bath.",
        "implementing",
    ),
    (
        "Gauge log form: add the calibration due date",
        "document",
        "minor",
        "SHF",
        "jokafor",
        "Operators cannot see when a gauge is due.",
        "closed",
    ),
    (
        "MES 3.4 release: lot genealogy report",
        "it_release",
        "standard",
        "LDS",
        "elund",
        "Customers ask for lot genealogy within 24 hours.",
        "closed",
    ),
    (
        "Drop the second anodise inspection",
        "product_design",
        "standard",
        "SHF",
        "dfischer",
        "The supplier's certificate covers the same check.",
        "rejected",
    ),
    (
        "Change the heat-treatment supplier",
        "supplier",
        "standard",
        "SHF",
        "mkowalski",
        "The current supplier's furnace is being replaced.",
        "withdrawn",
    ),
]


def _proof(user: User) -> signatures.SignatureToken:
    # Generated demo history: the loader vouches for its own signers instead of hashing
    # their password for every vote. Real signatures always re-enter the password.
    return signatures.SignatureToken(user.pk, timezone.now())


def _assess(cr: ChangeRequest, owner: User, sop: Any) -> ChangeRequest:
    answers = []
    for item in checklists.checklist(cr.change_type):
        if item == "documents" and sop is not None:
            answers.append(
                services.ImpactInput(item, "yes", "Describe the probe qualification.", [sop.pk])
            )
        elif item == "training":
            answers.append(
                services.ImpactInput(
                    item, "yes", "Brief everyone who works to it.", audiences=["CNC Operator"]
                )
            )
        elif item == "risk":
            answers.append(services.ImpactInput(item, "n_a", "No new hazard."))
        else:
            answers.append(services.ImpactInput(item, "no"))
    return services.set_impact(cr, actor=owner, answers=answers, expected_version=cr.version)


def _board(cr: ChangeRequest, people: dict[str, User], *, complete: bool) -> ChangeRequest:
    """Vote as the board of the type: the first member only, or every role it needs."""
    voters = {"quality-manager": "hmarsh", "approver": "acosta", "administrator": "spatel"}
    roles = checklists.board(cr.change_type).roles
    step = "board_approve" if cr.state == "board_review" else "approve_retrospectively"
    for role in roles if complete else roles[:1]:
        voter = people[voters[role]]
        cr = workflow.fire(cr, step, actor=voter, signature=_proof(voter), comment="Agreed")
    return cr


def load() -> None:
    if ChangeRequest.objects.exists():
        return
    people = {u.username: u for u in User.objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    qm = people["hmarsh"]
    sop = document_queries.visible_documents(qm).filter(title=SOP_TITLE).first()
    today = timezone.localdate()
    for title, change_type, urgency, site, originator, reason, stands in CHANGES:
        owner = people[originator]
        cr = services.raise_change_request(
            actor=owner,
            title=title,
            change_type=change_type,
            urgency=urgency,
            reason_for_change=reason,
            expected_benefit="See the reason.",
            site=sites[site],
            due_on=today + timedelta(days=60),
        )
        if stands == "draft":
            continue
        if stands == "emergency":
            workflow.fire(cr, "implement_now", actor=owner, comment="Line 3 is down.")
            continue
        cr = workflow.fire(cr, "assess", actor=owner)
        if stands == "withdrawn":
            workflow.fire(cr, "withdraw", actor=owner, comment="The supplier kept its furnace.")
            continue
        cr = _assess(cr, owner, sop if title.startswith("Calibration SOP") else None)
        if stands == "impact_assessment":
            continue
        cr = workflow.fire(cr, "submit_to_board", actor=owner)
        if stands == "rejected":
            approver = people["acosta"]
            workflow.fire(
                cr,
                "board_reject",
                actor=approver,
                signature=_proof(approver),
                comment="The certificate does not cover coating thickness.",
            )
            continue
        cr = _board(cr, people, complete=stands != "board_review")
        if stands in ("board_review", "approved"):
            continue
        cr = workflow.fire(cr, "implement", actor=owner)
        action = actions.assign(
            cr,
            actor=owner,
            title="Brief the people affected",
            due_on=today + timedelta(days=14),
            assignee=owner,
        )
        # The SOP's next revision, unless the documents demo has one under way already.
        revise = cr.title.startswith("Calibration SOP")
        if revise and sop is not None and document_queries.revision_in_progress(sop) is None:
            services.start_revision(cr, actor=owner, document_id=sop.pk)
        if stands == "implementing":
            continue
        actions.complete(action, actor=owner, note="Briefed at the shift meeting.")
        cr = workflow.fire(cr, "implemented", actor=owner)
        if stands == "closed":
            workflow.fire(
                cr, "close", actor=qm, signature=_proof(qm), comment="Checked on the floor."
            )
