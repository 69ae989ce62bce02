"""The cast of change-control tests at one plant: an originator, the change's owner, the
board members (quality managers, an approver), an administrator, and a controlled
document the changes revise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qualitas.changes import services
from qualitas.changes.models import ChangeRequest
from qualitas.core import permissions, signatures, workflow
from qualitas.core.models import Site, User
from qualitas.documents import services as document_services, signoffs
from qualitas.documents.models import Document, DocumentType
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role


def person(username: str, role: str, *, site: Site | None = None) -> User:
    user = UserFactory(username=username, first_name=username.title(), last_name="Tester")
    return with_role(user, role, site=site)


def sign(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


@pytest.fixture
def plant(db: None) -> Site:
    return SiteFactory(code="SHF", name="Sheffield Works")


@pytest.fixture
def originator(plant: Site) -> User:
    return person("originator", permissions.CONTRIBUTOR, site=plant)


@pytest.fixture
def qm(plant: Site) -> User:
    return person("qm", permissions.QUALITY_MANAGER)


@pytest.fixture
def second_qm(plant: Site) -> User:
    return person("qm2", permissions.QUALITY_MANAGER, site=plant)


@pytest.fixture
def approver(plant: Site) -> User:
    return person("approver", permissions.APPROVER)


@pytest.fixture
def it_admin(plant: Site) -> User:
    return person("itadmin", permissions.ADMINISTRATOR)


@pytest.fixture
def author(plant: Site) -> User:
    return person("author", permissions.CONTRIBUTOR)


@pytest.fixture
def sop(author: User, approver: User) -> Document:
    """The calibration SOP, revision A effective."""
    document = document_services.create_document(
        actor=author,
        document_type=DocumentType.objects.get(code="procedure"),
        title="Calibration of measuring equipment",
        content_text="# Purpose\n\nCalibrate gauges on schedule.",
    )
    release(document.revisions.get(), approver)
    return document


def release(revision: Any, approver: User) -> Any:
    """A draft through approval to effective."""
    writer = revision.owner
    if revision.sequence > 1:
        revision = document_services.edit_revision(
            revision,
            actor=writer,
            expected_version=revision.version,
            change_summary="Adds the CMM probes to the calibration plan.",
        )
    signoffs.set_signoffs(revision, actor=writer, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=writer)
    done = signoffs.approve(revision, actor=approver, signature=sign(approver))
    done.refresh_from_db()
    return done


@pytest.fixture
def raise_cr(originator: User, plant: Site) -> Callable[..., ChangeRequest]:
    def make(**fields: Any) -> ChangeRequest:
        fields.setdefault("title", "Second source for shaft SHF-2209")
        fields.setdefault("change_type", "document")
        fields.setdefault("reason_for_change", "The sole supplier is on allocation until Q3.")
        fields.setdefault("site", plant)
        return services.raise_change_request(actor=fields.pop("actor", originator), **fields)

    return make


def answer_all(cr: ChangeRequest, actor: User, **special: services.ImpactInput) -> ChangeRequest:
    """Answer every item of the change's checklist "no", except those given."""
    from qualitas.changes import checklists

    answers = [
        special.get(item, services.ImpactInput(item, "no"))
        for item in checklists.checklist(cr.change_type)
    ]
    return services.set_impact(cr, actor=actor, answers=answers, expected_version=cr.version)
