"""An audit's own pages and API: criteria, departments and team (independence refused with
the reason, the quality manager's signed exception), auditor qualification from training or
from a role, the distribution, the workflow from planned to closed with its guards' reasons,
who may do what, and the detail page's queries not growing with the plan."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.audits import readiness, services
from qualitas.audits.models import Audit, ChecklistItem, TeamMember
from qualitas.core import audit, permissions, records, signatures, workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Department, Site, User
from tests.audits.conftest import ISO_9001, person, requirement_ids, sign
from tests.factories import PASSWORD, SiteFactory

pytestmark = pytest.mark.django_db


def reload(audit_: Audit) -> Audit:
    return Audit.objects.get(pk=audit_.pk)


def add_checklist(audit_: Audit, questions: int = 2) -> list[ChecklistItem]:
    """Questions written straight to the table: the checklist's own services are tested
    with the checklist; here only their answers matter to the audit's steps."""
    with audit.context(actor=None, actor_name="test fixture"):
        return [
            ChecklistItem.objects.create(audit=audit_, order=n, question=f"Question {n}")
            for n in range(questions)
        ]


def answer_all(audit_: Audit, answer: str = "conforming") -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        for item in audit_.checklist.all():
            item.answer = answer
            item.save()


def add_finding(audit_: Audit, actor: User, grade: str = "minor_nc", **fields: Any) -> Any:
    """A finding written through the core (its own service, which also raises the NC and
    CAPA, is the findings' tests' subject)."""
    return records.create(
        records.RECORD_TYPES["auditfinding"],
        actor=actor,
        title=fields.pop("title", "Torque wrench out of calibration"),
        statement=fields.pop("statement", "Torque wrench TW-12 used past its calibration date."),
        computed={"audit": audit_, "grade": grade, "site": audit_.site, **fields},
    )


# --- criteria -----------------------------------------------------------------------------


