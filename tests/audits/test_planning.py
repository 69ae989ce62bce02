"""Planning an audit: criteria, team, auditor independence and its signed exception."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.audits import services
from qualitas.audits.models import Audit
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from tests.audits.conftest import sign


def test_planned_audit_has_its_criteria(planned_audit: Audit) -> None:
    assert planned_audit.number.startswith("AUD-")
    assert planned_audit.state == "planned"
    assert planned_audit.criterion_rows.count() == 3


def test_an_auditor_may_not_audit_their_own_department(
    planned_audit: Audit, qm: User, production_auditor: User
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.set_team(
            planned_audit,
            actor=qm,
            members=[services.MemberInput(production_auditor)],
            expected_version=planned_audit.version,
        )
    [error] = refused.value.errors
    assert error.field == "team"
    assert "own department" in error.message
    assert planned_audit.team.count() == 0


def test_only_a_quality_manager_signs_the_exception(
    planned_audit: Audit, qm: User, auditor: User, production_auditor: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.override_independence(
            planned_audit,
            actor=auditor,
            justification="Only one qualified auditor at the site.",
            token=sign(auditor),
            expected_version=planned_audit.version,
        )
    audit_ = services.override_independence(
        planned_audit,
        actor=qm,
        justification="Only one qualified auditor at the site.",
        token=sign(qm),
        expected_version=planned_audit.version,
    )
    assert audit_.independence_signature is not None
    audit_ = services.set_team(
        audit_,
        actor=qm,
        members=[services.MemberInput(production_auditor)],
        expected_version=audit_.version,
    )
    assert [m.person for m in audit_.team.all()] == [production_auditor]


def test_unknown_requirement_is_refused_naming_criteria(planned_audit: Audit, qm: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.set_criteria(
            planned_audit,
            actor=qm,
            requirement_ids=[999999],
            expected_version=planned_audit.version,
        )
    assert [e.field for e in refused.value.errors] == ["criteria"]
    assert planned_audit.criterion_rows.count() == 3


def test_the_exception_covers_its_departments_not_the_rest_of_the_audit(
    planned_audit: Audit, qm: User, production_auditor: User, quality: Any
) -> None:
    """Signed on its own content (RecordType.signed_for): the audit may change under it; a
    change of the audited departments needs the quality manager's signature again."""
    from qualitas.audits import readiness
    from qualitas.core import signatures

    audit_ = services.override_independence(
        planned_audit,
        actor=qm,
        justification="Only one qualified auditor at the site.",
        token=sign(qm),
        expected_version=planned_audit.version,
    )
    audit_ = services.set_team(
        audit_,
        actor=qm,
        members=[services.MemberInput(production_auditor)],
        expected_version=audit_.version,
    )
    audit_ = services.change_audit(
        audit_, actor=qm, expected_version=audit_.version, scope="Machining only"
    )
    assert signatures.is_valid(audit_.independence_signature, audit_)
    assert readiness.team_independent(audit_) is None

    audit_ = services.set_auditee_departments(
        audit_,
        actor=qm,
        department_ids=[*audit_.auditee_departments.values_list("pk", flat=True), quality.pk],
        expected_version=audit_.version,
    )
    assert not signatures.is_valid(audit_.independence_signature, audit_)
    reason = readiness.team_independent(audit_)
    assert reason is not None and "sign it again" in reason
    # Signed again for the departments now audited, it holds.
    audit_ = services.override_independence(
        audit_,
        actor=qm,
        justification="Quality audited too; still one auditor.",
        token=sign(qm),
        expected_version=audit_.version,
    )
    assert readiness.team_independent(audit_) is None


def test_the_lead_auditor_edits_the_audit_without_the_planners_role(
    planned_audit: Audit, qm: User, plant: Any, quality: Any
) -> None:
    """A lead qualified through the training course, holding only an approver's role, plans
    the audit and writes its report (RecordType.edited_by)."""
    from qualitas.core import permissions, records
    from qualitas.training import services as training
    from tests.audits.conftest import person

    lead = person("engineer", permissions.APPROVER, site=plant, department=quality)
    course = training.create_course(
        actor=qm, code="internal-auditor", title="Internal auditor", kind="external"
    )
    record = training.assign_training(actor=qm, person=lead, course=course)
    training.complete_training(record, actor=lead, signature=sign(lead))
    audit_ = services.change_audit(
        planned_audit, actor=qm, expected_version=planned_audit.version, lead_auditor=lead
    )
    assert records.may_edit(lead, audit_)
    audit_ = services.change_audit(
        audit_, actor=lead, expected_version=audit_.version, objectives="Verify the new cells"
    )
    assert audit_.objectives == "Verify the new cells"
    outsider = person("someone", permissions.APPROVER, site=plant)
    assert not records.may_edit(outsider, audit_)
