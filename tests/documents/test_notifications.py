"""Who is asked to review, approve and read a revision, when, and that the request leaves
the unread list once its task is done or no longer asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from qualitas.core import audit, jobs, notifications, workflow
from qualitas.core.models import Notification
from qualitas.documents import queries, reading, services, signoffs
from tests.documents.conftest import sign_token
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def unread(person, text: str) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=person, read_at__isnull=True, title__contains=text
        ).values_list("title", flat=True)
    )


def asked(person, text: str) -> int:
    return Notification.objects.filter(recipient=person, title__contains=text).count()


@pytest.fixture
def draft(new_document):
    return new_document().revisions.get()


# --- When approvers are asked ------------------------------------------------------------------


def test_approvers_are_asked_only_once_the_reviews_are_done(draft, author, reviewer, approver):
    signoffs.set_signoffs(draft, actor=author, reviewers=[reviewer], approvers=[approver])
    services.edit_revision(draft, actor=author, expected_version=draft.version, title="Renamed")
    assert asked(approver, "Please approve") == 0  # a draft asks nobody

    workflow.fire(draft, "submit", actor=author)
    assert unread(reviewer, "Please review") == [f"Please review {draft.number} Renamed"]
    assert asked(approver, "Please approve") == 0  # the review comes first

    signoffs.review(draft, actor=reviewer, accept=False, comment="Step 3 is unclear")
    assert asked(approver, "Please approve") == 0
    assert len(unread(reviewer, "Please review")) == 1  # commenting is not accepting

    signoffs.review(draft, actor=reviewer, accept=True)
    assert unread(approver, "Please approve") == [f"Please approve {draft.number} Renamed"]
    assert unread(reviewer, "Please review") == []


def test_without_reviewers_approvers_are_asked_when_it_is_sent(draft, author, approver):
    signoffs.set_signoffs(draft, actor=author, reviewers=[], approvers=[approver])
    assert asked(approver, "Please approve") == 0
    workflow.fire(draft, "submit", actor=author)
    assert len(unread(approver, "Please approve")) == 1


def test_the_signature_completes_the_approvers_request_and_asks_nobody_twice(
    draft, author, approver, second_approver
):
    signoffs.set_signoffs(draft, actor=author, reviewers=[], approvers=[approver, second_approver])
    workflow.fire(draft, "submit", actor=author)
    signoffs.approve(draft, actor=approver, signature=sign_token(approver))
    assert unread(approver, "Please approve") == []
    # In parallel approval the second approver was asked when approval started, once.
    assert asked(second_approver, "Please approve") == 1
    assert len(unread(second_approver, "Please approve")) == 1
    signoffs.approve(draft, actor=second_approver, signature=sign_token(second_approver))
    assert unread(second_approver, "Please approve") == []


def test_in_sequence_the_next_approver_is_asked_after_the_one_before_signs(
    draft, author, controller, approver, second_approver, procedure
):
    services.update_document_type(procedure, actor=controller, approval_order="sequential")
    signoffs.set_signoffs(draft, actor=author, reviewers=[], approvers=[approver, second_approver])
    workflow.fire(draft, "submit", actor=author)
    assert (asked(approver, "Please approve"), asked(second_approver, "Please approve")) == (1, 0)
    signoffs.approve(draft, actor=approver, signature=sign_token(approver))
    assert (asked(approver, "Please approve"), asked(second_approver, "Please approve")) == (1, 1)
    assert unread(approver, "Please approve") == []


def test_back_to_draft_takes_back_the_requests_to_review_and_approve(
    draft, author, controller, reviewer, approver
):
    signoffs.set_signoffs(draft, actor=author, reviewers=[reviewer], approvers=[approver])
    workflow.fire(draft, "submit", actor=author)
    signoffs.review(draft, actor=reviewer, accept=True)
    assert len(unread(approver, "Please approve")) == 1
    workflow.fire(draft, "return_to_draft", actor=controller, comment="Add the revalidation step")
    draft.refresh_from_db()
    assert draft.state == "draft"
    # The case: "Please approve SOP-0011 rev A" while it is a draft.
    assert unread(approver, "Please approve") == []
    assert unread(reviewer, "Please review") == []
    # Sent again, they are asked again.
    workflow.fire(draft, "submit", actor=author)
    assert len(unread(reviewer, "Please review")) == 1
    assert asked(approver, "Please approve") == 1


def test_a_withdrawn_revision_asks_nobody_to_approve_it(draft, author, controller, approver):
    signoffs.set_signoffs(draft, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(draft, "submit", actor=author)
    services.withdraw_document(draft.document, actor=controller, reason="Replaced by SOP-0020")
    assert unread(approver, "Please approve") == []


# --- Read and understood -----------------------------------------------------------------------


@pytest.fixture
def readers(author, viewer, reviewer):
    department = DepartmentFactory(code="ASM", name="Assembly")
    with audit.context(actor=author):
        for person in (viewer, reviewer):
            person.department = department
            person.save()
    return department


def test_the_request_to_read_is_done_when_the_reader_acknowledges(
    new_document, readers, viewer, reviewer, release
):
    document = new_document(training_impact=True, training_departments=[readers])
    revision = release(document.revisions.get())
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        jobs.run_all(["training-overdue"])
    assert len(unread(viewer, "Read and acknowledge")) == 1
    assert len(unread(viewer, "Please read")) == 1
    reading.acknowledge(revision, actor=viewer, signature=sign_token(viewer))
    assert unread(viewer, revision.number) == []
    # Only the reader's own: the other reader still has it to do.
    assert len(unread(reviewer, "Read and acknowledge")) == 1


def test_a_superseded_revision_is_no_longer_asked_to_be_read(
    new_document, author, readers, reviewer, release
):
    document = new_document(training_impact=True, training_departments=[readers])
    first = release(document.revisions.get())
    second = services.new_revision(document, actor=author)
    services.edit_revision(
        second, actor=author, expected_version=second.version, change_summary="x"
    )
    second = release(second)
    assert unread(reviewer, first.number) == []
    assert unread(reviewer, "Read and acknowledge") == [
        f"Read and acknowledge {second.number} {second.title}"
    ]


# --- The core's mark_done ------------------------------------------------------------------------


def test_mark_done_touches_only_that_persons_task_at_that_address(author, approver, reviewer):
    def note(person, title, url):
        return notifications.notify(person, title=title, url=url)

    mine = note(approver, "Please approve SOP-0001 rev A", "/documents/1/?revision=1")
    other_task = note(approver, "SOP-0001 rev A is effective", "/documents/1/?revision=1")
    other_page = note(approver, "Please approve SOP-0002 rev A", "/documents/2/?revision=2")
    someone_else = note(reviewer, "Please approve SOP-0001 rev A", "/documents/1/?revision=1")

    done = notifications.mark_done(
        [approver], url="/documents/1/?revision=1", titles=["Please approve SOP-0001"]
    )
    assert done == 1
    states = {
        n.pk: n.read_at is not None
        for n in Notification.objects.filter(
            pk__in=[mine.pk, other_task.pk, other_page.pk, someone_else.pk]
        )
    }
    assert states == {
        mine.pk: True,
        other_task.pk: False,
        other_page.pk: False,
        someone_else.pk: False,
    }
    # Without titles, every unread one at that address (the read one is not counted again).
    assert notifications.mark_done([approver], url="/documents/1/?revision=1") == 1
    assert notifications.mark_done([], url="/documents/1/?revision=1") == 0
    assert notifications.mark_done([author], url="") == 0


def test_the_request_points_at_the_revision_it_asks_about(draft, author, approver):
    signoffs.set_signoffs(draft, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(draft, "submit", actor=author)
    request = Notification.objects.get(recipient=approver, title__startswith="Please approve")
    assert request.url == queries.document_url(draft.document, draft)
