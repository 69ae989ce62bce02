"""Verifying the audit trail fast: tuples instead of instances, from the last checkpoint on,
and split over processes, each finding the same first break as the plain walk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from qualitas.core import audit, auditverify, checkpoints as signed, jobs, links, services
from qualitas.core.models import AuditEvent, Role, User
from tests.core.test_audit_trail import _raw, _signature
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list[object]) -> None:
    # `_raw` sets its bypass for the current transaction only.
    with transaction.atomic():
        _raw(sql, params)


def _add_events(admin: User, count: int, prefix: str = "S") -> list[int]:
    for n in range(count):
        services.create_site(actor=admin, code=f"{prefix}{n}", name=f"Site {prefix}{n}")
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def _checkpoint_files(checkpoints: Path) -> list[str]:
    return sorted(p.name for p in checkpoints.glob("checkpoint-*.json"))


# --- The tuple path ----------------------------------------------------------------------------


def test_the_tuple_path_gives_the_same_bytes_as_the_instance_path_for_every_kind_of_event(
    admin: User, api_for: object
) -> None:
    from qualitas.core import records

    # A realistic trail: a signed deviation (create, transition, signature) …
    _signature()
    author = User.objects.get(username="dev-author")
    # … edits with old and new values, names outside ASCII and a related record's label …
    site = services.create_site(actor=admin, code="MLM", name="Malmö Gießerei “Nord”")
    services.update_site(site, actor=admin, name="Malmö Gießerei Süd", address="Hamnvägen 7")
    person = UserFactory(username="pat")
    services.update_user(person, actor=admin, site=site)
    # … a secret recorded as changed, a role granted and revoked (a deletion) …
    services.set_password(person, actor=admin, password="Lantern-Meadow-17")
    grant = services.grant_role(person, actor=admin, role=Role.objects.get(code="auditor"))
    services.revoke_role(grant, actor=admin)
    # … a link made and withdrawn with a reason, and a call with a client address.
    first, second = (
        records.create(
            records.RECORD_TYPES["deviation"],
            actor=author,
            title=title,
            description="Spare gauge",
            impact="Low",
        )
        for title in ("Cause", "Effect")
    )
    link = links.add(second, actor=author, target=first, kind="caused_by")
    links.remove(link, actor=author, reason="Linked by mistake")
    api = api_for(admin)  # type: ignore[operator]
    api.client.post(
        "/api/v1/sites",
        {"code": "LDS", "name": "Leeds"},
        content_type="application/json",
        headers={**api.headers, "X-Request-ID": "req-0123456789"},
        REMOTE_ADDR="203.0.113.7",
    )

    rows = {row[0]: row for row in AuditEvent.objects.values_list(*audit.ROW_FIELDS)}
    events = list(AuditEvent.objects.order_by("id"))

    kinds = {e.action for e in events}
    assert {"create", "update", "transition", "signature", "delete"} <= kinds
    assert any(e.changes.get("password") == {"old": None, "new": "(changed)"} for e in events)
    assert any("removal_reason" in e.changes for e in events)
    assert any(e.client_address == "203.0.113.7" for e in events)
    for event in events:
        assert audit.canonical_row(rows[event.pk]) == audit.canonical(event), event
        assert rows[event.pk][-1] == event.hash == audit.digest(event)
    assert auditverify.verify().events_checked == len(events)


# --- Incremental -------------------------------------------------------------------------------


def test_an_incremental_check_walks_only_what_was_added_since_the_checkpoint(
    admin: User,
) -> None:
    signed_at = _add_events(admin, 4)[-1]
    signed.write_checkpoint()
    chain = _add_events(admin, 3, prefix="T")

    result = auditverify.verify(since_checkpoint=True)

    added = len([n for n in chain if n > signed_at])
    assert (result.intact, result.events_checked) == (True, added + 1)  # + the checkpointed one
    assert result.last_event_id == chain[-1]
    assert result.checkpoint == f"continues from the checkpoint at event #{signed_at}"
    assert result.last_hash == AuditEvent.objects.get(pk=chain[-1]).hash


def test_an_incremental_check_finds_a_break_after_the_checkpoint(admin: User) -> None:
    _add_events(admin, 3)
    signed.write_checkpoint()
    target = _add_events(admin, 4, prefix="T")[-2]
    _tamper("UPDATE core_auditevent SET reason = 'nothing to see' WHERE id = %s", [target])

    result = auditverify.verify(since_checkpoint=True)

    assert (result.intact, result.first_broken_id) == (False, target)
    assert result.problem == f"event #{target} was altered after it was written"


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE core_auditevent SET reason = 'backdated' WHERE id = %s", "was altered"),
        ("UPDATE core_auditevent SET hash = repeat('e', 64) WHERE id = %s", "was rewritten"),
        ("DELETE FROM core_auditevent WHERE id = %s", "is missing"),
    ],
)
def test_an_incremental_check_checks_the_checkpointed_event_itself(
    admin: User, statement: str, problem: str
) -> None:
    if connection.vendor == "sqlite":
        statement = statement.replace("repeat('e', 64)", "'" + "e" * 64 + "'")
    at = _add_events(admin, 3)[-1]
    signed.write_checkpoint()
    _add_events(admin, 2, prefix="T")
    _tamper(statement, [at])

    result = auditverify.verify(since_checkpoint=True)

    assert (result.intact, result.first_broken_id) == (False, at)
    assert problem in result.problem


def test_only_a_full_check_sees_a_change_before_the_checkpoint(admin: User) -> None:
    chain = _add_events(admin, 4)
    signed.write_checkpoint()
    _tamper("UPDATE core_auditevent SET reason = 'backdated' WHERE id = %s", [chain[1]])

    incremental = auditverify.verify(since_checkpoint=True)
    full = auditverify.verify()

    assert (incremental.intact, incremental.events_checked) == (True, 1)
    assert (full.intact, full.first_broken_id) == (False, chain[1])


def test_without_a_checkpoint_an_incremental_check_walks_everything(admin: User) -> None:
    chain = _add_events(admin, 3)

    result = auditverify.verify(since_checkpoint=True)

    assert (result.intact, result.events_checked) == (True, len(chain))
    assert result.checkpoint == "no checkpoint to compare with"


def test_the_command_checks_incrementally_and_reports_its_pace(
    admin: User, capsys: pytest.CaptureFixture[str]
) -> None:
    signed_at = _add_events(admin, 3)[-1]
    signed.write_checkpoint()
    chain = _add_events(admin, 2, prefix="T")

    call_command("verify-audit-trail", "--incremental")

    out = capsys.readouterr().out
    checked = len([n for n in chain if n > signed_at]) + 1
    assert f"Audit trail intact: {checked} events, last #{chain[-1]}" in out
    assert f"continues from the checkpoint at event #{signed_at}" in out
    assert f"{checked} events checked in " in out
    assert " events/s, 1 worker)" in out


def test_the_command_still_exits_1_on_a_break_found_incrementally(admin: User) -> None:
    _add_events(admin, 2)
    signed.write_checkpoint()
    target = _add_events(admin, 2, prefix="T")[-1]
    _tamper("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [target])

    with pytest.raises(CommandError, match=f"broken at event #{target}") as failed:
        call_command("verify-audit-trail", "--incremental")

    assert failed.value.returncode == 1


# --- The checkpoint job ----------------------------------------------------------------------


def test_the_checkpoint_job_verifies_before_signing(admin: User) -> None:
    _add_events(admin, 2)
    first = jobs.checkpoint_audit_trail()
    chain = _add_events(admin, 2, prefix="T")

    second = jobs.checkpoint_audit_trail()

    assert first.startswith("checkpoint at event #")
    assert second == f"checkpoint at event #{chain[-1]}"
    assert signed.read_checkpoint()["last_event_id"] == chain[-1]  # type: ignore[index]


def test_the_checkpoint_job_does_not_sign_over_a_broken_chain(admin: User) -> None:
    signed_at = _add_events(admin, 2)[-1]
    jobs.checkpoint_audit_trail()
    target = _add_events(admin, 3, prefix="T")[-2]
    _tamper("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [target])
    folder = signed.checkpoint_dir()
    before = _checkpoint_files(folder)

    summary = jobs.checkpoint_audit_trail()

    assert summary.startswith("NO checkpoint written: audit trail broken at event #")
    assert f"#{target}: event #{target} was altered" in summary
    assert _checkpoint_files(folder) == before
    assert signed.read_checkpoint()["last_event_id"] == signed_at  # type: ignore[index]


# --- Parallel ----------------------------------------------------------------------------------


def test_the_id_range_is_cut_into_contiguous_near_equal_ranges() -> None:
    assert auditverify.ranges(1, 10, 3) == [(1, 4), (5, 7), (8, 10)]
    assert auditverify.ranges(1, 2, 4) == [(1, 1), (2, 2)]
    assert auditverify.ranges(1, 7, 1) == [(1, 7)]


def _same_as_one_worker(result: auditverify.Verification) -> None:
    alone = auditverify.verify(workers=1)
    assert (result.first_broken_id, result.problem, result.events_checked) == (
        alone.first_broken_id,
        alone.problem,
        alone.events_checked,
    )


@pytest.mark.django_db(transaction=True)  # worker processes see committed rows only
def test_with_two_workers_a_break_in_the_second_range_names_the_right_event(
    admin: User,
) -> None:
    chain = _add_events(admin, 30)
    (_, (start, end)) = auditverify.ranges(1, chain[-1], 2)
    target = (start + end) // 2
    _tamper("UPDATE core_auditevent SET reason = 'nothing to see' WHERE id = %s", [target])

    result = auditverify.verify(workers=2)

    assert result.workers == (2 if connection.vendor == "postgresql" else 1)
    assert (result.intact, result.first_broken_id) == (False, target)
    assert result.problem == f"event #{target} was altered after it was written"
    assert result.events_checked == target - 1
    _same_as_one_worker(result)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["end of the first range", "start of the second range"])
def test_with_two_workers_an_event_removed_at_the_seam_is_found(admin: User, where: str) -> None:
    chain = _add_events(admin, 30)
    (_, last_of_first), (first_of_second, _) = auditverify.ranges(1, chain[-1], 2)
    target = last_of_first if where.startswith("end") else first_of_second
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [target])

    result = auditverify.verify(workers=2)

    assert (result.intact, result.first_broken_id) == (False, target)
    assert result.problem == f"event #{target} is missing (next is #{target + 1})"
    _same_as_one_worker(result)


@pytest.mark.django_db(transaction=True)
def test_with_two_workers_an_intact_chain_matches_its_checkpoint(
    admin: User, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = _add_events(admin, 20)
    signed.write_checkpoint()

    call_command("verify-audit-trail", "--workers", "2")

    out = capsys.readouterr().out
    assert f"Audit trail intact: {len(chain)} events, last #{chain[-1]}" in out
    assert f"matches the checkpoint at event #{chain[-1]}" in out
    workers = "2 workers" if connection.vendor == "postgresql" else "1 worker"
    assert f"{len(chain)} events checked in " in out and f"events/s, {workers})" in out


def test_the_checkpoint_job_does_not_sign_after_a_forged_checkpoint(admin: User) -> None:
    _add_events(admin, 2)
    jobs.checkpoint_audit_trail()
    latest = signed.checkpoint_dir() / "latest.json"
    forged = json.loads(latest.read_text())
    forged["last_hash"] = "0" * 64
    latest.write_text(json.dumps(forged))
    _add_events(admin, 2, prefix="T")
    before = _checkpoint_files(signed.checkpoint_dir())

    summary = jobs.checkpoint_audit_trail()

    assert summary.startswith("NO checkpoint written: the latest checkpoint is not genuine")
    assert _checkpoint_files(signed.checkpoint_dir()) == before
