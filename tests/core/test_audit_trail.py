"""The audit trail: captured for every write, fail-closed, append-only and tamper-evident."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from qualitas.core import audit, auditverify, checkpoints as signed, services
from qualitas.core.models import AuditEvent, Role, Signature, Site, User
from qualitas.core.models.audit import AppendOnlyViolation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _events_for(obj: object) -> list[AuditEvent]:
    from django.contrib.contenttypes.models import ContentType

    return list(
        AuditEvent.objects.filter(
            object_type=ContentType.objects.get_for_model(type(obj)),
            object_id=obj.pk,  # type: ignore[attr-defined]
        ).order_by("id")
    )


@pytest.fixture
def checkpoints(tmp_path: Path) -> Iterator[Path]:
    with override_settings(
        AUDIT_CHECKPOINT_DIR=tmp_path / "checkpoints",
        AUDIT_CHECKPOINT_KEY_FILE=tmp_path / "checkpoint.key",
        AUDIT_CHECKPOINT_KEY="",
    ):
        yield tmp_path / "checkpoints"


def _raw(sql: str, params: list[object] | None = None) -> None:
    """Edit the database behind the application's back, as someone with SQL access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A database superuser can skip ordinary triggers for their session.
            cursor.execute("SET LOCAL session_replication_role = replica")
        if connection.vendor == "sqlite":
            # Whoever can write the SQLite file can drop its triggers (put back below).
            for trigger in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {trigger}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
        if connection.vendor == "sqlite":
            for statement in SQLITE_APPEND_ONLY.split("END;")[:-1]:
                cursor.execute(statement + "END;")


SQLITE_APPEND_ONLY = import_module("qualitas.core.migrations.0009_security_review").SQLITE_FORWARD
SQLITE_TRIGGERS = [
    f"{table}_no_{op}"
    for table in ("core_auditevent", "core_signature")
    for op in ("update", "delete")
]


# --- Capture ---------------------------------------------------------------------------------


def test_a_service_write_records_who_what_and_the_new_values(admin: User) -> None:
    site = services.create_site(actor=admin, code="SHF", name="Sheffield Works")

    (event,) = _events_for(site)

    assert (event.action, event.actor, event.actor_name) == ("create", admin, admin.printed_name)
    assert event.changes["name"] == {"old": None, "new": "Sheffield Works"}
    assert event.object_repr == "SHF Sheffield Works"
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_a_change_records_old_and_new_values_of_changed_fields_only(admin: User) -> None:
    site = services.create_site(actor=admin, code="SHF", name="Sheffield Works")

    services.update_site(site, actor=admin, name="Sheffield Plant", address="Don Valley")

    event = _events_for(site)[-1]
    assert event.action == "update"
    assert event.changes == {
        "name": {"old": "Sheffield Works", "new": "Sheffield Plant"},
        "address": {"old": "", "new": "Don Valley"},
    }


def test_related_records_are_named_as_well_as_numbered(admin: User) -> None:
    site = services.create_site(actor=admin, code="SHF", name="Sheffield Works")
    person = UserFactory(username="pat", site=None)

    services.update_user(person, actor=admin, site=site)

    change = _events_for(person)[-1].changes["site"]
    assert change == {"old": None, "new": site.pk, "new_label": "SHF Sheffield Works"}


def test_a_password_change_is_recorded_without_the_password(admin: User) -> None:
    person = UserFactory(username="pat")

    services.set_password(person, actor=admin, password="Lantern-Meadow-17")

    event = _events_for(person)[-1]
    assert event.changes["password"] == {"old": None, "new": "(changed)"}
    assert event.changes["must_change_password"] == {"old": False, "new": True}
    assert "Lantern" not in json.dumps(event.changes)


def test_an_api_call_records_its_request_id_and_client_address(
    api_for: object, admin: User
) -> None:
    api = api_for(admin)  # type: ignore[operator]

    response = api.client.post(
        "/api/v1/sites",
        {"code": "LDS", "name": "Leeds"},
        content_type="application/json",
        headers={**api.headers, "X-Request-ID": "req-0123456789"},
        REMOTE_ADDR="203.0.113.7",
    )

    (event,) = _events_for(Site.objects.get(pk=response.json()["id"]))
    assert (event.request_id, event.client_address) == ("req-0123456789", "203.0.113.7")


