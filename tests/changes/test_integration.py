"""Change requests tied to the rest of the system: raised from a nonconformance or a CAPA
page, implementing a CAPA's action (done when the change closes), and the training its impact
calls for (assigned through the training module, idempotent, holding verification back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qualitas.capa import services as capa_services
from qualitas.changes import implemented_actions, services, training_impact
from qualitas.changes.models import ChangeRequest, ChangeTraining, ImplementedAction
from qualitas.core import actions, permissions, training_requests, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import (
    ActionItem,
    AuditEvent,
    Notification,
    RecordLink,
    Site,
    User,
)
from qualitas.documents.models import Document
from qualitas.training import services as training_services
from qualitas.training.models import TrainingRecord
from tests.changes.conftest import answer_all, person, release, sign
from tests.factories import DepartmentFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db
Raise = Callable[..., ChangeRequest]
Answer = services.ImpactInput


# --- Raising a change from a nonconformance or a CAPA ------------------------------------------


@pytest.fixture
def capa(plant: Site, originator: User) -> Any:
    return capa_services.open_capa(
        actor=originator,
        title="Burrs on HSG-4471 bores",
        problem_statement="Three NCs for burrs in March",
        site=plant,
    )


def test_nc_and_capa_pages_offer_a_change_to_those_who_may_raise_one_there(
    raise_nc: Callable[..., Any], capa: Any, plant: Site, originator: User, client_for: Any
) -> None:
    nc = raise_nc(site=plant)
    elsewhere = person("leeds", permissions.CONTRIBUTOR, site=SiteFactory(code="LDS", name="Leeds"))
    viewer = person("viewer", permissions.VIEWER)
    auditor = person("auditor", permissions.AUDITOR)

    for record, resource in ((nc, "nonconformances"), (capa, "capas")):
        href = f"/change-requests/raise-from/{resource}/{record.pk}/"
        page = client_for(originator).get(f"/{resource}/{record.pk}/").content.decode()
        assert "Raise a change request" in page and href in page
        for bystander in (viewer, auditor):
            shown = client_for(bystander).get(f"/{resource}/{record.pk}/")
            assert shown.status_code == 200 and href not in shown.content.decode()
        assert client_for(viewer).get(href).status_code == 403
    # Site scoping: a contributor at another site does not reach the form.
    form = client_for(elsewhere).get(f"/change-requests/raise-from/capas/{capa.pk}/")
    assert form.status_code in (403, 404)
    assert not ChangeRequest.objects.exists()


def test_the_form_is_filled_from_the_nonconformance_and_the_change_linked_to_it(
    raise_nc: Callable[..., Any], plant: Site, originator: User, client_for: Any
) -> None:
    nc = raise_nc(site=plant, part_number="HSG-4471", finding="Burrs on the bore edge")
    client = client_for(originator)
    url = f"/change-requests/raise-from/nonconformances/{nc.pk}/"

    form = client.get(url)
    initial = form.context["form"].initial
    assert initial["title"] == nc.title
    assert initial["reason_for_change"].startswith(f"{nc.number}: Burrs on the bore edge")
    assert initial["scope_parts"] == "HSG-4471" and initial["scope_sites"] == plant.code

    refused = client.post(url, {"title": "", "change_type": "process", "urgency": "standard"})
    assert refused.status_code == 422 and "title" in refused.context["form"].errors
    assert not ChangeRequest.objects.exists()

    done = client.post(
        url,
        {
            "title": "Deburr HSG-4471 bores by brush",
            "change_type": "process",
            "urgency": "standard",
            "reason_for_change": initial["reason_for_change"],
            "site": plant.pk,
            "priority": "medium",
        },
    )
    cr = ChangeRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/change-requests/{cr.pk}/"
    assert (cr.created_by, cr.site, cr.state) == (originator, plant, "draft")
    link = RecordLink.objects.get(kind="raised_from")
    assert (link.source_id, link.target_id) == (cr.pk, nc.pk)
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(ChangeRequest), object_id=cr.pk
    ).exists()


def test_only_nonconformances_and_capas_raise_changes_from_their_page(
    raise_cr: Raise, originator: User, client_for: Any
) -> None:
    cr = raise_cr()
    response = client_for(originator).get(f"/change-requests/raise-from/change-requests/{cr.pk}/")
    assert response.status_code == 404
    assert ChangeRequest.objects.count() == 1


# --- A CAPA action implemented by a change -----------------------------------------------------


@pytest.fixture
def capa_action(capa: Any, originator: User) -> ActionItem:
    return actions.assign(
        capa,
        actor=originator,
        title="Revise the deburring work instruction",
        due_on=timezone.localdate(),
        assignee=originator,
    )


def _closable(cr: ChangeRequest, owner: User, board: User) -> ChangeRequest:
    """A document change with nothing to revise, approved, implemented and in verification."""
    cr = workflow.fire(cr, "assess", actor=owner)
    cr = answer_all(cr, owner)
    cr = workflow.fire(cr, "submit_to_board", actor=owner)
    cr = workflow.fire(cr, "board_approve", actor=board, signature=sign(board))
    cr = workflow.fire(cr, "implement", actor=owner)
    return workflow.fire(cr, "implemented", actor=owner)


def test_a_capa_action_is_implemented_by_a_change_and_done_when_it_closes(
    raise_cr: Raise, originator: User, qm: User, capa: Any, capa_action: ActionItem, client_for: Any
) -> None:
    cr = raise_cr()
    row = implemented_actions.implement_action(cr, actor=originator, action_id=capa_action.pk)

    assert row.change_request == cr and row.linked_by == originator
    link = RecordLink.objects.get(kind="implements")
    assert (link.source_id, link.target_id) == (cr.pk, capa.pk)
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(ImplementedAction), object_id=row.pk
    ).exists()
    capa_page = client_for(originator).get(f"/capas/{capa.pk}/").content.decode()
    assert f"Implemented by {cr.number}" in capa_page and "Draft" in capa_page
    cr_page = client_for(originator).get(f"/change-requests/{cr.pk}/").content.decode()
    assert 'data-testid="implemented-actions"' in cr_page and capa.number in cr_page

    cr = _closable(cr, originator, qm)
    workflow.fire(cr, "close", actor=qm, signature=sign(qm), comment="WI rev C in use")

    capa_action.refresh_from_db()
    assert capa_action.state == "done" and capa_action.completed_by == qm
    assert (
        cr.number in capa_action.completion_note
        and "WI rev C in use" in capa_action.completion_note
    )
    capa_page = client_for(originator).get(f"/capas/{capa.pk}/").content.decode()
    assert "Closed" in capa_page


def test_the_verifier_who_may_not_complete_the_action_asks_its_people_to(
    raise_cr: Raise,
    originator: User,
    qm: User,
    approver: User,
    capa: Any,
    capa_action: ActionItem,
) -> None:
    cr = raise_cr()
    implemented_actions.implement_action(cr, actor=originator, action_id=capa_action.pk)
    cr = _closable(cr, originator, qm)
    # The approver verifies changes but does not work on CAPAs.
    workflow.fire(cr, "close", actor=approver, signature=sign(approver), comment="Checked")

    capa_action.refresh_from_db()
    assert capa_action.state == "open"
    asked = Notification.objects.filter(recipient=originator, title__contains="mark '")
    assert asked.count() == 1 and cr.number in asked.get().title


def test_refusals_to_link_an_action_save_nothing(
    raise_cr: Raise,
    raise_nc: Callable[..., Any],
    originator: User,
    qm: User,
    plant: Site,
    capa: Any,
    capa_action: ActionItem,
) -> None:
    cr = raise_cr()
    other = raise_cr(title="Another change")
    nc = raise_nc(site=plant)
    nc_action = actions.assign(
        nc, actor=qm, title="Sort stock", due_on=timezone.localdate(), assignee=qm
    )
    bystander = person("bystander", permissions.CONTRIBUTOR, site=plant)

    with pytest.raises(InvalidInput) as not_capa:
        implemented_actions.implement_action(cr, actor=qm, action_id=nc_action.pk)
    assert not_capa.value.errors[0].field == "action"
    with pytest.raises(PermissionDenied):
        implemented_actions.implement_action(cr, actor=bystander, action_id=capa_action.pk)
    assert (
        not ImplementedAction.objects.exists()
        and not RecordLink.objects.filter(kind="implements").exists()
    )

    implemented_actions.implement_action(cr, actor=originator, action_id=capa_action.pk)
    with pytest.raises(Conflict) as twice:
        implemented_actions.implement_action(other, actor=originator, action_id=capa_action.pk)
    assert cr.number in twice.value.detail
    assert ImplementedAction.objects.count() == 1

    withdrawn = workflow.fire(other, "withdraw", actor=originator, comment="Duplicate")
    done = actions.assign(
        capa, actor=originator, title="Train", due_on=timezone.localdate(), assignee=originator
    )
    with pytest.raises(Conflict):
        implemented_actions.implement_action(withdrawn, actor=originator, action_id=done.pk)
    actions.complete(done, actor=originator, note="Trained")
    with pytest.raises(InvalidInput):
        implemented_actions.implement_action(cr, actor=originator, action_id=done.pk)
    assert ImplementedAction.objects.count() == 1


def test_the_action_link_through_the_api(
    raise_cr: Raise, originator: User, capa: Any, capa_action: ActionItem, api_for: Any
) -> None:
    cr = raise_cr()
    api = api_for(originator)

    assert api.post(f"/change-requests/{cr.pk}/implemented-actions", {}).status_code == 422
    missing = api.post(f"/change-requests/{cr.pk}/implemented-actions", {"action": 999999})
    assert missing.status_code == 404
    made = api.post(f"/change-requests/{cr.pk}/implemented-actions", {"action": capa_action.pk})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["action_id"], body["record"], body["action_state"]) == (
        capa_action.pk,
        capa.number,
        "open",
    )
    again = api.post(f"/change-requests/{cr.pk}/implemented-actions", {"action": capa_action.pk})
    assert again.status_code == 409
    assert [r["id"] for r in api.get(f"/change-requests/{cr.pk}/implemented-actions").json()] == [
        body["id"]
    ]

    no_reason = api.post(
        f"/change-requests/{cr.pk}/implemented-actions/{body['id']}/withdraw", {"reason": " "}
    )
    assert no_reason.status_code == 422
    gone = api.post(
        f"/change-requests/{cr.pk}/implemented-actions/{body['id']}/withdraw",
        {"reason": "Wrong change"},
    )
    assert gone.status_code == 200
    assert api.get(f"/change-requests/{cr.pk}/implemented-actions").json() == []
    assert ImplementedAction.objects.get().removal_reason == "Wrong change"


def test_the_action_link_through_the_pages(
    raise_cr: Raise,
    originator: User,
    plant: Site,
    capa: Any,
    capa_action: ActionItem,
    client_for: Any,
) -> None:
    cr = raise_cr()
    client = client_for(originator)
    url = f"/change-requests/implement-action/{capa_action.pk}/"
    assert url in client.get(f"/capas/{capa.pk}/").content.decode()
    bystander = person("bystander", permissions.CONTRIBUTOR, site=plant)
    assert client_for(bystander).get(url).status_code in (403, 404)

    form = client.get(url)
    assert form.status_code == 200 and cr.number in form.content.decode()
    refused = client.post(url, {"change_request": ""})
    assert refused.status_code == 422 and not ImplementedAction.objects.exists()
    done = client.post(url, {"change_request": cr.pk})
    assert done.status_code == 302 and done["Location"] == f"/capas/{capa.pk}/"
    assert ImplementedAction.objects.get().change_request == cr


# --- The training the impact calls for ----------------------------------------------------------


@pytest.fixture
def training_declared() -> Iterator[None]:
    """The training module's assigner declared to the core's port, as its
    `Module(training_assigner=services.REQUESTED)` declares it at start-up."""
    assert training_requests.ASSIGNERS == [training_services.REQUESTED]
    yield


@pytest.fixture
def operators(plant: Site) -> list[User]:
    """Two CNC operators at the plant, and one at another site the change does not reach."""
    ops = DepartmentFactory(code="OPS", name="Operations")
    people = [
        UserFactory(username=f"op{n}", first_name=f"Op{n}", job_title="CNC Operator", site=plant)
        for n in (1, 2)
    ]
    UserFactory(username="op-leeds", job_title="CNC Operator", department=ops)
    return people


def _implementing(
    raise_cr: Raise, owner: User, board: User, sop: Document, audiences: list[str]
) -> ChangeRequest:
    cr = workflow.fire(raise_cr(), "assess", actor=owner)
    cr = answer_all(
        cr,
        owner,
        documents=Answer("documents", "yes", "Add the CMM probes", documents=[sop.pk]),
        training=Answer("training", "yes", "Brief the operators", audiences=audiences),
    )
    cr = workflow.fire(cr, "submit_to_board", actor=owner)
    cr = workflow.fire(cr, "board_approve", actor=board, signature=sign(board))
    return workflow.fire(cr, "implement", actor=owner)


def _read(record: TrainingRecord) -> None:
    workflow.fire(record, "acknowledge", actor=record.person, signature=sign(record.person))


def _revised(cr: ChangeRequest, owner: User, approver: User, sop: Document) -> Any:
    """The revision of the SOP made for the change, approved and in force."""
    return release(services.start_revision(cr, actor=owner, document_id=sop.pk), approver)


def test_training_is_asked_once_the_revision_made_for_the_change_is_in_force(
    training_declared: None,
    raise_cr: Raise,
    qm: User,
    approver: User,
    second_qm: User,
    sop: Document,
    operators: list[User],
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cr = _implementing(raise_cr, qm, second_qm, sop, ["cnc operator"])
    assert training_impact.assign(cr, actor=qm) == []  # nothing new to read yet
    # The approver who makes it effective may not assign training: it waits for someone who may.
    with django_capture_on_commit_callbacks(execute=True):
        revision = _revised(cr, qm, approver, sop)
    assert not TrainingRecord.objects.exists()

    asked = training_impact.assign(cr, actor=qm)
    assert sorted(r.person.username for r in asked) == ["op1", "op2"]
    readings = TrainingRecord.objects.filter(person__in=operators)
    assert {r.revision_id for r in readings} == {revision.pk}
    # Asked again (the page's button, the API, a replay): nothing is assigned twice.
    assert training_impact.assign(cr, actor=qm) == []
    assert TrainingRecord.objects.count() == 2 and ChangeTraining.objects.count() == 2
    rows = AuditEvent.objects.filter(object_type=ContentType.objects.get_for_model(ChangeTraining))
    assert rows.count() == 2
    assert training_impact.progress(cr) == (0, 2)

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "implemented", actor=qm)
    for record in readings:
        assert f"{record.person.printed_name} has not completed {record.number}" in (
            refused.value.detail
        )
    cr.refresh_from_db()
    assert cr.state == "implementing"

    page = client_for(qm).get(f"/change-requests/{cr.pk}/").content.decode()
    assert "0/2 readings done" in page and readings[0].number in page
    for record in readings:
        _read(record)
    assert training_impact.progress(cr) == (2, 2)
    assert "2/2 readings done" in client_for(qm).get(f"/change-requests/{cr.pk}/").content.decode()
    assert workflow.fire(cr, "implemented", actor=qm).state == "verification"


def test_a_quality_manager_making_the_revision_effective_asks_the_training_at_once(
    training_declared: None,
    raise_cr: Raise,
    originator: User,
    qm: User,
    sop: Document,
    operators: list[User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    cr = _implementing(raise_cr, originator, qm, sop, ["CNC Operator"])
    with django_capture_on_commit_callbacks(execute=True):
        _revised(cr, originator, qm, sop)

    assert ChangeTraining.objects.filter(change_request=cr).count() == 2
    assert {r.assigned_by for r in ChangeTraining.objects.all()} == {qm}
    assert TrainingRecord.objects.count() == 2


def test_a_reading_the_person_holds_already_is_not_assigned_again(
    training_declared: None,
    raise_cr: Raise,
    qm: User,
    second_qm: User,
    approver: User,
    sop: Document,
    operators: list[User],
) -> None:
    cr = _implementing(raise_cr, qm, second_qm, sop, ["CNC Operator"])
    _revised(cr, qm, approver, sop)
    held = training_services.assign_training(
        actor=qm, person=operators[0], document_number=sop.number
    )

    training_impact.assign(cr, actor=qm)

    assert TrainingRecord.objects.filter(person=operators[0]).count() == 1
    assert ChangeTraining.objects.get(person=operators[0]).training_record_id == held.pk
    assert TrainingRecord.objects.filter(person=operators[1]).count() == 1


def test_an_owner_who_may_not_assign_training_leaves_it_to_a_coordinator(
    training_declared: None,
    raise_cr: Raise,
    originator: User,
    qm: User,
    approver: User,
    sop: Document,
    operators: list[User],
    client_for: Any,
    api_for: Any,
) -> None:
    cr = _implementing(raise_cr, originator, qm, sop, ["OPS", "CNC Operator", "Welders"])
    _revised(cr, originator, approver, sop)

    page = client_for(originator).get(f"/change-requests/{cr.pk}/").content.decode()
    assert "0/2 readings done; 2 not assigned yet" in page
    assert "No one at this site is OPS, Welders" in page
    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "implemented", actor=originator)
    assert f"{sop.number} is not assigned to {operators[0].printed_name}" in refused.value.detail

    denied = client_for(originator).post(f"/change-requests/{cr.pk}/training/assign/")
    assert denied.status_code == 403
    assert not TrainingRecord.objects.exists() and not ChangeTraining.objects.exists()

    api = api_for(qm)
    done = api.post(f"/change-requests/{cr.pk}/training/assign", {})
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["assigned"], body["done"], body["total"], body["not_assigned"]) == (2, 0, 2, 0)
    assert body["unmatched"] == ["OPS", "Welders"]
    assert {r["person_id"] for r in body["readings"]} == {p.pk for p in operators}
    again = api.post(f"/change-requests/{cr.pk}/training/assign", {}).json()
    assert again["assigned"] == 0 and TrainingRecord.objects.count() == 2
    # The originator may see the change and its progress, not people's training records.
    seen = api_for(originator).get(f"/change-requests/{cr.pk}/training").json()
    assert (seen["done"], seen["total"], seen["readings"]) == (0, 2, [])


def test_training_is_asked_only_while_the_change_is_implemented(
    training_declared: None, raise_cr: Raise, qm: User, api_for: Any
) -> None:
    cr = raise_cr()
    refused = api_for(qm).post(f"/change-requests/{cr.pk}/training/assign", {})
    assert refused.status_code == 409 and not ChangeTraining.objects.exists()


def test_without_a_module_assigning_training_the_change_says_so_and_is_not_held(
    monkeypatch: pytest.MonkeyPatch,
    raise_cr: Raise,
    qm: User,
    second_qm: User,
    approver: User,
    sop: Document,
    operators: list[User],
    client_for: Any,
) -> None:
    # A Qualitas without the training module: nobody answers the port.
    monkeypatch.setattr(training_requests, "ASSIGNERS", [])
    assert not training_requests.available()
    cr = _implementing(raise_cr, qm, second_qm, sop, ["CNC Operator"])
    _revised(cr, qm, approver, sop)

    page = client_for(qm).get(f"/change-requests/{cr.pk}/").content.decode()
    assert "No installed module assigns training" in page
    with pytest.raises(Conflict):
        training_impact.assign(cr, actor=qm)
    assert workflow.fire(cr, "implemented", actor=qm).state == "verification"
    assert not ChangeTraining.objects.exists() and not TrainingRecord.objects.exists()


def test_a_reading_cancelled_by_a_newer_revision_is_asked_again(
    training_declared: None,
    raise_cr: Raise,
    qm: User,
    second_qm: User,
    approver: User,
    author: User,
    sop: Document,
    operators: list[User],
) -> None:
    from qualitas.documents import services as document_services

    cr = _implementing(raise_cr, qm, second_qm, sop, ["CNC Operator"])
    _revised(cr, qm, approver, sop)
    first = {r.training_record_id for r in training_impact.assign(cr, actor=qm)}
    # A newer revision takes effect: the training module cancels the readings of the old one.
    newer = release(
        document_services.new_revision(sop, actor=author, change_reason="Typo"), approver
    )
    cancelled = TrainingRecord.objects.filter(pk__in=first).values_list("state", flat=True)
    assert set(cancelled) == {"cancelled"}
    assert training_impact.progress(cr) == (0, 2)

    asked = training_impact.assign(cr, actor=qm)
    assert len(asked) == 2 and ChangeTraining.objects.count() == 2
    live = TrainingRecord.objects.filter(state="assigned")
    assert {r.revision_id for r in live} == {newer.pk}
    assert {r.training_record_id for r in ChangeTraining.objects.all()} == {r.pk for r in live}


def test_a_change_withdrawn_tells_the_action_s_people_it_will_not_implement_it(
    raise_cr: Raise, originator: User, qm: User, capa: Any
) -> None:
    action = actions.assign(
        capa, actor=qm, title="New fixture", due_on=timezone.localdate(), assignee=qm
    )
    cr = raise_cr()
    implemented_actions.implement_action(cr, actor=qm, action_id=action.pk)

    workflow.fire(cr, "withdraw", actor=originator, comment="Done differently")

    told = Notification.objects.filter(recipient=qm, title__contains="will not implement")
    assert told.count() == 1 and "Done differently" in told.get().body
    action.refresh_from_db()
    assert action.state == "open"


def test_the_assign_button_on_the_change_page(
    training_declared: None,
    raise_cr: Raise,
    originator: User,
    qm: User,
    approver: User,
    sop: Document,
    operators: list[User],
    client_for: Any,
) -> None:
    cr = _implementing(raise_cr, originator, qm, sop, ["CNC Operator"])
    _revised(cr, originator, approver, sop)
    page = client_for(qm).get(f"/change-requests/{cr.pk}/").content.decode()
    assert 'data-testid="assign-training"' in page

    done = client_for(qm).post(f"/change-requests/{cr.pk}/training/assign/")

    assert done.status_code == 302 and ChangeTraining.objects.count() == 2
    page = client_for(qm).get(f"/change-requests/{cr.pk}/").content.decode()
    assert 'data-testid="assign-training"' not in page and "0/2 readings done." in page


# --- Courses a change trains people on (no document revised) -----------------------------------


def test_a_new_machine_trains_its_operators_on_a_course_when_implementation_starts(
    training_declared: None,
    raise_cr: Raise,
    qm: User,
    second_qm: User,
    operators: list[User],
    api_for: Any,
) -> None:
    course = training_services.create_course(
        actor=qm, code="CNC-5AX", title="Five-axis machining centre", kind="on_the_job"
    )
    cr = workflow.fire(
        raise_cr(title="Five-axis machining centre in cell 4", change_type="equipment"),
        "assess",
        actor=qm,
    )
    # An unknown course is refused naming the answer's courses; nothing is saved.
    payload = {
        "version": cr.version,
        "answers": [
            {
                "item": "training",
                "answer": "yes",
                "comment": "Operators trained on the new machine",
                "audiences": ["CNC Operator"],
                "courses": ["CNC-9ZZ"],
            }
        ],
    }
    refused = api_for(qm).put(f"/change-requests/{cr.pk}/impact", payload)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["answers[0].courses"]
    assert not cr.impact_answers.exists()

    cr = answer_all(
        cr,
        qm,
        training=Answer(
            "training",
            "yes",
            "Operators trained on the new machine",
            audiences=["CNC Operator"],
            courses=["CNC-5AX"],
        ),
    )
    shown = api_for(qm).get(f"/change-requests/{cr.pk}/impact").json()
    assert [i["courses"] for i in shown["items"] if i["item"] == "training"] == [["CNC-5AX"]]
    cr = workflow.fire(cr, "submit_to_board", actor=qm)
    cr = workflow.fire(cr, "board_approve", actor=second_qm, signature=sign(second_qm))
    assert not TrainingRecord.objects.exists()  # nothing is asked before implementation

    cr = workflow.fire(cr, "implement", actor=qm)
    records_ = TrainingRecord.objects.filter(course=course).order_by("person__username")
    # The two operators at the change's site; not the one at the other site.
    assert [r.person.username for r in records_] == ["op1", "op2"]
    assert ChangeTraining.objects.filter(change_request=cr, course_code="CNC-5AX").count() == 2
    assert training_impact.assign(cr, actor=qm) == []  # idempotent
    training = api_for(qm).get(f"/change-requests/{cr.pk}/training").json()
    assert training["courses"] == ["CNC-5AX"]
    assert (training["done"], training["total"]) == (0, 2)
    assert {r["document_number"] for r in training["readings"]} == {"course CNC-5AX"}

    with pytest.raises(InvalidInput) as held:
        workflow.fire(cr, "implemented", actor=qm)
    assert "has not completed" in held.value.detail
