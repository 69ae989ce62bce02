"""The cast of training tests: a coordinator (quality manager), operators in the assembly
department, an inspector, and controlled documents taken all the way to effective through
the documents module's own services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qualitas.core import permissions, signatures, workflow
from qualitas.core.models import Department, Site, User
from qualitas.documents import services as documents, signoffs
from qualitas.documents.models import Document, DocumentRevision, DocumentType
from qualitas.training import services
from qualitas.training.models import Course, JobRole
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, with_role


@pytest.fixture
def assembly(site: Site) -> Department:
    department: Department = DepartmentFactory(code="ASM", name="Assembly", site=site)
    return department


@pytest.fixture
def cast(site: Site, assembly: Department) -> dict[str, User]:
    def person(username: str, role: str, *, anywhere: bool = False, **fields: Any) -> User:
        user = UserFactory(username=username, site=site, **fields)
        return with_role(user, role, site=None if anywhere else site)

    return {
        "coordinator": person("coord", permissions.QUALITY_MANAGER),
        "operator": person("oper", permissions.CONTRIBUTOR, department=assembly),
        "welder": person("weld", permissions.CONTRIBUTOR, department=assembly),
        "inspector": person("insp", permissions.CONTRIBUTOR),
        # Documents apply everywhere: their author and approver hold their roles everywhere.
        "approver": person("appr", permissions.APPROVER, anywhere=True),
        "author": person("auth", permissions.DOCUMENT_CONTROLLER, anywhere=True),
    }


def token(user: User, subject: Any = None) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD, subject=subject)


@pytest.fixture
def release(cast: dict[str, User]) -> Callable[[DocumentRevision], DocumentRevision]:
    """Take a draft revision through approval to effective."""

    def run(revision: DocumentRevision) -> DocumentRevision:
        writer, signer = revision.owner, cast["approver"]
        signoffs.set_signoffs(revision, actor=writer, reviewers=[], approvers=[signer])
        workflow.fire(revision, "submit", actor=writer)
        done = signoffs.approve(revision, actor=signer, signature=token(signer))
        done.refresh_from_db()
        return done

    return run


@pytest.fixture
def sop(cast: dict[str, User], release: Callable[..., DocumentRevision]) -> Document:
    """An effective procedure (revision A)."""
    document = documents.create_document(
        actor=cast["author"],
        document_type=DocumentType.objects.get(code="procedure"),
        title="Torque tightening",
        content_text="# Purpose\n\nTighten to the drawing's torque.",
    )
    release(document.revisions.get())
    document.refresh_from_db()
    return document


@pytest.fixture
def revise(
    cast: dict[str, User], release: Callable[..., DocumentRevision]
) -> Callable[[Document], DocumentRevision]:
    def run(document: Document) -> DocumentRevision:
        draft = documents.new_revision(document, actor=cast["author"])
        documents.edit_revision(
            draft, actor=cast["author"], expected_version=draft.version, change_summary="New"
        )
        return release(draft)

    return run


@pytest.fixture
def first_aid(cast: dict[str, User]) -> Course:
    return services.create_course(
        actor=cast["coordinator"], code="FA-01", title="First aid", kind="classroom",
        validity_months=24,
    )  # fmt: skip


@pytest.fixture
def welding(cast: dict[str, User]) -> Course:
    return services.create_course(
        actor=cast["coordinator"], code="OJT-WELD", title="TIG welding", kind="on_the_job"
    )


@pytest.fixture
def operators(cast: dict[str, User]) -> JobRole:
    return services.create_job_role(actor=cast["coordinator"], name="Assembly operator")
