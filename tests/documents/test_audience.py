"""Who must read a new document, chosen when it is registered, and what a new revision
starts with (reviewers, approvers and readers of the one before)."""

from __future__ import annotations

import pytest

from qualitas.core import audit, permissions, workflow
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, Role
from qualitas.documents import queries, services, signoffs
from qualitas.documents.models import Document, DocumentRevision
from tests.documents.conftest import readers_of, sign_token
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NO_AUDIENCE = "choose the roles or departments who must read and acknowledge it"


@pytest.fixture
def assembly(author):
    department = DepartmentFactory(code="ASM", name="Assembly")
    fitter = UserFactory(username="fitter", first_name="Fay", last_name="Fitter")
    with audit.context(actor=author):
        fitter.department = department
        fitter.save()
    return department


def _readers(revision: DocumentRevision) -> list[str]:
    return readers_of(revision)


# --- Registering a document that people must read ---------------------------------------------


def test_readers_chosen_at_registration_are_asked_at_effective(new_document, assembly, release):
    document = new_document(training_impact=True, training_departments=[assembly])
    revision = release(document.revisions.get())
    assert revision.state == "effective"
    assert _readers(revision) == ["fitter"]


def test_the_audience_set_at_registration_is_in_the_trail(new_document, assembly):
    document = new_document(training_impact=True, training_departments=[assembly])
    revision = document.revisions.get()
    event = AuditEvent.objects.get(
        object_id=revision.pk, action="update", changes__has_key="training_departments"
    )
    assert event.changes["training_departments"] == {"old": [], "new": [str(assembly)]}
    assert event.actor == document.created_by


def test_the_box_without_an_audience_is_refused_naming_the_field(new_document):
    with pytest.raises(InvalidInput) as refused:
        new_document(training_impact=True)
    assert [e.field for e in refused.value.errors] == ["training_roles"]
    assert NO_AUDIENCE in str(refused.value)
    assert not Document.objects.exists()


def test_the_page_registers_a_document_with_its_readers(client_for, author, procedure, assembly):
    role = Role.objects.get(code=permissions.VIEWER)
    response = client_for(author).post(
        "/documents/new/",
        {
            "document_type": procedure.pk,
            "title": "Torque setting of M8 fasteners",
            "content_text": "Set the wrench to 20 Nm.",
            "confidentiality": "internal",
            "training_impact": "on",
            "training_roles": [role.pk],
            "training_departments": [assembly.pk],
        },
    )
    document = Document.objects.get(title="Torque setting of M8 fasteners")
    assert response.status_code == 302
    revision = document.revisions.get()
    assert revision.training_impact is True
    assert list(revision.training_roles.all()) == [role]
    assert list(revision.training_departments.all()) == [assembly]


