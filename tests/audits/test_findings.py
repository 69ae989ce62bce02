"""Audit findings: finding → nonconformance → CAPA → follow-up verification, observations
closed with the auditee's response, who may record and verify, and bad input over the API."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from qualitas.audits import findings, services
from qualitas.audits.models import Audit, ChecklistItem, Finding
from qualitas.capa import services as capa_services
from qualitas.core import actions, audit, links, records, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import Notification, User
from tests.audits.conftest import requirement_ids, sign
from tests.factories import PASSWORD

TODAY = timezone.localdate()


@pytest.fixture
def fieldwork_audit(planned_audit: Audit, qm: User, auditor: User) -> Audit:
    """The planned audit with one checklist question on ISO 9001 8.5.1, prepared and started
    by its lead auditor."""
    with audit.context(actor=None, actor_name="test fixture"):
        ChecklistItem.objects.create(
            audit=planned_audit,
            requirement_id=requirement_ids()[0],
            question="Are work instructions available at the machines?",
        )
    prepared = workflow.fire(planned_audit, "prepare", actor=qm)
    started: Audit = workflow.fire(prepared, "start", actor=auditor)
    return started


def _minor(audit_: Audit, actor: User, **extra: Any) -> Finding:
    return findings.record_finding(
        audit_,
        actor=actor,
        grade="minor_nc",
        statement="Work instruction WI-12 at CNC-3 was revision B; revision C is in force.",
        objective_evidence="Seen at CNC-3 on the morning shift; operator J. Smith.",
        requirement_id=requirement_ids()[0],
        **extra,
    )


def _capa(finding: Finding) -> Any:
    return records.RECORD_TYPES["capa"].model.objects.get(pk=finding.capa_id)


def _capa_to_effectiveness(capa: Any, owner: User, approver: User) -> Any:
    """The auditee works the CAPA through the 8D steps to its effectiveness check."""
    capa = workflow.fire(capa, "investigate", actor=owner)
    capa = records.update(
        capa, actor=owner, expected_version=capa.version, containment_summary="WI-12 B withdrawn"
    )
    capa = workflow.fire(capa, "confirm_containment", actor=owner)
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        root_cause="Superseded copies are not collected at the machines",
        root_cause_category="method",
    )
    capa = workflow.fire(capa, "plan", actor=owner)
    action = actions.assign(
        capa, actor=owner, title="Collect superseded copies", assignee=owner, due_on=TODAY
    )
    capa = workflow.fire(
        capa, "approve_plan", actor=approver, signature=signatures.authenticate(approver, PASSWORD)
    )
    actions.complete(action, actor=owner, note="Copies collected; distribution list updated")
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="No superseded instruction at the next three walk-rounds",
        effectiveness_due_on=TODAY,
    )
    return workflow.fire(capa, "implemented", actor=owner)


def _close_capa(finding: Finding, owner: User, approver: User, qm: User) -> Any:
    capa = _capa_to_effectiveness(_capa(finding), owner, approver)
    capa = capa_services.record_effectiveness(
        capa, actor=qm, expected_version=capa.version, result="passed", evidence="3 rounds clean"
    )
    return workflow.fire(capa, "close", actor=qm, signature=sign(qm))


def _to_follow_up(audit_: Audit, qm: User, auditor: User) -> Audit:
    with audit.context(actor=None, actor_name="test fixture"):
        for item in audit_.checklist.all():
            item.answer = "minor_nc"
            item.answered_by = auditor
            item.answered_at = timezone.now()
            item.save()
    audit_ = workflow.fire(audit_, "finish_fieldwork", actor=auditor)
    audit_ = services.change_audit(
        audit_,
        actor=qm,
        expected_version=audit_.version,
        summary="Machining and assembly audited on both shifts.",
        conclusion="Effective, with one minor nonconformity on document control.",
    )
    followed: Audit = workflow.fire(audit_, "issue_report", actor=auditor, signature=sign(auditor))
    return followed


# --- Finding → nonconformance → CAPA -------------------------------------------------------


def test_a_minor_nc_raises_its_nonconformance_and_capa_for_the_auditee(
    fieldwork_audit: Audit, auditor: User, auditee: User, production: Any
) -> None:
    item = fieldwork_audit.checklist.get()
    finding = _minor(fieldwork_audit, auditor, checklist_item=item)

    assert finding.number.startswith("AF-")
    assert finding.state == "action"
    assert finding.owner == auditee
    assert finding.site == fieldwork_audit.site
    assert finding.department == production
    assert finding.checklist_item == item
    assert finding.due_on == TODAY + datetime.timedelta(days=90)
    assert finding.title.startswith("Minor nonconformity 8.5.1: Work instruction WI-12")
    nc = records.RECORD_TYPES["nonconformance"].model.objects.get(pk=finding.nonconformance_id)
    assert nc.number == finding.nonconformance_number
    assert (nc.source, nc.severity, nc.due_on) == ("internal_audit", "minor", finding.due_on)
    assert nc.requirement.startswith("iso-9001-2015 8.5.1")
    assert finding.number in nc.finding and "operator J. Smith" in nc.finding
    assert nc.department == production
    capa = _capa(finding)
    assert capa.number == finding.capa_number
    assert (capa.owner, capa.due_on, capa.state) == (auditee, finding.due_on, "initiated")
    # The NC is escalated to the CAPA, raised from the finding, which the CAPA addresses.
    assert links.linked(nc, kind="escalated_to", model=type(capa)) == [capa]
    assert links.linked(nc, kind="raised_from", model=Finding) == [finding]
    assert links.linked(finding, kind="addressed_by", model=type(capa)) == [capa]
    assert Notification.objects.filter(
        recipient=auditee, title__contains=finding.capa_number
    ).exists()


def test_a_major_nc_is_due_sooner_and_an_external_audit_raises_an_external_nc(
    fieldwork_audit: Audit, auditor: User, qm: User, settings: Any
) -> None:
    settings.QUALITAS_FINDING_DUE_DAYS = {"major_nc": 14}
    fieldwork_audit = services.change_audit(
        fieldwork_audit, actor=qm, expected_version=fieldwork_audit.version, audit_type="external"
    )

    finding = findings.record_finding(
        fieldwork_audit, actor=auditor, grade="major_nc", statement="No calibration records."
    )

    assert finding.due_on == TODAY + datetime.timedelta(days=14)
    assert finding.priority == "high"
    nc = records.RECORD_TYPES["nonconformance"].model.objects.get(pk=finding.nonconformance_id)
    assert (nc.source, nc.severity) == ("external_audit", "major")


def test_the_audit_trail_shows_the_finding_and_its_links(
    fieldwork_audit: Audit, auditor: User, api_for: Any
) -> None:
    finding = _minor(fieldwork_audit, auditor)

    rows = api_for(auditor).get(f"/audit-findings/{finding.pk}/history").json()

    assert (rows[0]["action"], rows[0]["actor_name"]) == ("create", "Auditor Tester")
    assert rows[0]["changes"]["grade"]["new"] == "minor_nc"
    kinds = [r["changes"]["kind"]["new"] for r in rows if r["subject"].startswith("recordlink")]
    assert kinds == ["raised_from", "addressed_by"]
    [handed] = [r for r in rows if r["action"] == "update"]
    assert handed["changes"]["capa_number"]["new"] == finding.capa_number
    assert handed["changes"]["owner"]["new_label"] == "Auditee Tester"
    assert rows[-1]["changes"]["transition"] == "raise_action"
    assert all(r["actor_name"] == "Auditor Tester" for r in rows)


# --- Follow-up verification ----------------------------------------------------------------


def test_finding_to_capa_to_verification_closes_the_finding_and_lets_the_audit_close(
    fieldwork_audit: Audit,
    qm: User,
    auditor: User,
    auditee: User,
    approver: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    finding = _minor(fieldwork_audit, auditor)
    audit_ = _to_follow_up(fieldwork_audit, qm, auditor)

    with django_capture_on_commit_callbacks(execute=True):
        _close_capa(finding, auditee, approver, qm)

    # The lead auditor hears the finding is ready for follow-up verification.
    assert Notification.objects.filter(
        recipient=auditor, title__contains=f"verify audit finding {finding.number}"
    ).exists()
    # The auditee who owns the correction does not verify it.
    with pytest.raises(PermissionDenied, match="separation of duties"):
        workflow.fire(finding, "verify", actor=auditee, signature=sign(auditee))

    finding = workflow.fire(
        finding,
        "verify",
        actor=auditor,
        comment="Walk-round 3: only revision C at the machines.",
        signature=sign(auditor),
    )

    assert finding.state == "closed"
    assert finding.verified_at is not None
    assert finding.verification_notes == "Walk-round 3: only revision C at the machines."
    [signature] = finding.signatures.all()
    assert (signature.meaning, signature.signer) == ("verified", auditor)
    assert signatures.is_valid(signature, Finding.objects.get(pk=finding.pk))
    assert Notification.objects.filter(
        recipient=qm, title__contains="the audit may be closed"
    ).exists()
    closed = workflow.fire(audit_, "close", actor=auditor)
    assert closed.state == "closed"
    with pytest.raises(Conflict, match="Closed"):
        _minor(closed, auditor)


def test_verification_is_refused_while_the_capa_is_open_or_not_effective(
    fieldwork_audit: Audit,
    qm: User,
    auditor: User,
    auditee: User,
    approver: User,
    api_for: Any,
) -> None:
    finding = _minor(fieldwork_audit, auditor)
    api = api_for(auditor)
    path = f"/audit-findings/{finding.pk}/transitions/verify"

    refused = api.post(path, {"password": PASSWORD, "comment": "Checked"})
    assert refused.status_code == 409
    assert f"{finding.capa_number} is initiated" in refused.json()["detail"]

    capa = _capa_to_effectiveness(_capa(finding), auditee, approver)
    capa_services.record_effectiveness(
        capa, actor=qm, expected_version=capa.version, result="failed", evidence="Found rev B"
    )
    refused = api.post(path, {"password": PASSWORD, "comment": "Checked"})
    assert refused.status_code == 409
    assert "found effective" in refused.json()["detail"]
    finding.refresh_from_db()
    assert finding.state == "action"
    assert not finding.signatures.exists()


def test_an_observation_is_closed_with_the_auditees_response(
    fieldwork_audit: Audit, auditor: User, auditee: User
) -> None:
    finding = findings.record_finding(
        fieldwork_audit,
        actor=auditor,
        grade="observation",
        statement="Tool-life counters are kept on paper at two machines.",
    )
    assert finding.state == "open"
    assert finding.nonconformance_id is None and finding.capa_id is None
    assert finding.due_on == TODAY + datetime.timedelta(days=60)
    with pytest.raises(Conflict):
        workflow.fire(finding, "verify", actor=auditor, signature=sign(auditor))

    closed = workflow.fire(
        finding, "close", actor=auditee, comment="Counters move into the MES in Q3."
    )

    assert closed.state == "closed"
    assert closed.response == "Counters move into the MES in Q3."


def test_an_nc_finding_is_not_closed_by_a_response(fieldwork_audit: Audit, auditor: User) -> None:
    finding = _minor(fieldwork_audit, auditor)
    with pytest.raises(Conflict, match="only possible from Open"):
        workflow.fire(finding, "close", actor=auditor, comment="Fixed")


# --- Who may record, and when ----------------------------------------------------------------


def test_an_outsider_may_not_record_a_finding(fieldwork_audit: Audit, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        _minor(fieldwork_audit, outsider)
    assert not Finding.objects.exists()
    assert not records.RECORD_TYPES["nonconformance"].model.objects.exists()


def test_a_contributor_on_the_team_of_no_audit_may_not_record(
    fieldwork_audit: Audit, auditee: User
) -> None:
    with pytest.raises(PermissionDenied):
        _minor(fieldwork_audit, auditee)


def test_a_planned_audit_takes_no_finding(planned_audit: Audit, auditor: User) -> None:
    with pytest.raises(Conflict, match="Planned"):
        _minor(planned_audit, auditor)
    assert not Finding.objects.exists()


def test_another_auditor_at_the_site_may_record(
    fieldwork_audit: Audit, production_auditor: User
) -> None:
    finding = _minor(fieldwork_audit, production_auditor)
    assert finding.created_by == production_auditor


def test_a_checklist_item_of_another_audit_is_refused(
    fieldwork_audit: Audit, planned_audit: Audit, auditor: User
) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        other = services.raise_audit(
            actor=fieldwork_audit.owner,
            title="Other",
            audit_type="internal",
            site=fieldwork_audit.site,
        )
        foreign = ChecklistItem.objects.create(audit=other, question="Elsewhere?")
    with pytest.raises(InvalidInput) as refused:
        _minor(fieldwork_audit, auditor, checklist_item=foreign.pk)
    assert [e.field for e in refused.value.errors] == ["checklist_item"]


# --- The API ---------------------------------------------------------------------------------


def test_record_and_list_findings_over_the_api(
    fieldwork_audit: Audit,
    auditor: User,
    auditee: User,
    api_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    api = api_for(auditor)
    base = f"/audits/{fieldwork_audit.pk}/findings"

    created = api.post(
        base,
        {
            "grade": "minor_nc",
            "statement": "Calibration label missing on gauge G-7.",
            "requirement_id": requirement_ids()[2],
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"].startswith("AF-")
    assert body["state"] == "action"
    assert body["requirement"] == "iso-9001-2015 7.1.5"
    assert body["owner_id"] == auditee.pk
    assert body["capa_number"] and body["nonconformance_number"]
    api.post(base, {"grade": "ofi", "statement": "Shadow boards would speed set-up."})

    api.get(base)  # warm up
    with django_assert_max_num_queries(12):
        listed = api.get(base)
    assert listed.status_code == 200
    assert [row["grade"] for row in listed.json()] == ["minor_nc", "ofi"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grade": "critical"}, "grade"),
        ({"requirement_id": 999999}, "requirement_id"),
        ({"statement": "   "}, "statement"),
        ({"owner": 999999}, "owner"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    fieldwork_audit: Audit, auditor: User, api_for: Any, change: dict[str, Any], field: str
) -> None:
    body = {"grade": "minor_nc", "statement": "Calibration label missing.", **change}

    refused = api_for(auditor).post(f"/audits/{fieldwork_audit.pk}/findings", body)

    assert refused.status_code == 422, refused.content
    assert field in [e["field"] for e in refused.json()["errors"]]
    assert not Finding.objects.exists()
    assert not records.RECORD_TYPES["nonconformance"].model.objects.exists()
    assert not records.RECORD_TYPES["capa"].model.objects.exists()


def test_the_api_refuses_those_who_do_not_audit(
    fieldwork_audit: Audit, outsider: User, auditee: User, api_for: Any
) -> None:
    body = {"grade": "observation", "statement": "Something seen."}
    path = f"/audits/{fieldwork_audit.pk}/findings"
    # The auditee sees the audit but does not audit; someone with no role does not see it.
    assert api_for(auditee).post(path, body).status_code == 403
    assert api_for(outsider).post(path, body).status_code == 404
    assert not Finding.objects.exists()


def test_a_planned_audit_refuses_a_finding_over_the_api_naming_its_state(
    planned_audit: Audit, auditor: User, api_for: Any
) -> None:
    refused = api_for(auditor).post(
        f"/audits/{planned_audit.pk}/findings",
        {"grade": "observation", "statement": "Something seen."},
    )
    assert refused.status_code == 409
    assert "Planned" in refused.json()["detail"]


# --- Pages -----------------------------------------------------------------------------------


def test_the_form_from_a_checklist_question_starts_from_its_answer(
    fieldwork_audit: Audit, auditor: User, client_for: Any
) -> None:
    item = fieldwork_audit.checklist.get()
    with audit.context(actor=None, actor_name="test fixture"):
        item.answer = "minor_nc"
        item.notes = "WI-12 rev B"
        item.save()
    client = client_for(auditor)
    url = f"/audits/findings/new/{fieldwork_audit.pk}/?item={item.pk}"

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="minor_nc" selected' in html
    assert "WI-12 rev B" in html

    posted = client.post(
        url,
        {
            "grade": "minor_nc",
            "requirement_id": str(item.requirement_id),
            "statement": "WI-12 <b>rev B</b> at CNC-3.",
            "checklist_item": str(item.pk),
        },
    )
    assert posted.status_code == 302
    finding = Finding.objects.get()
    assert finding.checklist_item_id == item.pk
    detail = client.get(posted["Location"]).content.decode()
    assert 'data-testid="finding-panel"' in detail
    assert f'href="/capas/{finding.capa_id}/"' in detail
    assert "Waiting for:" in detail
    assert "&lt;b&gt;rev B&lt;/b&gt;" in detail
    assert "<b>rev B</b>" not in detail


def test_the_form_shows_a_refusal_on_its_field(
    fieldwork_audit: Audit, auditor: User, client_for: Any
) -> None:
    page = client_for(auditor).post(
        f"/audits/findings/new/{fieldwork_audit.pk}/", {"grade": "ofi", "statement": ""}
    )
    assert page.status_code == 422
    assert not Finding.objects.exists()


def test_the_audit_panel_lists_findings_and_offers_the_form_to_auditors(
    fieldwork_audit: Audit, auditor: User, outsider: User, rf: Any
) -> None:
    from qualitas.audits import finding_views

    finding = _minor(fieldwork_audit, auditor)
    request = rf.get("/")
    request.user = auditor
    html = finding_views.audit_panel(fieldwork_audit, request)
    assert finding.number in html
    assert f"/capas/{finding.capa_id}/" in html
    assert f"/nonconformances/{finding.nonconformance_id}/" in html
    assert 'data-testid="record-finding"' in html

    request.user = outsider
    assert 'data-testid="record-finding"' not in finding_views.audit_panel(fieldwork_audit, request)


def test_only_auditors_open_the_form(
    fieldwork_audit: Audit, auditee: User, outsider: User, client_for: Any
) -> None:
    url = f"/audits/findings/new/{fieldwork_audit.pk}/"
    assert client_for(auditee).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404
