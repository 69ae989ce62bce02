"""Shared by the CAPA tests: the CAPA's owner, and a CAPA walked to its approved plan."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qualitas.capa import services
from qualitas.capa.models import Capa
from qualitas.core import actions, records, signatures, workflow
from qualitas.core.models import User
from tests.factories import PASSWORD, UserFactory, with_role


@pytest.fixture
def owner(db: None) -> User:
    return with_role(
        UserFactory(username="owner", first_name="Olga", last_name="Owner"), "contributor"
    )


def approved_plan(owner: User, approver: User) -> Capa:
    """A CAPA through D1-D5, its plan (one corrective action) signed by `approver`."""
    capa = services.open_capa(actor=owner, title="Bore oversize", problem_statement="3 NCs")
    capa = records.update(
        capa, actor=owner, expected_version=capa.version, is_description="HSG-4471 only"
    )
    capa = workflow.fire(capa, "investigate", actor=owner)
    capa = records.update(
        capa, actor=owner, expected_version=capa.version, containment_summary="Stock sorted"
    )
    capa = workflow.fire(capa, "confirm_containment", actor=owner)
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        root_cause="No tool-life rule for the boring bar",
        root_cause_category="method",
    )
    capa = workflow.fire(capa, "plan", actor=owner)
    actions.assign(
        capa,
        actor=owner,
        title="Tool-life counter",
        assignee=owner,
        due_on=timezone.localdate(),
        kind="corrective",
    )
    token = signatures.authenticate(approver, PASSWORD)
    approved: Capa = workflow.fire(capa, "approve_plan", actor=approver, signature=token)
    return approved
