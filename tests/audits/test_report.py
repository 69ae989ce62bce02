"""The audit report: what the lead auditor's signature covers (criteria, team, checklist
answers, findings as graded) and the PDF in the ISO 19011 6.5.1 shape, a draft until signed."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from qualitas.audits import report, services
from qualitas.audits.models import Audit, ChecklistItem
from qualitas.core import audit, records, signatures, workflow
from qualitas.core.models import User
from tests.audits.conftest import sign

pytestmark = pytest.mark.django_db

STATEMENT = "Torque wrench TW-12 used 40 days past its calibration date."


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def reporting(planned_audit: Audit, qm: User, auditor: User, auditee: User) -> Audit:
    """The planned audit taken through its fieldwork: two questions answered, a minor
    nonconformity found, the report written, the auditee on the distribution."""
    with audit.context(actor=None, actor_name="test fixture"):
        for n, answer in enumerate(("conforming", "minor_nc")):
            ChecklistItem.objects.create(
                audit=planned_audit, order=n, question=f"Question {n}", answer=answer
            )
    current = services.change_audit(
        planned_audit,
        actor=qm,
        expected_version=planned_audit.version,
        objectives="Confirm machining follows its work instructions.",
    )
    current = services.set_distribution(
        current,
        actor=qm,
        people=[auditee],
        external="Registrar: audits@example.org",
        expected_version=current.version,
    )
    workflow.fire(Audit.objects.get(pk=current.pk), "prepare", actor=qm)
    workflow.fire(Audit.objects.get(pk=current.pk), "start", actor=auditor)
    records.create(
        records.RECORD_TYPES["auditfinding"],
        actor=auditor,
        title="Calibration overdue",
        statement=STATEMENT,
        objective_evidence="Label on TW-12: due 2026-01-30.",
        computed={"audit": current, "grade": "minor_nc", "site": current.site},
    )
    workflow.fire(Audit.objects.get(pk=current.pk), "finish_fieldwork", actor=auditor)
    current = Audit.objects.get(pk=current.pk)
    return services.change_audit(
        current,
        actor=auditor,
        expected_version=current.version,
        summary="Machining mostly follows its instructions.",
        conclusion="Effective, with one minor nonconformity.",
    )


def test_signed_content_names_what_the_report_says(reporting: Audit) -> None:
    content = report.signed_content(reporting)
    assert content["criteria"] == [
        "iso-9001-2015 7.1.5",
        "iso-9001-2015 8.5.1",
        "iso-9001-2015 8.7",
    ]
    assert content["auditee_departments"] == ["PROD"]
    assert [row[2] for row in content["checklist"]] == ["conforming", "minor_nc"]
    [finding] = content["findings"]
    assert finding[1:3] == ["minor_nc", STATEMENT]


def test_changing_a_finding_after_signing_breaks_the_report_signature(
    reporting: Audit, auditor: User
) -> None:
    signed = workflow.fire(reporting, "issue_report", actor=auditor, signature=sign(auditor))
    [signature] = signed.signatures.filter(transition="issue_report")
    assert signatures.is_valid(signature, Audit.objects.get(pk=signed.pk))
    finding = signed.findings.get()
    with audit.context(actor=None, actor_name="test fixture"):
        finding.statement = "Something milder."
        finding.save()
    assert not signatures.is_valid(signature, Audit.objects.get(pk=signed.pk))


def test_draft_report_pdf(reporting: Audit, qm: User, client_for) -> None:
    response = client_for(qm).get(f"/audits/{reporting.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = text_of(response.content)
    for expected in (
        "Audit report",
        "Machining and assembly, both shifts",  # the scope
        "Confirm machining follows its work instructions.",  # the objectives
        "8.5.1",
        "Production",
        "Auditor Tester",
        "Lead auditor",
        "Minor nonconformity",
        "TW-12 used 40 days",
        "Label on TW-12",
        "Effective, with one minor nonconformity.",
        "Registrar: audits@example.org",
        "Auditee Tester",
        "Draft — not signed",
    ):
        assert expected in text, expected


def test_signed_report_pdf_through_the_api(reporting: Audit, auditor: User, api_for) -> None:
    workflow.fire(reporting, "issue_report", actor=auditor, signature=sign(auditor))
    response = api_for(auditor).get(f"/audits/{reporting.pk}/report.pdf")
    assert response.status_code == 200
    text = text_of(response.content)
    assert "Draft — not signed" not in text
    assert "Signature of the lead auditor" in text
    assert "Approved" in text and "Auditor Tester" in text
