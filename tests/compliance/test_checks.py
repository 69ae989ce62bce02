"""Automated compliance checks: the core's registry, the checks each module declares (each
seen passing and failing on real data), the visible checks synced after migrate, and what a
failure entails: one nonconformance while it is open, told when the check passes again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualitas.capa import services as capa
from qualitas.compliance import check_failures, checks
from qualitas.compliance.check_models import CheckKind, CheckRun, CheckState, ComplianceCheck
from qualitas.core import audit, compliance_checks, jobs, modules, permissions, records, workflow
from qualitas.core.compliance_checks import Check, CheckContext, Outcome
from qualitas.core.models import ActionItem, AuditEvent, Notification, User
from qualitas.documents.models import Document, DocumentStatus, DocumentType
from qualitas.training import services as training
from tests.core.test_audit_verify import _tamper
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

SHIPPED = {
    "audit-trail-verifies",
    "signers-have-mfa",
    "dormant-accounts-closed",
    "documents-reviewed-in-time",
    "capa-not-long-overdue",
    "gating-training-not-overdue",
}


def run(key: str, site: Any = None) -> Outcome:
    """A declared check's verdict now (without recording a run)."""
    return compliance_checks.REGISTRY[key].run(CheckContext(now=timezone.now(), site=site))


def nonconformances() -> Any:
    return records.RECORD_TYPES["nonconformance"].model.objects


def stale_user(days: int = 400) -> User:
    """An active account nobody has signed in with for `days`."""
    person = UserFactory(username=f"stale{days}")
    User.objects.filter(pk=person.pk).update(last_login=timezone.now() - timedelta(days=days))
    return person


# --- The registry ------------------------------------------------------------------------------


def test_each_module_declares_its_checks_and_nothing_else_is_registered() -> None:
    declared = {c.key for m in modules.INSTALLED.values() for c in m.compliance_checks}
    assert declared >= SHIPPED
    assert set(compliance_checks.REGISTRY) == declared
    assert modules.undeclared() == []


def test_a_check_registered_behind_the_declarations_back_is_found() -> None:
    stray = Check("stray-check", "Stray", "", lambda context: Outcome.ok("fine"))
    compliance_checks.register(stray)
    try:
        found = modules.undeclared()
    finally:
        del compliance_checks.REGISTRY["stray-check"]
    assert "compliance check: stray-check" in found


def test_a_second_check_with_a_key_in_use_is_refused() -> None:
    taken = Check("signers-have-mfa", "Another", "", lambda context: Outcome.ok("x"))
    with pytest.raises(ValueError, match="signers-have-mfa"):
        compliance_checks.register(taken)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "Bad Key"}, "lower-case"),
        ({"requirements": ("A.8.5",)}, "framework:ref_id"),
        ({"raises_as": "customer_complaint"}, "raises_as"),
        ({"severity": "huge"}, "severity"),
    ],
)
def test_a_malformed_declaration_fails_when_it_is_made(
    fields: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"key": "fine-key", "name": "n", "description": "d"}
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        Check(run=lambda context: Outcome.ok("x"), **values)


def test_failures_are_capped_with_a_line_saying_how_many_more() -> None:
    kept = compliance_checks.capped([f"f{n}" for n in range(80)])
    assert len(kept) == compliance_checks.MAX_FAILURES + 1
    assert kept[-1] == "… and 30 more"


# --- Synced after migrate ----------------------------------------------------------------------


def test_every_declared_check_is_visible_with_its_requirements_after_migrate() -> None:
    held = {c.key: c for c in ComplianceCheck.objects.prefetch_related("requirements__framework")}
    assert set(held) >= SHIPPED
    mfa = held["signers-have-mfa"]
    assert mfa.kind == CheckKind.CODE and mfa.active and mfa.last_state == CheckState.NEVER
    assert {f"{r.framework.key}:{r.ref_id}" for r in mfa.requirements.all()} == {
        "iso-27001-2022:A.8.5",
        "21-cfr-11:11.300",
    }
    assert mfa.raises_as == "it_incident"


def test_sync_is_idempotent(system: User) -> None:
    before = list(ComplianceCheck.objects.order_by("key").values())
    assert checks.sync_registered(actor=system) == []
    assert list(ComplianceCheck.objects.order_by("key").values()) == before


def test_sync_puts_back_a_changed_declaration(system: User) -> None:
    edited = ComplianceCheck.objects.get(key="capa-not-long-overdue")
    edited.name = "edited"
    with audit.context(actor=None, actor_name="test fixture"):
        edited.save()
    assert checks.sync_registered(actor=system) == ["capa-not-long-overdue"]
    assert ComplianceCheck.objects.get(key="capa-not-long-overdue").name.startswith("No CAPA")


