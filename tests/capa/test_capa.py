"""CAPA: the 8D path and its refusals, root-cause tools, effectiveness, escalation from NCs."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from qualitas.capa import diagram, jobs, services
from qualitas.capa.models import Capa
from qualitas.core import actions, links, records, signatures, workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import Notification, Signature, User
from tests.factories import PASSWORD, with_role

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def capa(owner: User) -> Capa:
    return services.open_capa(
        actor=owner, title="Bore oversize on HSG-4471", problem_statement="3 NCs in 6 weeks"
    )


def _sign(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


def _to_plan(capa: Capa, owner: User) -> Capa:
    capa = workflow.fire(capa, "investigate", actor=owner)
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        containment_summary="100% gauging of HSG-4471",
    )
    capa = workflow.fire(capa, "confirm_containment", actor=owner)
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        root_cause="Worn boring bar not replaced at 400 parts",
        root_cause_category="machine",
    )
    return workflow.fire(capa, "plan", actor=owner)


def test_the_8d_path_to_closed(
    capa: Capa, owner: User, engineer: User, quality_manager: User
) -> None:
    capa = _to_plan(capa, owner)
    action = actions.assign(
        capa,
        actor=owner,
        title="Tool life counter on CNC-3",
        assignee=owner,
        due_on=TODAY,
        kind="corrective",
    )
    capa = workflow.fire(capa, "approve_plan", actor=engineer, signature=_sign(engineer))
    actions.complete(action, actor=owner, note="Counter set to 350 parts")
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="No DIM-01 on HSG-4471 for 3 months",
        effectiveness_due_on=TODAY,
    )
    capa = workflow.fire(capa, "implemented", actor=owner)
    capa = services.record_effectiveness(
        capa,
        actor=quality_manager,
        expected_version=capa.version,
        result="passed",
        evidence="0 NCs Feb-Apr",
    )
    closed = workflow.fire(capa, "close", actor=quality_manager, signature=_sign(quality_manager))

    assert closed.state == "closed"
    assert sorted(Signature.objects.values_list("meaning", flat=True)) == ["approved", "closed"]


@pytest.mark.parametrize(
    ("transition", "missing"),
    [("investigate", "problem_statement")],
)
def test_steps_need_their_fields(owner: User, transition: str, missing: str) -> None:
    bare = services.open_capa(actor=owner, title="x")

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(bare, transition, actor=owner)

    assert refused.value.errors[0].field == missing


def test_the_plan_needs_actions_and_another_persons_approval(
    capa: Capa, owner: User, engineer: User
) -> None:
    capa = _to_plan(capa, owner)
    with_role(owner, "approver")

    with pytest.raises(InvalidInput, match="at least one corrective or preventive action"):
        workflow.fire(capa, "approve_plan", actor=engineer, signature=_sign(engineer))
    actions.assign(capa, actor=owner, title="Fix", assignee=owner, due_on=TODAY)
    with pytest.raises(PermissionDenied, match="owner"):
        workflow.fire(capa, "approve_plan", actor=owner, signature=_sign(owner))


def test_not_implemented_while_actions_are_open(capa: Capa, owner: User, engineer: User) -> None:
    capa = _to_plan(capa, owner)
    actions.assign(capa, actor=owner, title="Fix", assignee=owner, due_on=TODAY)
    capa = workflow.fire(capa, "approve_plan", actor=engineer, signature=_sign(engineer))
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="c",
        effectiveness_due_on=TODAY,
    )

    with pytest.raises(InvalidInput, match="1 action"):
        workflow.fire(capa, "implemented", actor=owner)


def test_a_failed_effectiveness_check_goes_back_to_root_cause(
    capa: Capa, owner: User, engineer: User, quality_manager: User
) -> None:
    capa = _to_plan(capa, owner)
    actions.complete(
        actions.assign(capa, actor=owner, title="Fix", assignee=owner, due_on=TODAY),
        actor=owner,
        note="done",
    )
    capa = workflow.fire(capa, "approve_plan", actor=engineer, signature=_sign(engineer))
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="c",
        effectiveness_due_on=TODAY,
    )
    capa = workflow.fire(capa, "implemented", actor=owner)

    with pytest.raises(InvalidInput, match="effective result"):
        workflow.fire(capa, "close", actor=quality_manager, signature=_sign(quality_manager))
    capa = services.record_effectiveness(
        capa, actor=owner, expected_version=capa.version, result="failed", evidence="2 NCs"
    )
    back = workflow.fire(capa, "not_effective", actor=owner, comment="Two more NCs in March")

    assert (back.state, back.effectiveness_result) == ("root_cause", "pending")
    assert (back.effectiveness_checked_by, back.effectiveness_evidence) == (None, "")
    from qualitas.core.recordapi import history_of

    assert any(
        e.reason == "Two more NCs in March" and e.action == "transition" for e in history_of(back)
    )


def test_five_whys_fishbone_and_team(capa: Capa, owner: User, quality_manager: User) -> None:
    services.add_why(capa, actor=owner, why="Bore oversize", because="Boring bar worn")
    step = services.add_why(capa, actor=owner, why="Bar worn", because="No tool life limit")
    services.mark_root_cause(step, actor=owner)
    cause = services.add_cause(
        capa, actor=owner, category="machine", text="Boring bar <worn> & chipped"
    )
    services.mark_root_cause(cause, actor=owner)
    services.add_cause(capa, actor=owner, category="measurement", text="Gauge R&R 35%")
    services.add_team_member(capa, actor=owner, member=quality_manager, role="Quality")

    svg = diagram.fishbone_svg(capa.title, capa.causes.all())

    assert [w.position for w in capa.whys.all()] == [1, 2]
    assert capa.whys.get(position=2).is_root_cause
    assert "Boring bar &lt;worn&gt; &amp; chipped" in svg and "<worn>" not in svg
    assert 'fill="#c62828" font-weight="bold">Boring bar' in svg
    for category in ("Man (people)", "Machine", "Method", "Material", "Measurement", "Environment"):
        assert category in svg
    with pytest.raises(InvalidInput):
        services.add_cause(capa, actor=owner, category="money", text="x")


def test_strangers_cannot_add_to_the_analysis(capa: Capa, contributor: User) -> None:
    with pytest.raises(PermissionDenied):
        services.add_why(capa, actor=contributor, why="a", because="b")


def test_escalating_a_nonconformance_opens_a_linked_capa(
    raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    from qualitas.nonconformance import services as nc_services

    nc = raise_nc(severity="critical", lot_number="L2611", quantity_nonconforming=Decimal(12))
    capa = nc_services.escalate_to_capa(nc, actor=quality_manager)

    assert capa.number.startswith("CAPA-")
    assert "L2611" in capa.problem_statement and "12 pcs nonconforming" in capa.problem_statement
    assert capa.priority == "high"
    (view,) = links.links_of(capa, viewer=quality_manager)
    assert (view.phrase, view.other) == ("was escalated from", nc)


def test_escalation_links_an_existing_capa_through_the_api(
    api_for: Any, raise_nc: Any, quality_manager: User, capa: Capa
) -> None:
    nc = raise_nc()

    response = api_for(quality_manager).post(
        f"/nonconformances/{nc.pk}/escalate", {"capa": capa.pk}
    )

    assert response.status_code == 201 and response.json()["number"] == capa.number
    assert Capa.objects.count() == 1


def test_the_root_cause_api(api_for: Any, capa: Capa, owner: User, viewer: User) -> None:
    api = api_for(owner)

    api.post(
        f"/capas/{capa.pk}/whys", {"why": "Oversize", "because": "Worn bar", "is_root_cause": True}
    )
    api.post(f"/capas/{capa.pk}/causes", {"category": "method", "text": "No tool-life rule"})
    bad = api.post(f"/capas/{capa.pk}/causes", {"category": "weather", "text": "x"})
    refused = api_for(viewer).post(f"/capas/{capa.pk}/whys", {"why": "a", "because": "b"})
    data = api_for(viewer).get(f"/capas/{capa.pk}/root-cause").json()

    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "category"
    assert refused.status_code == 403
    assert data["whys"] == [
        {"position": 1, "why": "Oversize", "because": "Worn bar", "is_root_cause": True}
    ]
    assert data["causes"][0]["category"] == "method" and data["fishbone_svg"].startswith("<svg")


def test_effectiveness_reminders_go_out_once(capa: Capa, owner: User, engineer: User) -> None:
    capa = _to_plan(capa, owner)
    actions.complete(
        actions.assign(capa, actor=owner, title="Fix", assignee=owner, due_on=TODAY),
        actor=owner,
        note="done",
    )
    capa = workflow.fire(capa, "approve_plan", actor=engineer, signature=_sign(engineer))
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="No repeat",
        effectiveness_due_on=TODAY + datetime.timedelta(days=2),
    )
    workflow.fire(capa, "implemented", actor=owner)
    Notification.objects.all().delete()

    assert jobs.remind_effectiveness_checks() == "1 reminders sent"
    assert jobs.remind_effectiveness_checks() == "0 reminders sent"
    assert Notification.objects.get(recipient=owner).title.startswith(
        f"Effectiveness check of {capa.number}"
    )


def test_the_capa_page_shows_the_analysis(client_for: Any, capa: Capa, owner: User) -> None:
    client = client_for(owner)
    client.post(f"/capas/{capa.pk}/whys/", {"why": "Oversize", "because": "Worn bar"})
    client.post(f"/capas/{capa.pk}/causes/", {"category": "machine", "text": "Worn bar"})

    body = client.get(f"/capas/{capa.pk}/").content.decode()

    assert "Why oversize? Because worn bar." in body
    assert 'aria-label="Ishikawa diagram"' in body


def test_escalating_from_the_nc_page(client_for: Any, raise_nc: Any, quality_manager: User) -> None:
    nc = raise_nc()

    response = client_for(quality_manager).post(f"/nonconformances/{nc.pk}/escalate/")

    capa = Capa.objects.get()
    assert response["Location"] == f"/capas/{capa.pk}/"
    assert (
        capa.number.encode()
        in client_for(quality_manager).get(f"/nonconformances/{nc.pk}/").content
    )


def test_from_raising_an_nc_to_a_closed_capa_through_the_api(
    api_for: Any, inspector: User, engineer: User, quality_manager: User, codes: Any
) -> None:
    ivy, eli, qm = api_for(inspector), api_for(engineer), api_for(quality_manager)
    nc = ivy.post(
        "/nonconformances",
        {
            "title": "Bore oversize",
            "source": "in_process",
            "detected_on": "2026-11-20",
            "part_number": "HSG-4471",
            "quantity_nonconforming": "2",
            "defect_code": codes["DIM-01"].pk,
            "severity": "critical",
            "finding": "Ø74.04",
        },
    ).json()
    capa_ref = qm.post(f"/nonconformances/{nc['id']}/escalate", {}).json()
    cid = capa_ref["capa_id"]

    def patch(**fields: Any) -> None:
        version = qm.get(f"/capas/{cid}").json()["version"]
        assert qm.patch(f"/capas/{cid}", {"version": version, **fields}).status_code == 200

    def fire(api: Any, name: str, **body: Any) -> dict[str, Any]:
        response = api.post(f"/capas/{cid}/transitions/{name}", body)
        assert response.status_code == 200, response.json()
        return response.json()

    fire(qm, "investigate")
    patch(containment_summary="Stock sorted")
    fire(qm, "confirm_containment")
    qm.post(
        f"/capas/{cid}/whys",
        {"why": "Oversize", "because": "No tool-life rule", "is_root_cause": True},
    )
    patch(root_cause="No tool-life rule", root_cause_category="method")
    fire(qm, "plan")
    action = qm.post(
        f"/capas/{cid}/actions",
        {"title": "Tool-life counter", "due_on": TODAY.isoformat(), "assignee": quality_manager.pk},
    ).json()
    fire(eli, "approve_plan", password=PASSWORD)
    qm.post(f"/actions/{action['id']}/complete", {"note": "Counter at 350"})
    patch(effectiveness_criteria="No repeat in 90 days", effectiveness_due_on=TODAY.isoformat())
    fire(qm, "implemented")
    version = qm.get(f"/capas/{cid}").json()["version"]
    checked = qm.post(
        f"/capas/{cid}/effectiveness",
        {"version": version, "result": "passed", "evidence": "None in 90 days"},
    )
    assert checked.status_code == 200, checked.json()
    closed = fire(qm, "close", password=PASSWORD, comment="Effective")

    assert closed["state"] == "closed"
    assert [link["phrase"] for link in qm.get(f"/capas/{cid}/links").json()] == [
        "was escalated from"
    ]


def test_a_closed_nonconformance_can_still_be_escalated(
    raise_nc: Any, inspector: User, quality_manager: User, contributor: User
) -> None:
    from qualitas.nonconformance import services as nc_services

    nc = raise_nc()
    nc = workflow.fire(
        workflow.fire(nc, "contain", actor=inspector), "submit_review", actor=inspector
    )
    nc = nc_services.set_disposition(
        nc,
        actor=quality_manager,
        lines=[nc_services.DispositionInput("scrap", nc.quantity_nonconforming)],
        expected_version=nc.version,
    )
    nc = workflow.fire(
        workflow.fire(nc, "dispose", actor=quality_manager), "carry_out", actor=quality_manager
    )
    nc = workflow.fire(nc, "close", actor=quality_manager, signature=_sign(quality_manager))

    capa = nc_services.escalate_to_capa(nc, actor=quality_manager)

    assert [v.other for v in links.links_of(nc, viewer=quality_manager)] == [capa]
    with pytest.raises(PermissionDenied):
        nc_services.escalate_to_capa(nc, actor=contributor)
    with pytest.raises(records.RecordLocked):
        records.update(nc, actor=quality_manager, expected_version=nc.version, title="changed")


def test_the_capa_list_keeps_its_query_count(
    client_for: Any, quality_manager: User, owner: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(quality_manager)
    services.open_capa(actor=owner, title="first")
    client.get("/capas/")
    with CaptureQueriesContext(connection) as few:
        client.get("/capas/")
    for n in range(10):
        services.open_capa(actor=owner, title=f"more {n}")
    with CaptureQueriesContext(connection) as many:
        client.get("/capas/")

    assert len(many) == len(few)
