"""The plan, lot and switching endpoints beside the generic record API."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core.models import AuditEvent, Site, User
from qualitas.inspection import services
from qualitas.inspection.models import InspectionPlan, PartRevision, SwitchingState
from tests.inspection.test_lots import _judged, _open, _state

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(people: dict[str, User], revision: PartRevision, site: Site) -> InspectionPlan:
    return services.create_plan(
        actor=people["planner"], title="Final HSG-4471", part_revision=revision, stage="final",
        site=site,
    )  # fmt: skip


def test_items_are_set_on_a_draft_and_named_when_refused(
    api_for: Any,
    people: dict,
    draft: InspectionPlan,
    revision: PartRevision,
) -> None:
    bore = revision.characteristics.get(number="10")
    path = f"/inspection-plans/{draft.pk}/items/{bore.pk}"

    saved = api_for(people["planner"]).put(path, {"aql": 0.65, "inspection_level": "II"})
    refused = api_for(people["planner"]).put(path, {"aql": 0.7})
    forbidden = api_for(people["viewer"]).put(path, {"aql": 1.0})
    listed = api_for(people["viewer"]).get(f"/inspection-plans/{draft.pk}/items")

    assert saved.status_code == 200, saved.json()
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "aql"
    assert forbidden.status_code == 403
    assert [(i["number"], i["aql"]) for i in listed.json()] == [("10", 0.65)]


def test_revising_an_approved_plan_gives_a_draft(
    api_for: Any,
    people: dict,
    plan: InspectionPlan,
) -> None:
    response = api_for(people["planner"]).post(f"/inspection-plans/{plan.pk}/revise", {})

    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "draft"
    again = api_for(people["planner"]).post(f"/inspection-plans/{response.json()['id']}/revise", {})
    assert again.status_code == 409


def test_a_lots_checks_and_verdict(api_for: Any, people: dict, plan: InspectionPlan) -> None:
    lot = _judged(people, _open(people, plan, "2611"), c10=3)

    summary = api_for(people["viewer"]).get(f"/inspection-lots/{lot.pk}/checks").json()

    assert summary["verdict"] == "reject" and summary["nonconformance"].startswith("NC-")
    bore = next(c for c in summary["checks"] if c["characteristic"] == "10")
    assert (bore["sample_size"], bore["rejection_number"], bore["result"]) == (80, 3, "reject")


def test_consent_to_reduced_is_the_authoritys_and_needs_a_reason(
    api_for: Any,
    people: dict,
    plan: InspectionPlan,
) -> None:
    state = _state(number="10")
    path = f"/switching-states/{state.pk}/consent"

    refused = api_for(people["inspector"]).post(path, {"reduced_allowed": True, "reason": "x"})
    unexplained = api_for(people["qm"]).post(path, {"reduced_allowed": True, "reason": " "})
    given = api_for(people["qm"]).post(
        path, {"reduced_allowed": True, "reason": "Cpk 1.9 over 6 months, no changes planned"}
    )

    assert refused.status_code == 403
    assert unexplained.status_code == 422 and unexplained.json()["errors"][0]["field"] == "reason"
    assert given.status_code == 200 and given.json()["reduced_allowed"] is True
    assert AuditEvent.objects.filter(object_id=str(state.pk), reason__startswith="Cpk 1.9").exists()


def test_discontinued_inspection_is_restored_on_tightened(
    api_for: Any,
    people: dict,
    plan: InspectionPlan,
) -> None:
    state = _state(number="10", state="discontinued")
    path = f"/switching-states/{state.pk}/restore"

    restored = api_for(people["qm"]).post(path, {"reason": "New die, 8D closed"})
    again = api_for(people["qm"]).post(path, {"reason": "again"})
    listed = api_for(people["viewer"]).get("/switching-states", state="tightened")

    assert restored.status_code == 200 and restored.json()["state"] == "tightened"
    assert again.status_code == 409
    assert [s["id"] for s in listed.json()] == [state.pk]
    assert SwitchingState.objects.get(pk=state.pk).events.get().to_state == "tightened"
    assert _open(people, plan, "after").checks.get(characteristic__number="10").inspection == (
        "tightened"
    )
