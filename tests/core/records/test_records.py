"""Creating and editing records: permissions, optimistic locking, never deleted, audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from qualitas.core import audit, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, User
from tests.factories import SiteFactory, UserFactory, with_role
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


def test_a_new_record_starts_in_the_initial_state_owned_by_its_author(
    raise_deviation: object, author: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]

    assert (created.state, created.owner, created.created_by, created.version) == (
        "draft",
        author,
        author,
        1,
    )
    event = AuditEvent.objects.filter(
        object_type__model="deviation", object_id=created.pk, action="create"
    ).get()
    assert event.changes["number"]["new"] == created.number


def test_who_may_not_raise_one_is_refused_and_nothing_saved(
    deviations: records.RecordType, viewer: User
) -> None:
    with pytest.raises(PermissionDenied):
        records.create(deviations, actor=viewer, title="Nope")

    assert not Deviation.objects.exists()


def test_a_stale_write_is_refused_with_who_changed_it(
    raise_deviation: object, author: User, quality_manager: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]
    records.update(created, actor=quality_manager, expected_version=1, title="QM's title")

    with pytest.raises(Conflict) as refused:
        records.update(created, actor=author, expected_version=1, title="Author's title")

    assert quality_manager.printed_name in refused.value.detail
    assert "version 2" in refused.value.detail
    assert Deviation.objects.get(pk=created.pk).title == "QM's title"


def test_an_edit_raises_the_version_and_records_old_and_new(
    raise_deviation: object, author: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]

    changed = records.update(created, actor=author, expected_version=1, impact="None on product")

    assert changed.version == 2
    event = AuditEvent.objects.filter(object_type__model="deviation", object_id=created.pk).latest(
        "id"
    )
    assert event.changes["impact"] == {"old": "", "new": "None on product"}


def test_only_declared_fields_may_be_changed(raise_deviation: object, author: User) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        records.update(created, actor=author, expected_version=1, state="closed")

    assert refused.value.errors[0].field == "state"
    assert Deviation.objects.get(pk=created.pk).state == "draft"


def test_someone_elses_record_needs_the_edit_permission(
    raise_deviation: object, contributor: User, quality_manager: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(PermissionDenied):
        records.update(created, actor=contributor, expected_version=1, title="Hijacked")
    records.update(created, actor=quality_manager, expected_version=1, title="Tidied")

    assert Deviation.objects.get(pk=created.pk).title == "Tidied"


def test_records_are_never_deleted(raise_deviation: object, author: User) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(audit.DeletionRefused), transaction.atomic():
        created.delete()
    with pytest.raises(audit.DeletionRefused):
        Deviation.objects.filter(pk=created.pk).delete()

    assert Deviation.objects.filter(pk=created.pk).exists()


def test_bulk_updates_are_refused(raise_deviation: object) -> None:
    raise_deviation()  # type: ignore[operator]

    with pytest.raises(RuntimeError, match="through services"):
        Deviation.objects.update(title="everything")


def test_people_see_records_of_their_sites_and_their_own(deviations: records.RecordType) -> None:
    home, away = SiteFactory(code="H"), SiteFactory(code="A")
    local_qm = with_role(UserFactory(), "quality-manager", site=home)
    raiser = with_role(UserFactory(), "contributor")
    here = records.create(deviations, actor=raiser, title="Here", site=home)
    there = records.create(deviations, actor=raiser, title="There", site=away)
    mine = records.create(deviations, actor=raiser, title="Mine", site=home, owner=local_qm)
    mover = with_role(UserFactory(), "quality-manager")
    mine = records.update(mine, actor=mover, expected_version=1, site=away)  # owner stays

    seen = set(records.visible_to(local_qm, deviations).values_list("pk", flat=True))

    assert seen == {here.pk, mine.pk}
    assert there.pk not in seen


def test_locked_refuses_a_stale_version_naming_who_changed_it(
    raise_deviation: object, author: User, quality_manager: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]
    records.update(created, actor=quality_manager, expected_version=1, title="QM's title")

    with (
        pytest.raises(Conflict) as refused,
        audit.context(actor=author),
        transaction.atomic(),
        records.locked(created, expected_version=1) as current,
    ):
        current.title = "Author's title"
        records.touch(current, author)

    assert quality_manager.printed_name in refused.value.detail
    assert "now version 2, you edited version 1" in refused.value.detail
    assert refused.value.errors[0].field == "version"
    assert Deviation.objects.get(pk=created.pk).title == "QM's title"


def test_changes_made_inside_locked_are_one_new_version_by_the_actor(
    raise_deviation: object, author: User, quality_manager: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]
    change = AuditEvent.objects.filter(object_type__model="deviation", object_id=created.pk)
    events_before = change.count()

    with (
        audit.context(actor=quality_manager),
        transaction.atomic(),
        records.locked(created, expected_version=1) as current,
    ):
        current.title = "Tidied title"
        current.impact = "None on product"
        records.touch(current, quality_manager)

    saved = Deviation.objects.get(pk=created.pk)
    assert (saved.version, saved.updated_by, saved.title) == (2, quality_manager, "Tidied title")
    assert change.count() == events_before + 1
    assert set(change.latest("id").changes) >= {"title", "impact", "version"}


def test_locked_without_a_change_leaves_the_version(raise_deviation: object) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with transaction.atomic(), records.locked(created, expected_version=1) as current:
        assert current.pk == created.pk

    assert Deviation.objects.get(pk=created.pk).version == 1


def test_no_module_locks_rows_or_raises_versions_by_hand() -> None:
    """Locking and the version belong to records.locked and records.touch: a module that
    bumps `version` itself can forget who changed it or skip the stale-copy check."""
    root = Path(records.__file__).resolve().parents[1]
    by_hand = re.compile(r"_lock\(|version \+= 1")
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if path != Path(records.__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if by_hand.search(line)
    ]

    assert found == []
