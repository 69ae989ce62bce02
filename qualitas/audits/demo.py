"""The demo's audits: Sheffield's approved programme for this year, with audits in every
state, a certification body's surveillance audit whose two minor findings drive CAPAs, the
auditors qualified through the training module's ISO 19011 course, and a question bank.

Dates run relative to today, so the demo tells the same story whenever it is loaded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django.utils import timezone

from qualitas.audits import checklists, findings, programmes, question_banks, services
from qualitas.audits.models import Audit, AuditProgramme
from qualitas.core import signatures, workflow
from qualitas.core.models import Department, Site, User

BODY = "Northern Certification Ltd"
COURSE = "internal-auditor"
# Who holds the internal auditor course (ISO 19011 training, renewed every three years).
AUDITORS = ("tbecker", "hmarsh", "oprice", "acosta", "dfischer")

# subject, kind, type, risk, department, criteria (framework, ref ids), months from now
ENTRIES: list[tuple[str, str, str, str, str, tuple[tuple[str, str], ...], tuple[int, ...]]] = [
    (
        "Calibration and measuring equipment",
        "clause",
        "process",
        "high",
        "QA",
        (("iso-9001-2015", "7.1.5"),),
        (-10, -4),
    ),
    (
        "Document and record control",
        "clause",
        "internal",
        "medium",
        "QA",
        (("iso-9001-2015", "7.5"), ("iso-13485-2016", "4.2.4")),
        (-8,),
    ),
    (
        "CNC machining and assembly",
        "process",
        "process",
        "high",
        "OPS",
        (("iso-9001-2015", "8.5.1"), ("iso-9001-2015", "8.7")),
        (-9, -3),
    ),
    (
        "Purchasing and supplier control",
        "process",
        "internal",
        "medium",
        "SCM",
        (("iso-9001-2015", "8.4"), ("iso-13485-2016", "7.4")),
        (-1,),
    ),
    (
        "Design and development of implant components",
        "process",
        "internal",
        "medium",
        "MED",
        (("iso-13485-2016", "7.3"),),
        (0,),
    ),
    (
        "Internal audit and management review",
        "clause",
        "internal",
        "low",
        "QA",
        (("iso-9001-2015", "9.2"), ("iso-9001-2015", "9.3")),
        (0,),
    ),
    (
        "Precision Castings Ltd (castings supplier)",
        "supplier",
        "supplier",
        "medium",
        "SCM",
        (("iso-9001-2015", "8.4"),),
        (-6,),
    ),
    (
        "Clean-room line for implant components",
        "process",
        "process",
        "high",
        "MED",
        (("iso-13485-2016", "6.4"), ("iso-13485-2016", "7.5")),
        (1,),
    ),
    (
        f"Surveillance audit by {BODY}",
        "clause",
        "external",
        "medium",
        "QA",
        (("iso-9001-2015", "8.5.1"), ("iso-13485-2016", "8.2.2"), ("iso-9001-2015", "7.1.5")),
        (-1,),
    ),
]


def _proof(user: User) -> signatures.SignatureToken:
    # Generated demo history: the loader vouches for its own signers instead of hashing their
    # password for every step. Real signatures always re-enter the password.
    return signatures.SignatureToken(user.pk, timezone.now())


def load() -> None:
    people = {
        u.username: u
        for u in User.objects.filter(
            username__in=[*AUDITORS, "rmensah", "jokafor", "mkowalski", "pnair"]
        )
    }
    site = Site.objects.filter(code="SHF").first()
    if site is None or "hmarsh" not in people or AuditProgramme.objects.exists():
        return  # not the demo company, or loaded already
    _qualify_auditors(people)
    bank = _question_bank(people["tbecker"])
    programme = _programme(site, people)
    _audits(programme, people, bank)


def _qualify_auditors(people: dict[str, User]) -> None:
    """The ISO 19011 course, completed by the five people who audit: the audits module
    reads qualification from it (the auditor role alone no longer qualifies once it exists).
    The engineers who audit other departments also hold the auditor role at Sheffield, which
    lets them record findings."""
    from qualitas.core import services as core_services
    from qualitas.core.models import Role
    from qualitas.training import services as training

    qm = people["hmarsh"]
    sheffield = Site.objects.get(code="SHF")
    auditor = Role.objects.get(code="auditor")
    for username in ("acosta", "dfischer"):
        core_services.grant_role(
            people[username], actor=core_services.system_user(), role=auditor, site=sheffield
        )
    course = training.create_course(
        actor=qm,
        code=COURSE,
        title="Internal auditor (ISO 19011)",
        kind="external",
        validity_months=36,
        description="Two-day internal auditor course and one audit shadowed.",
    )
    today = timezone.localdate()
    for n, username in enumerate(AUDITORS):
        person = people[username]
        record = training.assign_training(actor=qm, person=person, course=course)
        training.complete_training(
            record,
            actor=person,
            signature=_proof(person),
            completed_on=today - timedelta(days=200 + 90 * n),
        )


def _question_bank(author: User) -> Any:
    return question_banks.create_bank(
        actor=author,
        name="Shop-floor process audit",
        description="Asked at every machining, assembly and clean-room process audit.",
        questions=[
            "Is the current revision of the work instruction at the workstation?",
            "Are the operators trained on it (ask two, check the training records)?",
            "Are gauges in use within calibration and identified?",
            "Is nonconforming product segregated and labelled?",
            "Are the process records for the last three lots complete and signed?",
        ],
    )


def _month_start(year: int, month: int) -> date:
    return date(year, min(max(month, 1), 12), 1)


def _requirement_ids(criteria: tuple[tuple[str, str], ...]) -> list[int]:
    from qualitas.compliance import queries as compliance

    return compliance.requirement_ids_by_ref(list(criteria))


def _programme(site: Site, people: dict[str, User]) -> AuditProgramme:
    qm, director = people["hmarsh"], people["rmensah"]
    today = timezone.localdate()
    departments = {d.code: d for d in Department.objects.all()}
    programme = programmes.create_programme(
        actor=qm,
        title=f"Sheffield Works audit programme {today.year}",
        year=today.year,
        site=site,
        approach=(
            "Every ISO 9001 and ISO 13485 process once a year; machining, calibration and the "
            "clean room twice (high risk: customer escapes last year, implant line). Supplier "
            "audits for critical suppliers; the certification body's surveillance visit."
        ),
    )
    for subject, kind, audit_type, risk, department, criteria, offsets in ENTRIES:
        programmes.add_entry(
            programme,
            actor=qm,
            subject=subject,
            subject_kind=kind,
            audit_type=audit_type,
            risk=risk,
            planned_months=sorted(
                {_month_start(today.year, today.month + o).month for o in offsets}
            ),
            department=departments[department],
            requirement_ids=_requirement_ids(criteria),
        )
    moved = workflow.fire(programme, "approve", actor=director, signature=_proof(director))
    return cast(AuditProgramme, moved)


def _audits(programme: AuditProgramme, people: dict[str, User], bank: Any) -> None:
    qm, tom, owen, ana, david = (
        people[u] for u in ("hmarsh", "tbecker", "oprice", "acosta", "dfischer")
    )
    heads = {"OPS": people["jokafor"], "SCM": people["mkowalski"], "QA": people["pnair"]}
    entries = list(programme.entries.order_by("order", "id"))
    by_subject = {e.subject: e for e in entries}
    today = timezone.localdate()

    def scheduled(subject: str, offset: int, lead: User, **extra: Any) -> Audit:
        entry = by_subject[subject]
        month = _month_start(today.year, today.month + offset).month
        found = programmes.schedule_audit(entry, actor=qm, month=month, lead_auditor=lead)
        contact = heads.get(entry.department.code if entry.department else "")
        changes = {"auditee_contact": contact, **extra} if contact else extra
        if changes:
            found = services.change_audit(
                found, actor=qm, expected_version=found.version, **changes
            )
        return found

    # Calibration, early in the year: all conforming, closed.
    _closed(scheduled("Calibration and measuring equipment", -10, ana), ana, qm, [])
    # Document control: an opportunity for improvement, answered and closed.
    _closed(
        scheduled(
            "Document and record control",
            -8,
            ana,
            scope="Controlled documents, records, e-signatures",
        ),
        ana,
        qm,
        [
            (
                "ofi",
                "Periodic reviews are done but the review comments are not recorded in one place.",
            )
        ],
    )
    # Machining, first visit: an observation, closed with the supervisor's response.
    _closed(
        scheduled("CNC machining and assembly", -9, tom, scope="Cells 1-4, both shifts"),
        tom,
        qm,
        [("observation", "Two torque wrenches in cell 3 had no calibration label visible.")],
        bank,
    )
    # Calibration, second visit: signed off, waiting for its follow-up (an observation).
    _reported(
        scheduled("Calibration and measuring equipment", -4, david),
        david,
        [("observation", "The calibration register shows gauge GA-0112 twice under two ids.")],
    )
    # Machining, second visit: a minor nonconformity with its CAPA under way.
    _reported(
        scheduled("CNC machining and assembly", -3, tom, scope="Cells 1-4, night shift"),
        tom,
        [
            (
                "minor_nc",
                "First-off inspection for lot 2611 on cell 2 was signed after the run had "
                "started (8.5.1 c: monitoring at the appropriate stages).",
            )
        ],
        bank,
    )
    # The supplier visit was cancelled: the supplier moved site; re-planned next year.
    supplier = scheduled(
        "Precision Castings Ltd (castings supplier)",
        -6,
        owen,
        audited_organisation="Precision Castings Ltd",
    )
    workflow.fire(
        supplier,
        "cancel",
        actor=qm,
        comment="The supplier moved its foundry to Rotherham in June; audit the new site next year.",
    )
    # Purchasing: fieldwork done, the lead auditor writing the report.
    purchasing = scheduled("Purchasing and supplier control", -1, owen)
    _fieldwork(purchasing, owen, [])
    # Design and development: in progress, half the checklist answered.
    design = scheduled("Design and development of implant components", 0, tom)
    _start(design, tom)
    for item in list(design.checklist.order_by("order", "id"))[
        : max(1, design.checklist.count() // 2)
    ]:
        checklists.answer(
            item,
            actor=tom,
            answer="conforming",
            notes="Design file DHF-07 reviewed.",
            expected_revision=item.revision,
        )
    # Internal audit and management review: prepared (audited by Engineering's Ana Costa).
    internal = scheduled("Internal audit and management review", 0, ana)
    checklists.generate(internal, actor=qm, expected_version=internal.version)
    internal.refresh_from_db()
    workflow.fire(internal, "prepare", actor=qm)
    # Clean room: planned for next month, no checklist yet.
    scheduled("Clean-room line for implant components", 1, ana)
    # The certification body's surveillance audit: two minor findings driving CAPAs.
    certification = scheduled(
        f"Surveillance audit by {BODY}",
        -1,
        qm,
        audited_organisation="",
        external_team=f"J. Whitfield (lead), S. Oduya — {BODY}",
        scope="ISO 9001:2015 and ISO 13485:2016 surveillance, Sheffield Works",
    )
    _reported(
        certification,
        qm,
        [
            (
                "minor_nc",
                "Complaint CMP-0031 was closed without recording why no investigation was "
                "needed (ISO 13485 8.2.2).",
            ),
            (
                "minor_nc",
                "Two micrometers on the medical line were used three days past their "
                "calibration due date (ISO 9001 7.1.5.2).",
            ),
        ],
    )


def _start(found: Audit, lead: User, bank: Any = None) -> Audit:
    # The audit's owner (the quality manager who planned it) prepares the checklist.
    checklists.generate(
        found,
        actor=found.owner,
        bank_ids=[bank.pk] if bank else (),
        expected_version=found.version,
    )
    found.refresh_from_db()
    found = workflow.fire(found, "prepare", actor=lead)
    if found.planned_start and found.planned_start < timezone.localdate():
        # Held on its planned days: the history is recorded as it happened.
        found = services.change_audit(
            found,
            actor=found.owner,
            expected_version=found.version,
            started_on=found.planned_start,
        )
    moved = workflow.fire(found, "start", actor=lead)
    return cast(Audit, moved)


def _items_for(statements: list[str], items: list[Any]) -> list[Any]:
    """The checklist question each finding answers: the one whose requirement the statement
    cites (the longest id that matches), else the first not taken."""
    chosen: list[Any] = []
    for statement in statements:
        free = [i for i in items if i not in chosen]
        cited = [i for i in free if i.requirement is not None and i.requirement.ref_id in statement]
        cited.sort(key=lambda i: -len(i.requirement.ref_id))
        chosen.append(cited[0] if cited else free[0])
    return chosen


def _fieldwork(found: Audit, lead: User, graded: list[tuple[str, str]], bank: Any = None) -> Audit:
    """Answer the whole checklist (a finding's item graded as the finding), record the
    findings and finish fieldwork."""
    found = _start(found, lead, bank)
    items = list(found.checklist.select_related("requirement").order_by("order", "id"))
    chosen = _items_for([statement for _, statement in graded], items)
    grade_of = {item.pk: grade for item, (grade, _) in zip(chosen, graded, strict=True)}
    for item in items:
        checklists.answer(
            item,
            actor=lead,
            answer=grade_of.get(item.pk, "conforming"),
            notes="Sampled three records.",
            expected_revision=item.revision,
        )
    found.refresh_from_db()
    for item, (grade, statement) in zip(chosen, graded, strict=True):
        findings.record_finding(
            found,
            actor=lead,
            grade=grade,
            statement=statement,
            checklist_item=item,
            requirement_id=item.requirement_id,
            objective_evidence="Seen on the shop floor and in the records, with the auditee.",
        )
    found.refresh_from_db()
    if found.started_on and found.started_on < timezone.localdate():
        found = services.change_audit(
            found,
            actor=found.owner,
            expected_version=found.version,
            ended_on=found.started_on + timedelta(days=1),
        )
    moved = workflow.fire(found, "finish_fieldwork", actor=lead)
    return cast(Audit, moved)


def _reported(found: Audit, lead: User, graded: list[tuple[str, str]], bank: Any = None) -> Audit:
    found = _fieldwork(found, lead, graded, bank)
    found = services.change_audit(
        found,
        actor=lead,
        expected_version=found.version,
        summary=f"{found.checklist.count()} questions audited; {len(graded)} finding(s).",
        conclusion=(
            "The process conforms to the criteria and is effectively implemented, "
            "subject to the findings listed."
            if graded
            else "The process conforms to the criteria and is effectively implemented."
        ),
    )
    moved = workflow.fire(found, "issue_report", actor=lead, signature=_proof(lead))
    return cast(Audit, moved)


def _closed(
    found: Audit, lead: User, verifier: User, graded: list[tuple[str, str]], bank: Any = None
) -> Audit:
    found = _reported(found, lead, graded, bank)
    for finding in found.findings.filter(state="open"):
        workflow.fire(finding, "close", actor=verifier, comment="Response received and accepted.")
    found.refresh_from_db()
    moved = workflow.fire(found, "close", actor=verifier)
    return cast(Audit, moved)
