"""The cast and helpers of document-control tests: an author, a document controller,
approvers, a reviewer, and a way to take a revision all the way to effective."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qualitas.core import permissions, signatures, workflow
from qualitas.core.models import User
from qualitas.documents import services, signoffs
from qualitas.documents.models import Document, DocumentRevision, DocumentType
from tests.factories import PASSWORD, UserFactory, with_role


def _person(username: str, first: str, last: str, role: str) -> User:
    return with_role(UserFactory(username=username, first_name=first, last_name=last), role)


@pytest.fixture
def author(db: None) -> User:
    return _person("author", "Ana", "Author", permissions.CONTRIBUTOR)


@pytest.fixture
def controller(db: None) -> User:
    return _person("controller", "Dora", "Control", permissions.DOCUMENT_CONTROLLER)


@pytest.fixture
def approver(db: None) -> User:
    return _person("approver", "Abe", "Approver", permissions.APPROVER)


@pytest.fixture
def second_approver(db: None) -> User:
    return _person("approver2", "Bea", "Second", permissions.APPROVER)


@pytest.fixture
def reviewer(db: None) -> User:
    return _person("reviewer", "Rita", "Reviewer", permissions.CONTRIBUTOR)


@pytest.fixture
def procedure(db: None) -> DocumentType:
    return DocumentType.objects.get(code="procedure")


def sign_token(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


@pytest.fixture
def new_document(author: User, procedure: DocumentType) -> Callable[..., Document]:
    def make(**fields: Any) -> Document:
        fields.setdefault("title", "Control of nonconforming product")
        fields.setdefault("content_text", "# Purpose\n\nSegregate and label nonconforming parts.")
        return services.create_document(
            actor=fields.pop("actor", author),
            document_type=fields.pop("document_type", procedure),
            **fields,
        )

    return make


@pytest.fixture
def release(author: User, approver: User) -> Callable[..., DocumentRevision]:
    """Take a draft through review and approval (to effective, unless dated later)."""

    def run(
        revision: DocumentRevision, *, by: User | None = None, reviewers: tuple[User, ...] = ()
    ) -> DocumentRevision:
        signer = by or approver
        writer = revision.owner
        signoffs.set_signoffs(revision, actor=writer, reviewers=list(reviewers), approvers=[signer])
        workflow.fire(revision, "submit", actor=writer)
        for person in reviewers:
            signoffs.review(revision, actor=person, accept=True)
        done = signoffs.approve(revision, actor=signer, signature=sign_token(signer))
        done.refresh_from_db()
        return done

    return run


def readers_of(revision: Any, state: str | None = None) -> list[str]:
    """Usernames of the people asked to read the revision (in that state), sorted; the
    readings are the training module's records, reached as the documents module does."""
    from qualitas.documents import reading

    ids = [r.person_id for r in reading.readings(revision) if state is None or r.state == state]
    return sorted(User.objects.filter(pk__in=ids).values_list("username", flat=True))
