"""/api/v1/compliance-checks: the list and one check, history, running on demand, external
checks and the results a pipeline posts with its token; refusals save nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.compliance import checks
from qualitas.compliance.check_models import CheckRun, ComplianceCheck
from qualitas.core import records
from qualitas.core.models import User

pytestmark = pytest.mark.django_db

BASE = "/compliance-checks"


@pytest.fixture
def backup_check(quality_manager: User) -> ComplianceCheck:
    return checks.create_external_check(
        actor=quality_manager,
        key="backup-restore",
        name="Backup restore test",
        requirements=["iso-27001-2022:A.8.13"],
        raises_as="it_incident",
        severity="major",
    )


def nonconformances() -> Any:
    return records.RECORD_TYPES["nonconformance"].model.objects


def test_list_and_one_check(api_for: Any, viewer: User) -> None:
    api = api_for(viewer)
    listed = api.get(BASE, page_size=100)
    assert listed.status_code == 200
    keys = [c["key"] for c in listed.json()["results"]]
    assert "audit-trail-verifies" in keys and "capa-not-long-overdue" in keys
    one = api.get(f"{BASE}/audit-trail-verifies").json()
    assert one["kind"] == "code" and one["state"] == "never"
    assert one["requirements"] == ["21-cfr-11:11.10(e)", "iso-27001-2022:A.8.15"]
    assert api.get(f"{BASE}/no-such-check").status_code == 404


def test_the_list_filters_by_framework_and_state(api_for: Any, quality_manager: User) -> None:
    api = api_for(quality_manager)
    api.post(f"{BASE}/signers-have-mfa/run")  # the quality manager has no second factor
    failing = api.get(BASE, state="fail").json()["results"]
    assert [c["key"] for c in failing] == ["signers-have-mfa"]
    part11 = {c["key"] for c in api.get(BASE, framework="21-cfr-11").json()["results"]}
    assert part11 == {"audit-trail-verifies", "signers-have-mfa"}
    refused = api.get(BASE, framework="iso-0000")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "framework"
    assert api.get(BASE, state="sideways").status_code == 422


def test_failing_checks_are_listed_first(api_for: Any, quality_manager: User) -> None:
    api = api_for(quality_manager)
    api.post(f"{BASE}/signers-have-mfa/run")
    api.post(f"{BASE}/capa-not-long-overdue/run")
    keys = [c["key"] for c in api.get(BASE, page_size=100).json()["results"]]
    assert keys[0] == "signers-have-mfa"
    assert keys.index("capa-not-long-overdue") == len(keys) - 1  # passing: last


def test_run_on_demand_and_its_history(api_for: Any, quality_manager: User) -> None:
    api = api_for(quality_manager)
    ran = api.post(f"{BASE}/signers-have-mfa/run")
    assert ran.status_code == 201
    assert ran.json()["outcome"] == "fail" and ran.json()["source"] == "on_demand"
    assert ran.json()["reported_by"] == "qm"
    api.post(f"{BASE}/signers-have-mfa/run")
    history = api.get(f"{BASE}/signers-have-mfa/runs", page_size=1).json()
    assert history["count"] == 2 and len(history["results"]) == 1
    one = api.get(f"{BASE}/signers-have-mfa").json()
    assert one["state"] == "fail"
    assert one["open_nonconformance"] and one["open_nonconformance"].startswith("NC-")
    assert nonconformances().count() == 1  # two failing runs, one nonconformance


def test_a_viewer_may_neither_run_nor_report(
    api_for: Any, viewer: User, backup_check: ComplianceCheck
) -> None:
    api = api_for(viewer)
    assert api.post(f"{BASE}/signers-have-mfa/run").status_code == 403
    posted = api.post(f"{BASE}/backup-restore/results", {"passed": True, "summary": "ok"})
    assert posted.status_code == 403
    assert api.post(BASE, {"key": "mine", "name": "Mine"}).status_code == 403
    assert not CheckRun.objects.exists()
    assert not ComplianceCheck.objects.filter(key="mine").exists()


def test_an_external_check_is_created_through_the_api(api_for: Any, quality_manager: User) -> None:
    api = api_for(quality_manager)
    made = api.post(
        BASE,
        {
            "key": "cis-linux-scan",
            "name": "CIS benchmark scan of the Linux servers",
            "requirements": ["iso-27001-2022:A.8.9", "nist-csf-2.0:PR.PS-01"],
            "raises_as": "it_incident",
            "severity": "major",
            "owner": "qm",
        },
    )
    assert made.status_code == 201, made.json()
    assert made.json()["kind"] == "external" and made.json()["owner"] == "qm"
    assert made.json()["requirements"] == ["iso-27001-2022:A.8.9", "nist-csf-2.0:PR.PS-01"]
    again = api.post(BASE, {"key": "cis-linux-scan", "name": "Again"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "key"


def test_an_unknown_requirement_is_refused_naming_it_and_nothing_is_saved(
    api_for: Any, quality_manager: User
) -> None:
    refused = api_for(quality_manager).post(
        BASE, {"key": "restore-test", "name": "Restore", "requirements": ["iso-27001-2022:Z.1"]}
    )
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "requirements" and "iso-27001-2022:Z.1" in error["message"]
    assert not ComplianceCheck.objects.filter(key="restore-test").exists()


def test_a_pipeline_posts_results_with_its_token(
    api_for: Any, quality_manager: User, backup_check: ComplianceCheck
) -> None:
    api = api_for(quality_manager)
    failed = api.post(
        f"{BASE}/backup-restore/results",
        {
            "passed": False,
            "summary": "Restore of the ERP database failed",
            "failures": ["erp-db: checksum mismatch after restore"],
            "measured": {"restore_minutes": 42},
            "external_ref": "https://ci.example.test/jobs/981",
        },
    )
    assert failed.status_code == 201, failed.json()
    body = failed.json()
    assert body["source"] == "external" and body["outcome"] == "fail"
    assert body["measured"] == {"restore_minutes": 42}
    nc = nonconformances().get()
    assert nc.source == "it_incident" and nc.severity == "major"
    assert "backup-restore" in nc.requirement and "A.8.13" in nc.requirement
    assert "checksum mismatch" in nc.finding
    api.post(f"{BASE}/backup-restore/results", {"passed": False, "summary": "Failed again"})
    assert nonconformances().count() == 1
    passed = api.post(f"{BASE}/backup-restore/results", {"passed": True, "summary": "Restored"})
    assert passed.status_code == 201
    assert api.get(f"{BASE}/backup-restore").json()["state"] == "pass"
    assert api.get(f"{BASE}/backup-restore/runs").json()["count"] == 3


def test_a_result_without_a_token_is_401_and_saves_nothing(
    anonymous_api: Any, backup_check: ComplianceCheck
) -> None:
    answer = anonymous_api.post(f"{BASE}/backup-restore/results", {"passed": True, "summary": "x"})
    assert answer.status_code == 401
    assert not CheckRun.objects.exists()


def test_a_result_for_an_unknown_check_is_422_naming_key(
    api_for: Any, quality_manager: User
) -> None:
    answer = api_for(quality_manager).post(
        f"{BASE}/nobody-knows/results", {"passed": True, "summary": "x"}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "key"
    assert "nobody-knows" in answer.json()["errors"][0]["message"]
    assert not CheckRun.objects.exists()


def test_a_result_for_a_built_in_check_is_409(api_for: Any, quality_manager: User) -> None:
    answer = api_for(quality_manager).post(
        f"{BASE}/audit-trail-verifies/results", {"passed": True, "summary": "x"}
    )
    assert answer.status_code == 409
    assert not CheckRun.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"summary": "no verdict"},
        {"passed": "perhaps", "summary": "x"},
        {"passed": True, "summary": ""},
        {"passed": True, "summary": "x" * 501},
        {"passed": True, "summary": "x", "failures": "not a list"},
        {"passed": True, "summary": "x", "external_ref": "r" * 301},
    ],
)
def test_a_bad_result_is_422_and_saves_nothing(
    api_for: Any, quality_manager: User, backup_check: ComplianceCheck, payload: dict[str, Any]
) -> None:
    answer = api_for(quality_manager).post(f"{BASE}/backup-restore/results", payload)
    assert answer.status_code == 422
    assert answer.json()["errors"]
    assert not CheckRun.objects.exists()


def test_an_external_check_cannot_be_run_here(
    api_for: Any, quality_manager: User, backup_check: ComplianceCheck
) -> None:
    assert api_for(quality_manager).post(f"{BASE}/backup-restore/run").status_code == 409


def _external_checks(count: int, actor: User, first: int) -> None:
    for n in range(first, first + count):
        key = f"ext-{n:03d}"
        checks.create_external_check(
            actor=actor, key=key, name=f"External {n}", requirements=["iso-27001-2022:A.8.13"]
        )
        for passed in (False, True):
            checks.record_external_result(key, passed=passed, summary="scan", actor=actor)


def test_the_list_query_count_does_not_grow_with_checks_or_runs(
    api_for: Any, quality_manager: User
) -> None:
    api = api_for(quality_manager)
    _external_checks(1, quality_manager, first=0)
    api.get(BASE)
    with CaptureQueriesContext(connection) as few:
        assert api.get(BASE, page_size=100).status_code == 200
    _external_checks(8, quality_manager, first=1)
    with CaptureQueriesContext(connection) as many:
        listed = api.get(BASE, page_size=100)
    assert listed.json()["count"] >= 15
    assert len(many) == len(few)


def test_an_external_check_fallen_silent_is_flagged_once_per_interval(
    api_for: Any, quality_manager: User
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from qualitas.core.models import Notification

    backup_check = checks.create_external_check(
        actor=quality_manager,
        key="backup-restore",
        name="Backup restore test",
        requirements=["iso-27001-2022:A.8.13"],
        owner=quality_manager,
    )

    checks.record_external_result(
        backup_check.key, passed=True, summary="Restored in 40 min.", actor=quality_manager
    )
    assert checks.stale_external() == []
    later = timezone.now() + timedelta(hours=backup_check.interval_hours + 1)
    assert [c.key for c in checks.stale_external(later)] == [backup_check.key]

    # A month of silence: the job records it as "could not run", and tells the owner once.
    from qualitas.core import audit

    with audit.context(actor=None, actor_name="test fixture"):
        ComplianceCheck.objects.filter(pk=backup_check.pk).update(
            last_run_at=timezone.now() - timedelta(days=40)
        )
    assert "1 external check(s) silent" in checks.run_due()
    backup_check.refresh_from_db()
    assert backup_check.last_state == "error"
    assert backup_check.last_summary.startswith("No result posted since")
    body = api_for(quality_manager).get(f"{BASE}/{backup_check.key}/runs").json()
    assert body["results"][0]["outcome"] == "error"
    assert "pipeline" in body["results"][0]["summary"]
    # Within the interval it is not flagged again.
    assert "0 external check(s) silent" in checks.run_due()
    assert Notification.objects.filter(title__contains=backup_check.name).count() == 1


def test_the_trend_counts_checks_passing_per_framework_week_by_week(
    api_for: Any, client: Any, quality_manager: User
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from qualitas.compliance import check_trend

    backup = checks.create_external_check(
        actor=quality_manager,
        key="backup-restore",
        name="Backup restore test",
        requirements=["iso-27001-2022:A.8.13"],
    )
    scan = checks.create_external_check(
        actor=quality_manager,
        key="cis-scan",
        name="CIS scan",
        requirements=["iso-27001-2022:A.8.9", "nist-csf-2.0:PR.PS-01"],
    )
    checks.record_external_result(
        backup.key, passed=False, summary="Restore failed.", actor=quality_manager
    )
    checks.record_external_result(
        scan.key, passed=True, summary="All rules pass.", actor=quality_manager
    )
    # Seen from three weeks on: before the runs nothing was judged, after them 1 of 2.
    later = check_trend.trend(weeks=6, now=timezone.now() + timedelta(weeks=3))
    iso = {t.key: t for t in later}["iso-27001-2022"]
    assert iso.checks >= 2  # and the built-in checks, never run here
    assert (iso.points[0].passing, iso.points[0].judged) == (0, 0)
    assert (iso.points[-1].passing, iso.points[-1].judged) == (1, 2)

    checks.record_external_result(
        backup.key, passed=True, summary="Restored.", actor=quality_manager
    )
    by_key = {t.key: t for t in check_trend.trend(weeks=6)}
    iso, csf = by_key["iso-27001-2022"], by_key["nist-csf-2.0"]
    assert csf.checks >= 1
    assert (iso.points[-1].passing, iso.points[-1].judged) == (2, 2)
    assert (csf.points[-1].passing, csf.points[-1].judged) == (1, 1)
    assert iso.points[0].judged == 0

    body = api_for(quality_manager).get(f"{BASE}/trend?weeks=6").json()
    assert {row["framework"] for row in body} >= {"iso-27001-2022", "nist-csf-2.0"}
    assert len(body[0]["weeks"]) == 6
    bad = api_for(quality_manager).get(f"{BASE}/trend?weeks=99")
    assert bad.status_code == 422
    assert "weeks" in bad.text

    client.force_login(quality_manager)
    page = client.get("/compliance/checks/")
    assert b'data-testid="check-trend"' in page.content
