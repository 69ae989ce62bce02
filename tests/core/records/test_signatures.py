"""Electronic signatures: password at signing, bound to content, never on behalf of another."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from qualitas.core import attachments, records, services, signatures, workflow
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, Notification, Signature, User
from tests.core.records.conftest import token_for
from tests.factories import PASSWORD
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(raise_deviation: object, author: User) -> Deviation:
    created = raise_deviation(impact="Low")  # type: ignore[operator]
    return workflow.fire(created, "submit", actor=author)


def test_signing_needs_the_password_again(approver: User) -> None:
    with pytest.raises(InvalidInput, match="Re-enter your password"):
        signatures.authenticate(approver, "")


def test_a_wrong_password_is_refused_and_audited(submitted: Deviation, approver: User) -> None:
    with pytest.raises(signatures.SignatureRefused, match="Wrong password"):
        signatures.authenticate(approver, "not-my-password")

    refusal = AuditEvent.objects.get(action="signature_refused")
    assert (refusal.actor, refusal.changes) == (
        approver,
        {"signer": "approver", "failures": 1, "locked": False},
    )
    assert Deviation.objects.get(pk=submitted.pk).state == "submitted"
    assert not Signature.objects.exists()


def test_repeated_failures_lock_signing_and_alert_quality_managers(
    approver: User, quality_manager: User
) -> None:
    for _ in range(settings.SIGNATURE_FAILURE_LIMIT):
        with pytest.raises(signatures.SignatureRefused):
            signatures.authenticate(approver, "guess")

    with pytest.raises(signatures.SignatureRefused, match="Signing is locked"):
        signatures.authenticate(approver, PASSWORD)
    alert = Notification.objects.get(recipient=quality_manager)
    assert alert.title == f"Signing locked for {approver.printed_name}"

    later = timezone.now() + timedelta(minutes=settings.SIGNATURE_LOCK_MINUTES + 1)
    with time_machine.travel(later):
        assert signatures.authenticate(approver, PASSWORD).signer_id == approver.pk


def test_nobody_signs_on_behalf_of_someone_else(
    submitted: Deviation, approver: User, second_approver: User
) -> None:
    someone_elses = token_for(second_approver)

    with pytest.raises(signatures.SignatureRefused, match="person who signs"):
        workflow.fire(submitted, "approve", actor=approver, signature=someone_elses)

    assert not Signature.objects.exists()


def test_a_verification_is_used_once(
    submitted: Deviation, raise_deviation: object, author: User, approver: User
) -> None:
    token = token_for(approver)
    workflow.fire(submitted, "approve", actor=approver, signature=token)
    other = workflow.fire(raise_deviation(impact="x"), "submit", actor=author)  # type: ignore[operator]

    with pytest.raises(signatures.SignatureRefused, match="expired"):
        workflow.fire(other, "approve", actor=approver, signature=token)


def test_a_stale_verification_expires(submitted: Deviation, approver: User) -> None:
    token = token_for(approver)

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6)),
        pytest.raises(signatures.SignatureRefused, match="expired"),
    ):
        workflow.fire(submitted, "approve", actor=approver, signature=token)


def test_the_manifestation_shows_name_time_and_meaning(
    submitted: Deviation, approver: User
) -> None:
    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))

    signature = Signature.objects.get()

    assert signature.manifestation == (
        f"Signed by Abe Approver on {signature.signed_at:%Y-%m-%d %H:%M:%S} UTC — Approved"
    )


def test_a_renamed_signer_keeps_the_name_they_signed_with(
    client_for: object, submitted: Deviation, approver: User, admin: User
) -> None:
    """Security review finding 2: the printed name is fixed at signing. Renaming the
    person later (only an administrator can, with a reason) rewrites no signature, and
    the record page still shows who signed as they were then."""
    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))

    services.update_user(approver, actor=admin, last_name="Newname", reason="Name at marriage")

    signature = Signature.objects.get()
    assert signature.printed_name == "Abe Approver"
    assert signature.manifestation.startswith("Signed by Abe Approver on ")
    page = client_for(admin).get(f"/deviations/{submitted.pk}/")  # type: ignore[operator]
    assert b"Abe Approver" in page.content


def test_a_signature_is_valid_until_the_signed_content_changes(
    submitted: Deviation, approver: User, quality_manager: User
) -> None:
    approved = workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))
    signature = Signature.objects.get()
    assert signatures.is_valid(signature) is True

    records.update(
        approved, actor=quality_manager, expected_version=approved.version, impact="High"
    )

    assert signatures.is_valid(signature) is False


def test_a_change_behind_the_apps_back_invalidates_the_signature(
    submitted: Deviation, approver: User
) -> None:
    from django.db import connection

    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE recordtypes_deviation SET impact = 'None' WHERE id = %s", [submitted.pk]
        )

    assert signatures.is_valid(Signature.objects.get()) is False


def test_a_signature_copied_to_another_record_is_invalid(
    submitted: Deviation, raise_deviation: object, approver: User
) -> None:
    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))
    signature = Signature.objects.get()
    twin = raise_deviation(impact="Low")  # type: ignore[operator]

    assert signatures.is_valid(signature, twin) is False


def test_a_file_added_after_signing_is_not_what_was_signed(
    submitted: Deviation, approver: User, author: User
) -> None:
    """A signature covers the files there when it was made (issue 13: evidence of a later
    step must not invalidate an earlier approval); withdrawing one of those changes what
    was signed."""
    signed_file = attachments.add(
        submitted, actor=author, file=io.BytesIO(b"%PDF-1.7 signed"), name="signed.pdf"
    )
    approved = workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))

    attachments.add(approved, actor=author, file=io.BytesIO(b"%PDF-1.7 later"), name="later.pdf")
    after_adding = signatures.is_valid(Signature.objects.get())
    attachments.remove(signed_file, actor=author, reason="Replaced")

    assert after_adding is True
    assert signatures.is_valid(Signature.objects.get()) is False


def test_signatures_are_never_changed_or_removed(submitted: Deviation, approver: User) -> None:
    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))
    signature = Signature.objects.get()

    with pytest.raises(RuntimeError):
        signature.save()
    with pytest.raises(RuntimeError):
        Signature.objects.all().update(meaning="closed")
    with pytest.raises(RuntimeError):
        Signature.objects.all().delete()


def test_editing_a_signatures_own_facts_breaks_its_seal(
    submitted: Deviation, approver: User
) -> None:
    from django.db import connection

    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))
    signature = Signature.objects.get()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        if connection.vendor == "sqlite":  # whoever can write the file can drop its trigger
            cursor.execute("DROP TRIGGER core_signature_no_update")  # (rolled back after)
        cursor.execute(
            "UPDATE core_signature SET meaning = 'reviewed' WHERE id = %s", [signature.pk]
        )

    assert signatures.is_valid(Signature.objects.get()) is False


def test_postgresql_refuses_changes_to_signatures(submitted: Deviation, approver: User) -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("UPDATE core_signature SET meaning = 'reviewed'")


def test_attempts_while_locked_are_recorded_but_do_not_extend_the_lock(approver: User) -> None:
    for _ in range(settings.SIGNATURE_FAILURE_LIMIT):
        with pytest.raises(signatures.SignatureRefused):
            signatures.authenticate(approver, "guess")
    with pytest.raises(signatures.SignatureRefused, match="locked"):
        signatures.authenticate(approver, PASSWORD)

    while_locked = AuditEvent.objects.filter(action="signature_refused").latest("id")
    assert while_locked.changes["while_locked"] is True
    assert len(signatures._recent_failures(approver)) == settings.SIGNATURE_FAILURE_LIMIT


def test_a_password_set_by_someone_else_cannot_sign(approver: User, admin: User) -> None:
    from qualitas.core import services

    services.set_password(approver, actor=admin, password="Temporary-Harbour-31")

    with pytest.raises(signatures.SignatureRefused, match="must be changed"):
        signatures.authenticate(approver, "Temporary-Harbour-31")