def test_a_declared_check_mapped_to_an_unknown_requirement_is_refused_at_sync(
    system: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = Check(
        "wrong-mapping",
        "Wrong",
        "",
        lambda context: Outcome.ok("x"),
        requirements=("iso-27001-2022:A.9.99",),
    )
    monkeypatch.setitem(compliance_checks.REGISTRY, "wrong-mapping", wrong)
    with pytest.raises(checks.UnknownRequirement, match=r"wrong-mapping.*iso-27001-2022:A\.9\.99"):
        checks.sync_registered(actor=system)
    assert not ComplianceCheck.objects.filter(key="wrong-mapping").exists()


# --- Each shipped check, passing and failing ---------------------------------------------------


def test_audit_trail_check_passes_on_an_intact_chain_and_fails_on_an_altered_event(
    admin: User,
) -> None:
    assert run("audit-trail-verifies").passed
    target = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    _tamper("UPDATE core_auditevent SET reason = 'nothing to see' WHERE id = %s", [target])
    outcome = run("audit-trail-verifies")
    assert not outcome.passed
    assert f"#{target}" in outcome.summary
    assert outcome.measured["intact"] is False


def test_mfa_check_names_approvers_and_quality_managers_without_a_second_factor(
    quality_manager: User, viewer: User
) -> None:
    approver = with_role(UserFactory(username="appr"), permissions.APPROVER)
    outcome = run("signers-have-mfa")
    assert not outcome.passed
    assert [f.split()[0] for f in outcome.failures] == ["appr", "qm"]  # not the viewer
    for person in (approver, quality_manager):
        TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    assert run("signers-have-mfa").passed


def test_dormant_account_check(settings: Any, quality_manager: User) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    assert run("dormant-accounts-closed").passed
    stale_user(120)
    outcome = run("dormant-accounts-closed")
    assert not outcome.passed
    assert outcome.failures[0].startswith("stale120: last signed in")
    settings.DORMANT_ACCOUNT_DAYS = 0
    assert not run("dormant-accounts-closed").passed  # no limit at all is a gap too


def test_document_review_check(quality_manager: User, site: Any, other_site: Any) -> None:
    procedure = DocumentType.objects.get(code="procedure")
    today = timezone.localdate()

    def document(number: str, status: str, next_review_on: Any) -> Document:
        with audit.context(actor=None, actor_name="test fixture"):
            return Document.objects.create(
                number=number,
                title=f"Procedure {number}",
                document_type=procedure,
                owner=quality_manager,
                created_by=quality_manager,
                updated_by=quality_manager,
                status=status,
                next_review_on=next_review_on,
            )

    document("SOP-001", DocumentStatus.EFFECTIVE, today + timedelta(days=10))
    document("SOP-002", DocumentStatus.NEW, today - timedelta(days=10))  # not effective yet
    assert run("documents-reviewed-in-time").passed
    late = document("SOP-003", DocumentStatus.EFFECTIVE, today - timedelta(days=1))
    outcome = run("documents-reviewed-in-time")
    assert not outcome.passed
    assert outcome.failures == [f"SOP-003 Procedure SOP-003: review was due {late.next_review_on}"]
    # Limited to a site: a document for another site only is not this site's gap.
    with audit.context(actor=None, actor_name="test fixture"):
        late.sites.set([other_site])
    assert run("documents-reviewed-in-time", site=site).passed
    assert not run("documents-reviewed-in-time", site=other_site).passed


def test_capa_check_allows_30_days_of_lateness(quality_manager: User) -> None:
    due = timezone.localdate() + timedelta(days=5)
    capa.open_capa(actor=quality_manager, title="Bore oversize", due_on=due)
    assert run("capa-not-long-overdue").passed
    with time_machine.travel(timezone.now() + timedelta(days=5 + 30), tick=False):
        assert run("capa-not-long-overdue").passed  # exactly 30 days late
    with time_machine.travel(timezone.now() + timedelta(days=5 + 31), tick=False):
        outcome = run("capa-not-long-overdue")
    assert not outcome.passed
    assert "Bore oversize" in outcome.failures[0] and "31 days late" in outcome.failures[0]


def test_training_check_counts_only_items_that_gate_work(quality_manager: User) -> None:
    first_aid = training.create_course(
        actor=quality_manager, code="fa-01", title="First aid", kind="classroom"
    )
    welding = training.create_course(
        actor=quality_manager, code="weld-01", title="Welding", kind="classroom"
    )
    site = quality_manager.site
    training.add_requirement(actor=quality_manager, site=site, course=first_aid, due_within_days=10)
    training.add_requirement(
        actor=quality_manager, site=site, course=welding, gating=True, due_within_days=10
    )
    assert run("gating-training-not-overdue").passed
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        outcome = run("gating-training-not-overdue")
    assert not outcome.passed
    assert outcome.failures and all("Welding" in f for f in outcome.failures)


# --- Runs and what a failure entails -----------------------------------------------------------


def check(key: str) -> ComplianceCheck:
    return ComplianceCheck.objects.get(key=key)


def test_a_failing_check_raises_one_nonconformance_across_runs(
    quality_manager: User, settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    stale_user()
    dormant = check("dormant-accounts-closed")
    first = checks.run_check(dormant, actor=quality_manager)
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)

    dormant.refresh_from_db()
    assert first.outcome == "fail"
    assert dormant.last_state == CheckState.FAIL
    assert CheckRun.objects.filter(compliance_check=dormant).count() == 3
    raised = list(nonconformances().filter(title__contains="Dormant accounts"))
    assert len(raised) == 1
    nc = raised[0]
    assert (dormant.open_nonconformance_id, dormant.open_nonconformance_number) == (
        nc.pk,
        nc.number,
    )
    assert nc.source == "it_incident" and nc.severity == "minor"
    assert "dormant-accounts-closed" in nc.requirement and "A.5.18" in nc.requirement
    assert "stale400" in nc.finding


def test_a_scheduled_failure_is_raised_by_someone_who_may_and_tells_the_owner(
    quality_manager: User, settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    stale_user()
    # An owner who may not raise nonconformances (the raiser then owns it; the owner is told).
    owner = with_role(UserFactory(username="isms"), permissions.VIEWER)
    dormant = ComplianceCheck.objects.get(key="dormant-accounts-closed")
    dormant.owner = owner
    with audit.context(actor=None, actor_name="test fixture"):
        dormant.save()
    summary = checks.run_due()
    assert "failed" in summary
    dormant = check("dormant-accounts-closed")
    nc = nonconformances().get(pk=dormant.open_nonconformance_id)
    # The system account holds no rights: a holder of the right to raise one does.
    assert nc.created_by == quality_manager
    told = Notification.objects.filter(recipient=owner, title__contains=nc.number)
    assert told.count() == 1
    # Run again right away: nothing is due, nothing more is raised.
    assert checks.run_due().startswith("0 compliance checks run")


def test_passing_again_asks_the_nonconformance_owner_to_verify_and_close(
    quality_manager: User, admin: User, settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    stale = stale_user()
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    nc_id = check("dormant-accounts-closed").open_nonconformance_id
    from qualitas.core import services as core

    core.deactivate_user(stale, actor=admin, reason="left the company")
    passed = checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    assert passed.outcome == "pass"
    nc = nonconformances().get(pk=nc_id)
    told = ActionItem.objects.filter(object_id=nc.pk, title__contains="passes again")
    assert told.count() == 1 and told.get().assignee == nc.owner
    # The NC stays the check's while open: failing again raises no second one.
    stale_user(500)
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    assert nonconformances().filter(title__contains="Dormant accounts").count() == 1
    # Once it is cancelled, the next failure is a new nonconformance.
    workflow.fire(nc, "cancel", actor=nc.owner, comment="Handled under the access review")
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    assert nonconformances().filter(title__contains="Dormant accounts").count() == 2
    assert check("dormant-accounts-closed").open_nonconformance_id != nc_id


def test_a_check_that_raises_is_recorded_as_could_not_run_not_as_failing(
    quality_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(context: CheckContext) -> Outcome:
        raise RuntimeError("table missing")

    declared = compliance_checks.REGISTRY["capa-not-long-overdue"]
    monkeypatch.setitem(
        compliance_checks.REGISTRY,
        "capa-not-long-overdue",
        Check(declared.key, declared.name, declared.description, broken),
    )
    outcome = checks.run_check(check("capa-not-long-overdue"), actor=quality_manager)
    assert outcome.outcome == "error" and "table missing" in outcome.summary
    assert check("capa-not-long-overdue").last_state == CheckState.ERROR
    assert not nonconformances().exists()


def test_running_on_demand_needs_compliance_manage(viewer: User) -> None:
    from qualitas.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        checks.run_check(check("signers-have-mfa"), actor=viewer)
    assert not CheckRun.objects.exists()


def test_the_job_is_declared() -> None:
    assert jobs.JOBS["compliance-checks"].run is checks.run_due


# --- Pages -------------------------------------------------------------------------------------


def test_the_dashboard_lists_failing_checks_first_with_their_nonconformance(
    client_for: Any, quality_manager: User, settings: Any
) -> None:
    settings.DORMANT_ACCOUNT_DAYS = 90
    stale_user()
    checks.run_check(check("dormant-accounts-closed"), actor=quality_manager)
    number = check("dormant-accounts-closed").open_nonconformance_number
    page = client_for(quality_manager).get("/compliance/checks/")
    assert page.status_code == 200
    html = page.content.decode()
    body = html[html.index('data-testid="check-table"') :]
    assert body.index("Dormant accounts are disabled") < body.index("The audit trail verifies")
    assert number in body and "Run now" in body and "A.5.18" in body


def test_run_now_from_the_page(client_for: Any, quality_manager: User) -> None:
    client = client_for(quality_manager)
    answer = client.post("/compliance/checks/signers-have-mfa/run/")
    assert answer.status_code == 302
    page = client.get(answer.url)
    assert "Failing" in page.content.decode()  # the quality manager has no second factor
    assert CheckRun.objects.filter(compliance_check__key="signers-have-mfa").count() == 1


def test_a_viewer_sees_the_dashboard_but_no_run_button_and_cannot_run(
    client_for: Any, viewer: User
) -> None:
    client = client_for(viewer)
    page = client.get("/compliance/checks/")
    assert page.status_code == 200 and "Run now" not in page.content.decode()
    assert client.post("/compliance/checks/signers-have-mfa/run/").status_code == 403
    assert not CheckRun.objects.exists()


def test_the_check_list_exports(client_for: Any, viewer: User) -> None:
    answer = client_for(viewer).get("/compliance/checks/?export=csv")
    assert answer.status_code == 200
    text = b"".join(answer.streaming_content).decode()
    assert "audit-trail-verifies" in text and "21-cfr-11:11.10(e)" in text
    assert "Run now" not in text


def test_the_check_page_shows_its_history(client_for: Any, quality_manager: User) -> None:
    checks.run_check(check("capa-not-long-overdue"), actor=quality_manager)
    page = client_for(quality_manager).get("/compliance/checks/capa-not-long-overdue/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "No open CAPA is more than 30 days past its due date." in html
    assert "10.2.1" in html and "8.5.2" in html


def test_adding_an_external_check_from_the_page(client_for: Any, quality_manager: User) -> None:
    client = client_for(quality_manager)
    refused = client.post(
        "/compliance/checks/new/",
        {
            "key": "backup-restore",
            "name": "Backup restore test",
            "requirements": "iso-27001-2022:A.8.99",
            "interval_hours": 24,
            "raises_as": "it_incident",
            "severity": "major",
        },
    )
    assert refused.status_code == 422 and "A.8.99" in refused.content.decode()
    assert not ComplianceCheck.objects.filter(key="backup-restore").exists()
    made = client.post(
        "/compliance/checks/new/",
        {
            "key": "backup-restore",
            "name": "Backup restore test",
            "requirements": "iso-27001-2022:A.8.13",
            "interval_hours": 24,
            "raises_as": "it_incident",
            "severity": "major",
        },
    )
    assert made.status_code == 302
    added = ComplianceCheck.objects.get(key="backup-restore")
    assert added.kind == CheckKind.EXTERNAL
    assert [r.ref_id for r in added.requirements.all()] == ["A.8.13"]


def _make_runs(count: int, actor: User, first: int = 0) -> None:
    """`count` external checks, each with two results."""
    for n in range(first, first + count):
        checks.create_external_check(
            actor=actor,
            key=f"ext-{n:03d}",
            name=f"External {n}",
            requirements=["iso-27001-2022:A.8.13"],
        )
        for passed in (False, True):
            checks.record_external_result(
                f"ext-{n:03d}", passed=passed, summary="scan", actor=actor, failures=["x"]
            )


def test_the_dashboard_query_count_does_not_grow_with_checks_or_runs(
    client_for: Any, quality_manager: User
) -> None:
    client = client_for(quality_manager)
    _make_runs(1, quality_manager)
    client.get("/compliance/checks/")
    with CaptureQueriesContext(connection) as few:
        client.get("/compliance/checks/")
    _make_runs(8, quality_manager, first=1)
    with CaptureQueriesContext(connection) as many:
        client.get("/compliance/checks/")
    assert len(many) == len(few)


def test_a_refused_nonconformance_keeps_the_run_and_tells_the_owner(
    quality_manager: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qualitas.core.errors import InvalidInput

    def refuse(**fields: Any) -> Any:
        raise InvalidInput.for_field("site", "Choose the site this nonconformance belongs to.")

    monkeypatch.setattr(check_failures.nonconformance, "raise_nonconformance", refuse)
    settings.DORMANT_ACCOUNT_DAYS = 90
    stale_user()
    dormant = check("dormant-accounts-closed")
    dormant.owner = quality_manager
    with audit.context(actor=None, actor_name="test fixture"):
        dormant.save()
    ran = checks.run_check(dormant, actor=quality_manager)
    assert ran.outcome == "fail" and CheckRun.objects.filter(pk=ran.pk).exists()
    assert check("dormant-accounts-closed").open_nonconformance_id is None
    told = Notification.objects.get(recipient=quality_manager)
    assert "No nonconformance could be raised" in told.body and "Choose the site" in told.body