def test_role_grants_revocations_and_deactivation_are_audited(admin: User) -> None:
    person = UserFactory(username="pat")
    assignment = services.grant_role(person, actor=admin, role=Role.objects.get(code="auditor"))
    services.revoke_role(assignment, actor=admin)
    services.deactivate_user(person, actor=admin)

    kinds = [
        (e.action, e.object_type.model, sorted(e.changes))
        for e in AuditEvent.objects.filter(actor=admin).order_by("id")
    ]

    assert kinds[0][:2] == ("create", "roleassignment")
    assert kinds[1][:2] == ("delete", "roleassignment")
    assert kinds[2] == ("update", "user", ["is_active"])


def test_nothing_is_recorded_when_the_service_fails(admin: User) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(Exception, match="never reused"):
        services.create_user(actor=admin, username="admin", password=None)

    assert AuditEvent.objects.count() == before


def test_an_event_and_its_change_commit_or_roll_back_together(admin: User) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_site(actor=admin, code="GONE", name="Never saved")
        raise RuntimeError("the caller's transaction fails later")

    assert AuditEvent.objects.count() == before
    assert not Site.objects.filter(code="GONE").exists()


# --- Fail closed -----------------------------------------------------------------------------


def test_saving_an_audited_model_outside_a_service_raises_and_saves_nothing() -> None:
    with pytest.raises(audit.AuditContextMissing, match="outside an audit context"):
        Site(code="X", name="Sneaky").save()

    assert not Site.objects.filter(code="X").exists()


def test_a_sign_in_does_not_need_an_audit_context(client: object) -> None:
    UserFactory(username="alice")

    response = client.post("/login/", {"username": "alice", "password": "Correct-Horse-Battery-9"})  # type: ignore[attr-defined]

    assert response.status_code == 302


def test_people_and_sites_are_never_deleted(admin: User) -> None:
    site = services.create_site(actor=admin, code="SHF", name="Sheffield")
    person = UserFactory(username="pat")

    with pytest.raises(audit.DeletionRefused), transaction.atomic():
        site.delete()
    with audit.context(actor=admin), pytest.raises(audit.DeletionRefused), transaction.atomic():
        User.objects.filter(pk=person.pk).delete()

    assert Site.objects.filter(pk=site.pk).exists()
    assert User.objects.filter(pk=person.pk).exists()


# --- Append-only -----------------------------------------------------------------------------


