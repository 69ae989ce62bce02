"""Shared inspection fixtures: people with their roles, a part revision with a variable and an
attribute characteristic, and an approved incoming plan (ISO 2859-1 AQL 1.0 on the bore, a
fixed n 5, Ac 0 on the burr)."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import signatures, workflow
from qualitas.core.models import Site, User
from qualitas.inspection import services
from qualitas.inspection.models import Characteristic, InspectionPlan, Part, PartRevision
from tests.factories import PASSWORD, UserFactory, with_role


@pytest.fixture
def people(site: Site) -> dict[str, User]:
    return {
        "planner": with_role(UserFactory(username="planner", site=site), "approver"),
        "qm": with_role(UserFactory(username="qm", site=site), "quality-manager"),
        "inspector": with_role(UserFactory(username="inspector", site=site), "contributor"),
        "viewer": with_role(UserFactory(username="reader", site=site), "viewer"),
    }


@pytest.fixture
def revision(db: None) -> PartRevision:
    """A variable bore (3 decimals), an attribute burr check and a defect count."""
    from qualitas.core import audit

    with audit.context(actor=None, actor_name="test fixture"):
        part = Part.objects.create(number="HSG-4471", name="Pump housing")
        revision = PartRevision.objects.create(part=part, revision="C")
        Characteristic.objects.create(
            revision=revision, number="10", name="Bore Ø74", kind="variable",
            lsl=73.95, usl=74.05, unit="mm", decimals=3, char_class="major",
        )  # fmt: skip
        Characteristic.objects.create(
            revision=revision, number="20", name="Burr free", kind="attribute",
            char_class="critical",
        )  # fmt: skip
        Characteristic.objects.create(
            revision=revision, number="30", name="Scratches", kind="defects", char_class="minor"
        )
    return revision


@pytest.fixture
def plan(people: dict[str, User], revision: PartRevision, site: Site) -> InspectionPlan:
    planner = people["planner"]
    plan = services.create_plan(
        actor=planner, title="Incoming HSG-4471", part_revision=revision, stage="incoming",
        site=site,
    )  # fmt: skip
    bore, burr = (revision.characteristics.get(number=n) for n in ("10", "20"))
    services.set_item(plan, actor=planner, characteristic=bore, aql=1.0)
    services.set_item(
        plan, actor=planner, characteristic=burr, sampling="fixed", sample_size=5,
        acceptance_number=0,
    )  # fmt: skip
    return sign(people["qm"], plan, "approve")


def sign(user: User, record: Any, name: str) -> Any:
    token = signatures.authenticate(user, PASSWORD, subject=record)
    return workflow.fire(record, name, actor=user, signature=token)