def test_criteria_by_framework_and_ref_ids(planned_audit: Audit, qm: User, api_for) -> None:
    api = api_for(qm)
    answer = api.put(
        f"/audits/{planned_audit.pk}/criteria",
        {"framework": ISO_9001, "ref_ids": ["8.5.1", "9.2"], "version": planned_audit.version},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [c["ref_id"] for c in body["criteria"]] == ["8.5.1", "9.2"]
    assert {c["framework"] for c in body["criteria"]} == {ISO_9001}

    answer = api.put(
        f"/audits/{planned_audit.pk}/criteria",
        {"requirement_ids": requirement_ids(refs=("7.1.5",)), "version": body["version"]},
    )
    assert [c["ref_id"] for c in answer.json()["criteria"]] == ["7.1.5"]


def test_unknown_ref_id_is_refused_naming_the_field(
    planned_audit: Audit, qm: User, api_for
) -> None:
    api = api_for(qm)
    answer = api.put(
        f"/audits/{planned_audit.pk}/criteria",
        {"framework": ISO_9001, "ref_ids": ["8.5.1", "99.9"]},
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "ref_ids" and "99.9" in error["message"]
    answer = api.put(
        f"/audits/{planned_audit.pk}/criteria", {"framework": "no-such", "ref_ids": ["1"]}
    )
    assert answer.json()["errors"][0]["field"] == "framework"
    answer = api.put(f"/audits/{planned_audit.pk}/criteria", {"requirement_ids": [999999]})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "criteria"
    answer = api.put(f"/audits/{planned_audit.pk}/criteria", {})
    assert answer.json()["errors"][0]["field"] == "requirement_ids"
    assert planned_audit.criterion_rows.count() == 3
    assert reload(planned_audit).version == planned_audit.version


def test_criteria_page_keeps_other_frameworks_and_refuses_unknown_clauses(
    planned_audit: Audit, qm: User, client_for
) -> None:
    client = client_for(qm)
    page = client.get(f"/audits/{planned_audit.pk}/plan/?framework={ISO_9001}")
    assert page.status_code == 200
    assert b'data-testid="criteria-form"' in page.content
    refused = client.post(
        f"/audits/{planned_audit.pk}/plan/",
        {"part": "criteria", "framework": ISO_9001, "ref_ids": "8.5.1, 42.1"},
    )
    assert refused.status_code == 422
    assert b"ref_ids: Not in" in refused.content and b"42.1" in refused.content
    assert planned_audit.criterion_rows.count() == 3
    done = client.post(
        f"/audits/{planned_audit.pk}/plan/",
        {
            "part": "criteria",
            "framework": ISO_9001,
            "ref_ids": "9.2",
            "version": planned_audit.version,
        },
    )
    assert done.status_code == 302
    refs = set(planned_audit.criterion_rows.values_list("requirement__ref_id", flat=True))
    assert refs == {"9.2"}


def test_narrowing_the_criteria_removes_one(planned_audit: Audit, qm: User) -> None:
    services.set_criteria(
        planned_audit,
        actor=qm,
        requirement_ids=requirement_ids(refs=("8.5.1",)),
        expected_version=planned_audit.version,
    )
    assert planned_audit.criterion_rows.count() == 1


# --- team and independence ----------------------------------------------------------------


def test_independence_refused_via_api_naming_team(
    planned_audit: Audit, qm: User, production_auditor: User, api_for
) -> None:
    answer = api_for(qm).put(
        f"/audits/{planned_audit.pk}/team",
        {"members": [{"person_id": production_auditor.pk, "role": "auditor"}]},
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == "team"
    assert "own department" in error["message"] and "Prodauditor" in error["message"]
    assert not TeamMember.objects.filter(audit=planned_audit).exists()
    assert reload(planned_audit).version == planned_audit.version


def test_team_with_roles_and_bad_input(
    planned_audit: Audit, qm: User, auditor: User, auditee: User, production_auditor: User, api_for
) -> None:
    api = api_for(qm)
    # A technical expert from Production does not judge conformity: no independence asked.
    answer = api.put(
        f"/audits/{planned_audit.pk}/team",
        {"members": [{"person_id": production_auditor.pk, "role": "technical_expert"}]},
    )
    assert answer.status_code == 200, answer.content
    team = answer.json()["team"]
    assert [(m["name"], m["role"]) for m in team] == [
        (auditor.printed_name, "lead_auditor"),
        (production_auditor.printed_name, "technical_expert"),
    ]
    assert team[1]["judges"] is False and team[1]["own_department"] is False
    for body, field in (
        ({"members": [{"person_id": 999999}]}, "members"),
        ({"members": [{"person_id": production_auditor.pk, "role": "boss"}]}, "team"),
        ({"members": [{"person_id": auditor.pk}]}, "team"),  # the lead auditor already
        ({"members": [{"person_id": auditee.pk}]}, "team"),  # not qualified
    ):
        answer = api.put(f"/audits/{planned_audit.pk}/team", body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field
    assert list(planned_audit.team.values_list("role", flat=True)) == ["technical_expert"]


def test_quality_manager_signs_the_exception(
    planned_audit: Audit, qm: User, production_auditor: User, api_for, client_for
) -> None:
    api = api_for(qm)
    answer = api.post(
        f"/audits/{planned_audit.pk}/independence-override",
        {"justification": "Only two auditors at the site.", "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.content
    override = answer.json()["independence_override"]
    assert override["signer"] == qm.printed_name and override["meaning"] == "approved"
    assert override["justification"] == "Only two auditors at the site."
    found = reload(planned_audit)
    assert found.independence_signature.transition == "override_independence"
    # The pointer to the signature, set after signing, is not part of what it covers.
    assert signatures.is_valid(found.independence_signature, found)
    assert AuditEvent.objects.filter(object_id=found.pk, action="signature").exists()
    answer = api.put(
        f"/audits/{planned_audit.pk}/team",
        {"members": [{"person_id": production_auditor.pk}]},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["team"][1]["own_department"] is True
    assert answer.json()["independence"] is None
    page = client_for(qm).get(f"/audits/{planned_audit.pk}/")
    assert b'data-testid="independence-override"' in page.content
    assert b"Only two auditors at the site." in page.content


def test_exception_refused_to_an_auditor_and_with_a_wrong_password(
    planned_audit: Audit, qm: User, auditor: User, api_for
) -> None:
    url = f"/audits/{planned_audit.pk}/independence-override"
    answer = api_for(auditor).post(url, {"justification": "Why not", "password": PASSWORD})
    assert answer.status_code == 403
    assert "quality manager" in answer.json()["detail"]
    answer = api_for(qm).post(url, {"justification": "Why not", "password": "wrong-password"})
    assert answer.status_code == 403
    answer = api_for(qm).post(url, {"justification": "  ", "password": PASSWORD})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "justification"
    assert reload(planned_audit).independence_signature_id is None
    refusals = AuditEvent.objects.filter(action="signature_refused")
    assert refusals.exists()


def test_exception_through_the_page(
    planned_audit: Audit, qm: User, auditor: User, production_auditor: User, client_for
) -> None:
    # Offered to the quality manager only, before the team is named.
    assert (
        b'data-testid="override-form"'
        not in client_for(auditor).get(f"/audits/{planned_audit.pk}/").content
    )
    client = client_for(qm)
    page = client.get(f"/audits/{planned_audit.pk}/")
    assert b'data-testid="override-link"' in page.content
    form = client.get(f"/audits/{planned_audit.pk}/independence/")
    assert b'data-testid="override-form"' in form.content
    wrong = client.post(
        f"/audits/{planned_audit.pk}/independence/",
        {"justification": "Production's own auditor.", "password": "not-my-password"},
    )
    assert wrong.status_code == 302 and wrong["Location"].endswith("/independence/")
    assert reload(planned_audit).independence_signature_id is None
    response = client.post(
        f"/audits/{planned_audit.pk}/independence/",
        {"justification": "Production's own auditor, paired with Quality.", "password": PASSWORD},
    )
    assert response.status_code == 302
    signed = reload(planned_audit)
    assert signed.independence_signature_id is not None
    services.set_team(
        signed,
        actor=qm,
        members=[services.MemberInput(production_auditor)],
        expected_version=signed.version,
    )
    page = client.get(f"/audits/{planned_audit.pk}/")
    assert b'data-testid="own-department"' in page.content
    assert b'data-testid="independence-override"' in page.content
    assert b'data-testid="override-link"' not in page.content
    assert b'data-testid="independence-warning"' not in page.content


def test_warning_when_an_auditor_moved_into_the_audited_department(
    planned_audit: Audit, qm: User, auditor: User, production: Department, client_for
) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        auditor.department = production
        auditor.save()
    page = client_for(qm).get(f"/audits/{planned_audit.pk}/")
    assert b'data-testid="independence-warning"' in page.content
    assert b"Auditor Tester (Production)" in page.content


def test_departments_refused_when_the_lead_auditor_works_there(
    planned_audit: Audit, qm: User, quality: Department, api_for
) -> None:
    answer = api_for(qm).put(
        f"/audits/{planned_audit.pk}/auditee-departments", {"department_ids": [quality.pk]}
    )
    # set_auditee_departments names the field; the lead auditor is from Quality.
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "auditee_departments"
    assert set(planned_audit.auditee_departments.values_list("code", flat=True)) == {"PROD"}
    answer = api_for(qm).put(
        f"/audits/{planned_audit.pk}/auditee-departments", {"department_ids": [424242]}
    )
    assert answer.json()["errors"][0]["field"] == "auditee_departments"


def test_departments_change_is_on_the_trail(
    planned_audit: Audit, qm: User, production: Department, plant: Site
) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        stores = Department.objects.create(code="STO", name="Stores", site=plant)
    services.set_auditee_departments(
        planned_audit,
        actor=qm,
        department_ids=[production.pk, stores.pk],
        expected_version=planned_audit.version,
    )
    events = AuditEvent.objects.filter(object_id=planned_audit.pk, action="update")
    assert any("auditee_departments" in (e.changes or {}) for e in events)


# --- qualification ------------------------------------------------------------------------


def test_qualification_from_the_auditor_role(plant: Site, auditor: User, auditee: User) -> None:
    assert readiness.unqualified(plant, [auditor, auditee]) == [auditee.printed_name]


def test_qualification_from_the_training_course(
    plant: Site, qm: User, auditor: User, auditee: User, planned_audit: Audit
) -> None:
    from qualitas.training import services as training

    course = training.create_course(
        actor=qm, code=readiness.auditor_course(), title="Internal auditor", kind="classroom"
    )
    # The course now decides: the auditor's role no longer qualifies, a completed record does.
    assert readiness.unqualified(plant, [auditor, auditee]) == [
        auditor.printed_name,
        auditee.printed_name,
    ]
    record = training.assign_training(actor=qm, person=auditee, course=course)
    training.complete_training(record, actor=auditee, signature=signatures_token(auditee, record))
    assert readiness.unqualified(plant, [auditor, auditee]) == [auditor.printed_name]
    with pytest.raises(InvalidInput) as refused:
        services.change_audit(
            planned_audit, actor=qm, expected_version=planned_audit.version, lead_auditor=qm
        )
    assert refused.value.errors[0].field == "lead_auditor"
    assert "internal-auditor" in refused.value.errors[0].message


def signatures_token(user: User, subject: Any) -> Any:
    from qualitas.core import signatures

    return signatures.authenticate(user, PASSWORD, subject=subject)


# --- distribution -------------------------------------------------------------------------


def test_distribution(planned_audit: Audit, qm: User, auditee: User, api_for) -> None:
    api = api_for(qm)
    answer = api.put(
        f"/audits/{planned_audit.pk}/distribution",
        {"person_ids": [auditee.pk], "external": "Registrar: audits@example.org\n"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["distribution"] == [auditee.pk]
    assert answer.json()["distribution_external"] == "Registrar: audits@example.org"
    answer = api.put(
        f"/audits/{planned_audit.pk}/distribution", {"person_ids": [auditee.pk, 777777]}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "person_ids"
    events = AuditEvent.objects.filter(object_id=planned_audit.pk, action="update")
    assert any("distribution" in (e.changes or {}) for e in events)


# --- permissions --------------------------------------------------------------------------


def test_outsider_and_other_site_quality_manager_may_not_plan(
    planned_audit: Audit, outsider: User, auditor: User, api_for, client_for
) -> None:
    elsewhere = SiteFactory(code="LDS", name="Leeds")
    other_qm = person("otherqm", permissions.QUALITY_MANAGER, site=elsewhere)
    body = {"framework": ISO_9001, "ref_ids": ["8.5.1"]}
    for who in (outsider, other_qm):
        answer = api_for(who).put(f"/audits/{planned_audit.pk}/criteria", body)
        assert answer.status_code in (403, 404), who
        answer = api_for(who).post(
            f"/audits/{planned_audit.pk}/independence-override",
            {"justification": "x", "password": PASSWORD},
        )
        assert answer.status_code in (403, 404), who
    assert planned_audit.criterion_rows.count() == 3
    assert client_for(outsider).get(f"/audits/{planned_audit.pk}/").status_code == 404
    assert client_for(outsider).get(f"/audits/{planned_audit.pk}/report.pdf").status_code == 404
    assert api_for(other_qm).get(f"/audits/{planned_audit.pk}/report.pdf").status_code == 404


def test_the_auditee_sees_the_audit_but_not_the_planning_controls(
    planned_audit: Audit, auditee: User, client_for
) -> None:
    client = client_for(auditee)
    page = client.get(f"/audits/{planned_audit.pk}/")
    assert page.status_code == 200
    assert b'data-testid="audit-panel"' in page.content
    assert b'data-testid="edit-plan"' not in page.content
    refused = client.post(
        f"/audits/{planned_audit.pk}/plan/",
        {"part": "criteria", "framework": ISO_9001, "ref_ids": "8.7"},
    )
    assert refused.status_code == 403
    assert planned_audit.criterion_rows.count() == 3


# --- the workflow -------------------------------------------------------------------------


def test_full_workflow_with_the_guards_reasons(
    planned_audit: Audit, qm: User, auditor: User, auditee: User
) -> None:
    def fire(name: str, who: User, **kwargs: Any) -> Audit:
        current = reload(planned_audit)
        return workflow.fire(current, name, actor=who, **kwargs)

    with pytest.raises(InvalidInput) as refused:
        fire("prepare", qm)
    assert "a checklist" in refused.value.detail
    add_checklist(planned_audit, 2)
    fire("prepare", qm)
    fire("start", auditor)
    assert reload(planned_audit).started_on is not None
    with pytest.raises(InvalidInput) as refused:
        fire("finish_fieldwork", auditor)
    assert "2 checklist questions are not answered" in refused.value.detail
    answer_all(planned_audit)
    finding = add_finding(planned_audit, auditor, grade="observation")
    fire("finish_fieldwork", auditor)
    with pytest.raises(InvalidInput) as refused:
        fire("issue_report", auditor, signature=sign(auditor))
    assert "summary and conclusion" in refused.value.detail
    current = reload(planned_audit)
    services.change_audit(
        current,
        actor=auditor,
        expected_version=current.version,
        summary="The process is under control.",
        conclusion="Conforms, one observation.",
    )
    with pytest.raises(PermissionDenied):
        fire("issue_report", qm, signature=sign(qm))
    signed = fire("issue_report", auditor, signature=sign(auditor))
    assert signed.state == "follow_up" and signed.reported_at is not None
    [signature] = signed.signatures.filter(transition="issue_report")
    assert signature.signer == auditor
    with pytest.raises(InvalidInput) as refused:
        fire("close", auditor)
    assert finding.number in refused.value.detail
    workflow.fire(finding, "cancel", actor=qm, comment="Recorded twice.")
    closed = fire("close", auditor)
    assert closed.state == "closed"


def test_start_refused_when_the_team_lost_its_independence(
    planned_audit: Audit, qm: User, auditor: User, quality: Department
) -> None:
    add_checklist(planned_audit, 1)
    workflow.fire(reload(planned_audit), "prepare", actor=qm)
    # The departments are fixed once prepared; the guard still reads them at the start.
    with audit.context(actor=qm):
        planned_audit.auditee_departments.add(quality)
    with pytest.raises(InvalidInput) as refused:
        workflow.fire(reload(planned_audit), "start", actor=auditor)
    assert "own department" in refused.value.detail


# --- queries ------------------------------------------------------------------------------


def test_detail_page_queries_do_not_grow_with_criteria_and_team(
    planned_audit: Audit, qm: User, plant: Site, production: Department, client_for
) -> None:
    client = client_for(qm)
    url = f"/audits/{planned_audit.pk}/"
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    auditors = [
        person(f"aud{n}", permissions.AUDITOR, site=plant, department=None) for n in range(4)
    ]
    current = reload(planned_audit)
    current = services.set_criteria(
        current,
        actor=qm,
        requirement_ids=requirement_ids(refs=("8.5.1", "8.7", "7.1.5", "9.2", "9.3", "10.2")),
        expected_version=current.version,
    )
    services.set_team(
        current,
        actor=qm,
        members=[services.MemberInput(a) for a in auditors],
        expected_version=current.version,
    )
    client.get(url)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.count(b'badge text-bg-success">qualified') == 5
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]


def test_plan_page_for_the_planner(planned_audit: Audit, qm: User, client_for) -> None:
    page = client_for(qm).get(f"/audits/{planned_audit.pk}/plan/")
    assert page.status_code == 200
    for part in (b"criteria-form", b"departments-form", b"team-form", b"distribution-form"):
        assert part in page.content
