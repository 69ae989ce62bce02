"""Security review finding 4: an approver at Sheffield approved a Leeds document. Approval
authority is held at the sites where a document applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qualitas.core import permissions, services as core_services, workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.documents import policy, signoffs
from qualitas.documents.models import Document, SignOff
from tests.documents.conftest import sign_token
from tests.factories import SiteFactory, UserFactory, with_role


@pytest.fixture
def plants(db: None) -> tuple[Any, Any]:
    return SiteFactory(code="SHF", name="Sheffield"), SiteFactory(code="LDS", name="Leeds")


def _approver_at(site: Any, name: str) -> User:
    return with_role(UserFactory(username=name, site=site), permissions.APPROVER, site=site)


def test_an_approver_at_one_site_cannot_be_asked_to_approve_another_sites_document(
    new_document: Callable[..., Document], author: User, plants: tuple[Any, Any]
) -> None:
    sheffield, leeds = plants
    leeds_sop = new_document(sites=[leeds])
    company_wide = new_document(title="Quality manual")
    sheffield_approver = _approver_at(sheffield, "shf")

    for document in (leeds_sop, company_wide):
        with pytest.raises(InvalidInput) as refused:
            signoffs.set_signoffs(
                document.revisions.get(), actor=author, reviewers=[], approvers=[sheffield_approver]
            )
        assert refused.value.errors[0].field == "approvers"
    assert not SignOff.objects.exists()

    leeds_approver = _approver_at(leeds, "lds")
    signoffs.set_signoffs(
        leeds_sop.revisions.get(), actor=author, reviewers=[], approvers=[leeds_approver]
    )
    assert policy.may_approve(leeds_approver, leeds_sop)
    assert not policy.may_approve(leeds_approver, company_wide)


def test_authority_lost_after_being_listed_stops_the_signature(
    new_document: Callable[..., Document], author: User, admin: User, plants: tuple[Any, Any]
) -> None:
    _, leeds = plants
    document = new_document(sites=[leeds])
    revision = document.revisions.get()
    approver = _approver_at(leeds, "lds")
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    for assignment in approver.role_assignments.all():
        core_services.revoke_role(assignment, actor=admin)
    with_role(approver, permissions.APPROVER, site=SiteFactory(code="SHF"))

    with pytest.raises(PermissionDenied, match="may not approve"):
        signoffs.approve(revision, actor=approver, signature=sign_token(approver))

    revision.refresh_from_db()
    assert revision.state == "in_review"