def test_the_page_refuses_the_box_alone_with_422_on_the_audience(client_for, author, procedure):
    response = client_for(author).post(
        "/documents/new/",
        {
            "document_type": procedure.pk,
            "title": "Torque setting of M8 fasteners",
            "content_text": "Set the wrench to 20 Nm.",
            "confidentiality": "internal",
            "training_impact": "on",
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["training_roles"] and NO_AUDIENCE in errors["training_roles"][0]
    assert not Document.objects.exists()
    # The fields are on the form the author sees.
    page = client_for(author).get("/documents/new/").content.decode()
    assert 'name="training_roles"' in page and 'name="training_departments"' in page


def test_a_viewer_cannot_register_a_document(client_for, api_for, viewer, procedure, assembly):
    api_client = api_for(viewer)
    events = AuditEvent.objects.count()
    page = client_for(viewer).post(
        "/documents/new/",
        {"document_type": procedure.pk, "title": "Mine", "training_impact": "on"},
    )
    api = api_client.post(
        "/documents",
        {
            "document_type": "procedure",
            "title": "Mine",
            "training_impact": True,
            "training_departments": [assembly.pk],
        },
    )
    assert (page.status_code, api.status_code) == (403, 403)
    assert not Document.objects.exists()
    assert AuditEvent.objects.count() == events


def test_the_api_registers_with_readers_and_refuses_the_box_alone(api_for, author, assembly):
    payload = {"document_type": "procedure", "title": "Gowning", "training_impact": True}
    refused = api_for(author).post("/documents", payload)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["training_roles"]
    unknown = api_for(author).post("/documents", {**payload, "training_departments": [99999]})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["training_departments"]
    assert not Document.objects.exists()

    created = api_for(author).post("/documents", {**payload, "training_departments": [assembly.pk]})
    assert created.status_code == 201
    revision = Document.objects.get(pk=created.json()["id"]).revisions.get()
    assert list(revision.training_departments.all()) == [assembly]


def test_the_box_alone_takes_the_readers_the_type_declares(
    api_for, new_document, controller, author, procedure, assembly, release
):
    changed = api_for(controller).patch(
        f"/documents/types/{procedure.pk}",
        {"default_training_departments": [assembly.pk], "reason": "Procedures concern Assembly"},
    )
    assert changed.status_code == 200
    assert changed.json()["default_training_departments"] == [assembly.pk]
    event = AuditEvent.objects.get(
        object_id=procedure.pk, changes__has_key="default_training_departments"
    )
    assert (event.actor, event.reason) == (controller, "Procedures concern Assembly")

    document = new_document(training_impact=True)
    revision = document.revisions.get()
    assert list(revision.training_departments.all()) == [assembly]
    # Named readers win over the type's.
    role = Role.objects.get(code=permissions.VIEWER)
    named = new_document(title="Gowning", training_impact=True, training_roles=[role])
    assert list(named.revisions.get().training_departments.all()) == []
    assert _readers(release(revision)) == ["fitter"]


def test_the_type_page_sets_and_shows_its_readers(client_for, controller, procedure, assembly):
    response = client_for(controller).post(
        f"/documents/types/{procedure.pk}/edit/",
        {
            "name": "Procedure",
            "number_pattern": procedure.number_pattern,
            "revision_scheme": "letters",
            "review_interval_months": 24,
            "approval_order": "parallel",
            "default_training_departments": [assembly.pk],
        },
    )
    assert response.status_code == 302
    assert list(procedure.default_training_departments.all()) == [assembly]
    listing = client_for(controller).get("/documents/types/").content.decode()
    assert "Who must read" in listing and "Assembly" in listing


def test_only_document_control_sets_a_types_readers(api_for, author, procedure, assembly):
    refused = api_for(author).patch(
        f"/documents/types/{procedure.pk}", {"default_training_departments": [assembly.pk]}
    )
    assert refused.status_code == 403
    assert list(procedure.default_training_departments.all()) == []


def test_unticking_nobody_to_read_a_draft_that_must_be_read_is_refused(
    new_document, author, assembly
):
    draft = new_document(training_impact=True, training_departments=[assembly]).revisions.get()
    with pytest.raises(InvalidInput) as refused:
        services.edit_revision(
            draft, actor=author, expected_version=draft.version, training_departments=[]
        )
    assert [e.field for e in refused.value.errors] == ["training_roles"]
    draft.refresh_from_db()
    assert list(draft.training_departments.all()) == [assembly]


# --- What revision B starts with -------------------------------------------------------------


def test_a_new_revision_starts_with_the_previous_readers_reviewers_and_approvers(
    new_document, author, reviewer, approver, second_approver, assembly
):
    document = new_document(training_impact=True, training_departments=[assembly])
    first = document.revisions.get()
    signoffs.set_signoffs(
        first, actor=author, reviewers=[reviewer], approvers=[approver, second_approver]
    )
    workflow.fire(first, "submit", actor=author)
    signoffs.review(first, actor=reviewer, accept=True)
    for person in (approver, second_approver):
        first = signoffs.approve(first, actor=person, signature=sign_token(person))
    assert first.state == "effective"

    second = services.new_revision(document, actor=author, change_reason="New wrench")
    steps = queries.current_signoffs(second)
    assert [(s.kind, s.person, s.outcome) for s in steps] == [
        ("review", reviewer, "pending"),
        ("approval", approver, "pending"),
        ("approval", second_approver, "pending"),
    ]
    assert second.training_impact is True
    assert list(second.training_departments.all()) == [assembly]
    # The author can change them: they are a starting point.
    signoffs.set_signoffs(second, actor=author, reviewers=[], approvers=[second_approver])
    assert [s.person for s in queries.current_signoffs(second)] == [second_approver]


def test_carried_approvers_leave_out_the_new_author_and_who_has_left(
    new_document, author, approver, second_approver
):
    document = new_document()
    first = document.revisions.get()
    signoffs.set_signoffs(first, actor=author, reviewers=[], approvers=[approver, second_approver])
    workflow.fire(first, "submit", actor=author)
    for person in (approver, second_approver):
        signoffs.approve(first, actor=person, signature=sign_token(person))
    with audit.context(actor=author):
        second_approver.is_active = False
        second_approver.save()
    # The first approver writes revision B: they cannot approve their own revision.
    second = services.new_revision(document, actor=approver)
    assert queries.current_signoffs(second) == []