def test_the_app_refuses_to_change_or_remove_events(admin: User) -> None:
    services.create_site(actor=admin, code="SHF", name="Sheffield")
    event = AuditEvent.objects.latest("id")

    event.reason = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyViolation):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyViolation):
        event.delete()

    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_from_the_apps_own_connection(admin: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    services.create_site(actor=admin, code="SHF", name="Sheffield")
    last = AuditEvent.objects.latest("id").pk

    for sql in (
        "UPDATE core_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql, [last])

    assert AuditEvent.objects.filter(pk=last, reason="").exists()


# --- Tamper evidence -------------------------------------------------------------------------


@pytest.fixture
def chain(admin: User) -> list[int]:
    for n in range(5):
        services.create_site(actor=admin, code=f"S{n}", name=f"Site {n}")
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def test_an_untouched_chain_verifies(
    chain: list[int], checkpoints: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed.write_checkpoint()

    call_command("verify-audit-trail")

    out = capsys.readouterr().out
    assert f"Audit trail intact: {len(chain)} events" in out
    assert f"matches the checkpoint at event #{chain[-1]}" in out


def test_without_any_checkpoint_verification_fails_unless_allowed(
    chain: list[int], checkpoints: Path
) -> None:
    with pytest.raises(CommandError, match="No signed checkpoint found") as refused:
        call_command("verify-audit-trail")
    call_command("verify-audit-trail", "--allow-missing-checkpoint")

    assert refused.value.returncode == 2


def test_a_deleted_latest_checkpoint_falls_back_to_the_dated_copy(
    chain: list[int], checkpoints: Path
) -> None:
    signed.write_checkpoint()
    (checkpoints / "latest.json").unlink()
    _raw("DELETE FROM core_auditevent WHERE id = %s", [chain[-1]])

    result = auditverify.verify()

    assert result.intact is False
    assert f"saw event #{chain[-1]}" in result.problem


def test_an_altered_event_is_detected(chain: list[int], checkpoints: Path) -> None:
    target = chain[-3]
    _raw("UPDATE core_auditevent SET reason = 'nothing to see' WHERE id = %s", [target])

    with pytest.raises(
        CommandError, match=f"broken at event #{target}: event #{target} was altered"
    ):
        call_command("verify-audit-trail")


def test_a_removed_event_is_detected(chain: list[int], checkpoints: Path) -> None:
    target = chain[-3]
    _raw("DELETE FROM core_auditevent WHERE id = %s", [target])

    with pytest.raises(
        CommandError, match=f"broken at event #{target}: event #{target} is missing"
    ):
        call_command("verify-audit-trail")


def test_two_swapped_events_are_detected(chain: list[int]) -> None:
    first, second = chain[-3], chain[-2]
    temporary = chain[-1] + 1000
    for source, target in ((first, temporary), (second, first), (temporary, second)):
        _raw("UPDATE core_auditevent SET id = %s WHERE id = %s", [target, source])

    result = auditverify.verify()

    assert (result.intact, result.first_broken_id) == (False, first)


def test_an_inserted_event_is_detected(chain: list[int]) -> None:
    last = AuditEvent.objects.get(pk=chain[-1])
    _raw(
        "INSERT INTO core_auditevent (id, occurred_at, actor_id, actor_name, action,"
        " object_type_id, object_id, object_repr, changes, reason, request_id, client_address,"
        " prev_hash, hash)"
        " VALUES (%s, %s, NULL, 'intruder', 'update', %s, 1, 'forged', '{}', '', '', NULL, %s, %s)",
        [last.pk + 1, last.occurred_at, last.object_type_id, last.hash, "f" * 64],
    )

    result = auditverify.verify()

    assert (result.intact, result.first_broken_id) == (False, last.pk + 1)


def test_a_rewritten_chain_is_caught_by_the_checkpoint(chain: list[int], checkpoints: Path) -> None:
    signed.write_checkpoint()
    # Someone with database rights alters an event and recomputes every hash after it.
    target = AuditEvent.objects.get(pk=chain[1])
    _raw("UPDATE core_auditevent SET reason = 'backdated approval' WHERE id = %s", [target.pk])
    prev = AuditEvent.objects.get(pk=chain[0]).hash
    for event in AuditEvent.objects.filter(pk__gte=target.pk).order_by("id"):
        event.prev_hash = prev
        new_hash = audit.digest(event)
        _raw(
            "UPDATE core_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, new_hash, event.pk],
        )
        prev = new_hash
    assert auditverify.verify(checkpoint_dir=checkpoints / "nowhere").intact is True

    result = auditverify.verify()

    assert result.intact is False
    assert "the chain was rewritten" in result.problem


def test_a_forged_checkpoint_is_refused(chain: list[int], checkpoints: Path) -> None:
    signed.write_checkpoint()
    latest = checkpoints / "latest.json"
    forged = json.loads(latest.read_text())
    forged["last_hash"] = "0" * 64
    latest.write_text(json.dumps(forged))

    with pytest.raises(CommandError, match="checkpoint is not genuine"):
        call_command("verify-audit-trail")


def test_a_truncated_chain_is_caught_by_the_checkpoint(chain: list[int], checkpoints: Path) -> None:
    signed.write_checkpoint()
    _raw("DELETE FROM core_auditevent WHERE id = %s", [chain[-1]])

    result = auditverify.verify()

    assert result.intact is False
    assert f"saw event #{chain[-1]}" in result.problem


def test_tick_writes_a_checkpoint_once(
    chain: list[int], checkpoints: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("tick", "--job", "audit-checkpoint")
    first = (checkpoints / "latest.json").read_text()
    call_command("tick", "--job", "audit-checkpoint")

    assert f"checkpoint at event #{chain[-1]}" in capsys.readouterr().out
    assert (checkpoints / "latest.json").read_text() == first
    assert len(list(checkpoints.glob("checkpoint-*.json"))) == 1
    assert auditverify.verify().checkpoint == f"matches the checkpoint at event #{chain[-1]}"


def test_bulk_updates_of_audited_fields_are_refused(admin: User) -> None:
    person = UserFactory(username="pat", first_name="Pat")

    with pytest.raises(audit.AuditContextMissing, match="without an audit trail"):
        User.objects.filter(pk=person.pk).update(first_name="Changed")
    with pytest.raises(audit.AuditContextMissing):
        Site.objects.bulk_create([Site(code="B1", name="Bulk")])
    User.objects.filter(pk=person.pk).update(last_login=None)  # untracked: allowed

    assert User.objects.get(pk=person.pk).first_name == "Pat"


def test_a_sign_in_lockout_is_audited_and_reported(admin: User, quality_manager: User) -> None:
    from django.conf import settings
    from django.test import Client

    from qualitas.core.models import Notification

    victim = UserFactory(username="victim")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "victim", "password": "guess-guess-guess"})

    event = AuditEvent.objects.filter(object_type__model="user", object_id=victim.pk).latest("id")
    assert "sign-in locked" in event.changes["locked_out"]["new"]
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"admin", "qm"} <= told


# --- Append-only in the database, on SQLite as on PostgreSQL (issue 10, finding 10) ----------


def _signature() -> Signature:
    """A real signature: a test deviation approved with the approver's password."""
    from qualitas.core import records, signatures, workflow
    from tests.factories import PASSWORD, with_role

    author = with_role(UserFactory(username="dev-author"), "contributor")
    approver = with_role(UserFactory(username="dev-approver"), "approver")
    deviation = records.create(
        records.RECORD_TYPES["deviation"],
        actor=author,
        title="Use alternate torque wrench",
        description="Calibrated spare in use",
        impact="Low",
    )
    workflow.fire(deviation, "submit", actor=author)
    token = signatures.authenticate(approver, PASSWORD)
    workflow.fire(deviation, "approve", actor=approver, signature=token)
    return Signature.objects.get()


@pytest.mark.parametrize(
    ("table", "statement"),
    [
        ("core_auditevent", "UPDATE core_auditevent SET reason = 'rewritten' WHERE id = %s"),
        ("core_auditevent", "DELETE FROM core_auditevent WHERE id = %s"),
        ("core_signature", "UPDATE core_signature SET printed_name = 'Helen Marsh' WHERE id = %s"),
        ("core_signature", "DELETE FROM core_signature WHERE id = %s"),
    ],
)
def test_the_database_refuses_to_change_or_remove_events_and_signatures(
    table: str, statement: str
) -> None:
    signature = _signature()
    event = AuditEvent.objects.latest("id")
    row = signature.pk if table == "core_signature" else event.pk

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(statement, [row])

    assert Signature.objects.get(pk=signature.pk).printed_name == signature.printed_name
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason


@pytest.mark.django_db(transaction=True)
def test_only_django_s_flush_empties_the_append_only_tables() -> None:
    from qualitas.core import appendonly

    _signature()
    before = set(AuditEvent.objects.values_list("hash", flat=True))
    assert not appendonly.purging_now()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("DELETE FROM core_signature")

    call_command("flush", interactive=False, verbosity=0)  # TRUNCATE, or DELETE on SQLite

    assert not Signature.objects.exists()
    # (after a flush, re-synchronising the system roles records events of its own)
    assert not AuditEvent.objects.filter(hash__in=before).exists()
    assert not appendonly.purging_now()  # the guard ends with the flush
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("DELETE FROM core_auditevent")


# --- Where the checkpoint key is kept (issue 10, finding 10) ---------------------------------


def _key_warnings(**overrides: object) -> list[str]:
    from qualitas.core import checks

    with override_settings(**overrides):
        return [w.id for w in checks.checkpoint_key_kept_apart()]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")  # read, never connected to
def test_the_deploy_check_warns_when_the_checkpoint_key_lies_with_the_data(tmp_path: Path) -> None:
    data, database, keys = tmp_path / "data", tmp_path / "db", tmp_path / "keys"
    sqlite = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": database / "q.sqlite3"}}
    postgres = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "qualitas"}}
    common = {"DATA_DIR": data, "AUDIT_CHECKPOINT_KEY": ""}

    beside_data = _key_warnings(
        AUDIT_CHECKPOINT_KEY_FILE=data / "audit-checkpoint.key", DATABASES=postgres, **common
    )
    beside_database = _key_warnings(
        AUDIT_CHECKPOINT_KEY_FILE=database / "keys" / "a.key", DATABASES=sqlite, **common
    )
    elsewhere = _key_warnings(AUDIT_CHECKPOINT_KEY_FILE=keys / "a.key", DATABASES=sqlite, **common)
    from_environment = _key_warnings(
        AUDIT_CHECKPOINT_KEY_FILE=data / "audit-checkpoint.key",
        DATABASES=postgres,
        DATA_DIR=data,
        AUDIT_CHECKPOINT_KEY="k" * 64,
    )

    assert beside_data == beside_database == ["qualitas.W001"]
    assert elsewhere == from_environment == []


def test_the_key_check_runs_with_the_deploy_checks_only() -> None:
    from django.core import checks as django_checks

    from qualitas.core import checks

    assert checks.checkpoint_key_kept_apart in django_checks.registry.registry.get_checks(
        include_deployment_checks=True
    )
    assert checks.checkpoint_key_kept_apart not in django_checks.registry.registry.get_checks()
