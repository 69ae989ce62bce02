"""Links between records and action items, with their reminders."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from qualitas.core import actions, links, notifications
from qualitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qualitas.core.models import AuditEvent, Notification, User
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def test_a_link_shows_on_both_records(raise_deviation: object, author: User) -> None:
    cause, effect = raise_deviation(title="Cause"), raise_deviation(title="Effect")  # type: ignore[operator]

    links.add(effect, actor=author, target=cause, kind="caused_by")

    (from_effect,) = links.links_of(effect, viewer=author)
    (from_cause,) = links.links_of(cause, viewer=author)
    assert (from_effect.phrase, from_effect.other) == ("caused by", cause)
    assert (from_cause.phrase, from_cause.other) == ("caused", effect)


def test_links_are_audited_and_not_duplicated(raise_deviation: object, author: User) -> None:
    a, b = raise_deviation(), raise_deviation()  # type: ignore[operator]
    link = links.add(a, actor=author, target=b, kind="references")

    with pytest.raises(Conflict, match="already linked"):
        links.add(a, actor=author, target=b, kind="references")
    with pytest.raises(InvalidInput, match="Say why"):
        links.remove(link, actor=author, reason="")
    links.remove(link, actor=author, reason="Linked by mistake")
    links.add(a, actor=author, target=b, kind="references")  # a fresh link may be made again

    events = AuditEvent.objects.filter(object_type__model="recordlink").order_by("id")
    assert [e.action for e in events] == ["create", "update", "create"]
    assert events[1].changes["removal_reason"]["new"] == "Linked by mistake"


def test_a_withdrawn_link_stays_in_both_histories(raise_deviation: object, author: User) -> None:
    from qualitas.core import recordapi

    a, b = raise_deviation(), raise_deviation()  # type: ignore[operator]
    link = links.add(a, actor=author, target=b, kind="references")
    links.remove(link, actor=author, reason="Wrong record")

    for record in (a, b):
        actions_seen = [
            e.action for e in recordapi.history_of(record) if e.object_type.model == "recordlink"
        ]
        assert actions_seen == ["create", "update"]
    assert links.links_of(a, viewer=author) == []


def test_unknown_link_kinds_and_self_links_are_refused(
    raise_deviation: object, author: User
) -> None:
    a = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput, match="Unknown link kind"):
        links.add(a, actor=author, target=raise_deviation(), kind="loves")  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="itself"):
        links.add(a, actor=author, target=a, kind="references")


def test_links_to_records_the_viewer_cannot_see_are_hidden(
    deviations: object, author: User
) -> None:
    from qualitas.core import records
    from tests.factories import SiteFactory

    home, away = SiteFactory(code="HOME"), SiteFactory(code="AWAY")
    local = with_role(UserFactory(), "contributor", site=home)
    everywhere_qm = with_role(UserFactory(), "quality-manager")
    hidden = records.create(deviations, actor=everywhere_qm, title="Remote", site=away)  # type: ignore[arg-type]
    mine = records.create(deviations, actor=local, title="Mine", site=home)  # type: ignore[arg-type]
    links.add(mine, actor=everywhere_qm, target=hidden, kind="references")

    assert links.links_of(mine, viewer=local) == []
    assert [v.other for v in links.links_of(mine, viewer=everywhere_qm)] == [hidden]
    with pytest.raises(NotFound):
        links.add(mine, actor=local, target=hidden, kind="affects")


def test_an_assigned_action_notifies_and_emails_the_assignee(
    raise_deviation: object, author: User
) -> None:
    doer = UserFactory(username="doer", email="doer@example.test")
    record = raise_deviation()  # type: ignore[operator]

    with pytest.MonkeyPatch.context(), transaction.atomic():
        actions.assign(
            record,
            actor=author,
            title="Quarantine lot 44",
            assignee=doer,
            due_on=TODAY + datetime.timedelta(days=5),
        )

    assert (
        Notification.objects.get(recipient=doer).title
        == f"New action on {record.number}: Quarantine lot 44"
    )


def test_an_action_needs_a_person_or_department_and_a_future_date(
    raise_deviation: object, author: User
) -> None:
    record = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput, match="person or a department"):
        actions.assign(record, actor=author, title="x", due_on=TODAY)
    with pytest.raises(InvalidInput, match="past"):
        actions.assign(
            record,
            actor=author,
            title="x",
            assignee=author,
            due_on=TODAY - datetime.timedelta(days=1),
        )
    with pytest.raises(InvalidInput, match="needs a due date") as undated:
        actions.assign(record, actor=author, title="x", assignee=author, due_on=None)  # type: ignore[arg-type]
    assert undated.value.errors[0].field == "due_on"


def test_only_the_assignee_or_owner_completes_and_says_what_was_done(
    raise_deviation: object, author: User, contributor: User
) -> None:
    doer = UserFactory(username="doer")
    action = actions.assign(
        raise_deviation(), actor=author, title="Sort parts", assignee=doer, due_on=TODAY
    )  # type: ignore[operator]

    with pytest.raises(PermissionDenied):
        actions.complete(action, actor=contributor, note="done")
    with pytest.raises(InvalidInput, match="Say what was done"):
        actions.complete(action, actor=doer, note=" ")
    done = actions.complete(action, actor=doer, note="Sorted 400 parts, 12 rejected")

    assert (done.state, done.completed_by) == ("done", doer)


def test_my_open_actions_include_my_departments(raise_deviation: object, author: User) -> None:
    from tests.factories import DepartmentFactory

    quality = DepartmentFactory(name="Quality")
    member = UserFactory(department=quality)
    record = raise_deviation()  # type: ignore[operator]
    for_me = actions.assign(record, actor=author, title="Mine", assignee=member, due_on=TODAY)
    for_dept = actions.assign(record, actor=author, title="Team", department=quality, due_on=TODAY)
    actions.assign(record, actor=author, title="Other", assignee=author, due_on=TODAY)

    assert list(actions.my_open_actions(member)) == [for_me, for_dept]


def test_reminders_go_out_once(raise_deviation: object, author: User) -> None:
    doer = UserFactory(username="doer", email="doer@example.test")
    with transaction.atomic():
        actions.assign(
            raise_deviation(),
            actor=author,
            title="Inspect",
            assignee=doer,  # type: ignore[operator]
            due_on=TODAY + datetime.timedelta(days=2),
        )
    Notification.objects.all().delete()

    first = notifications.remind_actions()
    second = notifications.remind_actions()

    assert (first, second) == ("1 reminders sent", "0 reminders sent")
    assert Notification.objects.get(recipient=doer).title.startswith("Due on")
    with time_machine.travel(TODAY + datetime.timedelta(days=4)):
        overdue = notifications.remind_actions()
        again = notifications.remind_actions()
    assert (overdue, again) == ("1 reminders sent", "0 reminders sent")
    assert mail.outbox == [] or all(m.to == ["doer@example.test"] for m in mail.outbox)
