"""Configured compliance checks: a query template and the organisation's parameters
("each Annex A control at Leeds has current evidence", "no CAPA overdue more than 30 days"),
run by Qualitas like a built-in check; wrong parameters refused naming them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qualitas.capa import services as capas
from qualitas.compliance import checks, services
from qualitas.compliance.check_models import CheckRun, ComplianceCheck
from qualitas.compliance.models import Framework, Requirement
from qualitas.core import records
from qualitas.core.models import Site, User
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

BASE = "/compliance-checks"


@pytest.fixture
def leeds(db: None) -> Site:
    return SiteFactory(code="LDS", name="Leeds Digital")


@pytest.fixture
def isms(leeds: Site, quality_manager: User) -> Any:
    framework = Framework.objects.get(key="iso-27001-2022")
    return services.create_scope(actor=quality_manager, framework=framework, site=leeds)


def test_the_templates_are_listed_with_their_parameters(api_for: Any, viewer: User) -> None:
    body = api_for(viewer).get(f"{BASE}/templates").json()
    by_key = {t["key"]: t for t in body}
    assert set(by_key) == {"requirements-covered", "records-not-overdue"}
    names = [p["name"] for p in by_key["requirements-covered"]["parameters"]]
    assert names == ["framework", "site", "ref_prefix"]


def test_annex_a_evidence_check_fails_on_gaps_and_passes_once_covered(
    api_for: Any, quality_manager: User, isms: Any
) -> None:
    api = api_for(quality_manager)
    made = api.post(
        BASE,
        {
            "key": "annex-a-5-1-evidence",
            "name": "A.5.1 has current evidence at Leeds",
            "template": "requirements-covered",
            "parameters": {"framework": "iso-27001-2022", "site": "LDS", "ref_prefix": "A.5.1"},
            "requirements": ["iso-27001-2022:6.1.3"],
            "owner": quality_manager.username,
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "query"
    assert made.json()["parameters"]["ref_prefix"] == "A.5.1"

    # A.5.1 and A.5.10-A.5.19 start with the prefix; none has evidence yet.
    ran = api.post(f"{BASE}/annex-a-5-1-evidence/run")
    assert ran.status_code == 201, ran.text
    assert ran.json()["outcome"] == "fail"
    assert any(f.startswith("A.5.1 ") for f in ran.json()["failures"])
    check = ComplianceCheck.objects.get(key="annex-a-5-1-evidence")
    assert check.open_nonconformance_id is not None

    for control in Requirement.objects.filter(
        framework__key="iso-27001-2022", ref_id__startswith="A.5.1"
    ):
        services.add_evidence(
            control,
            actor=quality_manager,
            kind="justification",
            scope=isms,
            note="Covered by the ISMS policy set, reviewed yearly.",
        )
    ran = api.post(f"{BASE}/annex-a-5-1-evidence/run").json()
    assert ran["outcome"] == "pass", ran
    assert ran["measured"]["covered"] == ran["measured"]["applicable"] > 1
    # Still one nonconformance: it shows the check passes again, none is raised twice.
    assert records.RECORD_TYPES["nonconformance"].model.objects.count() == 1


def test_records_overdue_check_counts_only_long_overdue_records(
    quality_manager: User, api_for: Any
) -> None:
    site = quality_manager.site
    today = timezone.localdate()
    for title, days in (("Long overdue", 45), ("Just overdue", 5)):
        capas.open_capa(
            actor=quality_manager, title=title, site=site, due_on=today - timedelta(days=days)
        )
    check = checks.create_configured_check(
        actor=quality_manager,
        key="capa-overdue-30",
        name="No CAPA overdue more than 30 days",
        template="records-not-overdue",
        parameters={"record_type": "capa", "days": "30"},
    )
    assert check.parameters == {"record_type": "capa", "days": 30}
    run = checks.run_check(check, actor=quality_manager)
    assert run.outcome == "fail"
    assert run.measured["overdue"] == 1
    assert "Long overdue" in run.failures[0]
    # Due from the schedule like a built-in check.
    assert check in checks.due_checks(timezone.now() + timedelta(days=2))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template": "no-such-query"}, "template"),
        ({"template": "records-not-overdue", "parameters": {"days": 3}}, "parameters.record_type"),
        (
            {"template": "records-not-overdue", "parameters": {"record_type": "capa", "days": -1}},
            "parameters.days",
        ),
        (
            {"template": "requirements-covered", "parameters": {"framework": "iso-0", "site": "X"}},
            "parameters.framework",
        ),
        (
            {
                "template": "requirements-covered",
                "parameters": {"framework": "iso-9001-2015", "site": "LDS"},
            },
            "parameters.site",
        ),
        (
            {"template": "records-not-overdue", "parameters": {"record_type": "capa", "x": 1}},
            "parameters.x",
        ),
        ({"parameters": {"days": 3}}, "template"),
    ],
)
def test_wrong_parameters_are_refused_naming_them_and_nothing_is_saved(
    api_for: Any, quality_manager: User, isms: Any, payload: dict[str, Any], field: str
) -> None:
    sent = {"key": "my-query", "name": "My query", **payload}
    answer = api_for(quality_manager).post(BASE, sent)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert not ComplianceCheck.objects.filter(key="my-query").exists()


def test_a_configured_check_takes_no_posted_results(api_for: Any, quality_manager: User) -> None:
    checks.create_configured_check(
        actor=quality_manager,
        key="capa-overdue-30",
        name="No CAPA overdue more than 30 days",
        template="records-not-overdue",
        parameters={"record_type": "capa", "days": 30},
    )
    answer = api_for(quality_manager).post(
        f"{BASE}/capa-overdue-30/results", {"passed": True, "summary": "fine"}
    )
    assert answer.status_code == 409
    assert not CheckRun.objects.exists()


def test_a_viewer_may_not_configure_a_check(api_for: Any, viewer: User) -> None:
    answer = api_for(viewer).post(
        BASE,
        {
            "key": "my-query",
            "name": "My query",
            "template": "records-not-overdue",
            "parameters": {"record_type": "capa", "days": 30},
        },
    )
    assert answer.status_code == 403
    assert not ComplianceCheck.objects.filter(key="my-query").exists()


def test_the_form_adds_a_configured_check_and_shows_wrong_parameters(
    client: Any, quality_manager: User, isms: Any
) -> None:
    client.force_login(quality_manager)
    assert client.get("/compliance/checks/new-query/").status_code == 200
    form = {
        "key": "annex-a-leeds",
        "name": "Each Annex A control has current evidence",
        "template": "requirements-covered",
        "framework": "iso-27001-2022",
        "ref_prefix": "A.",
        "interval_hours": 24,
        "raises_as": "it_incident",
        "severity": "minor",
    }
    refused = client.post("/compliance/checks/new-query/", form)
    assert refused.status_code == 422
    assert b"Give the site" in refused.content
    made = client.post("/compliance/checks/new-query/", {**form, "scope_site": "LDS"})
    assert made.status_code == 302
    check = ComplianceCheck.objects.get(key="annex-a-leeds")
    assert check.parameters == {"framework": "iso-27001-2022", "site": "LDS", "ref_prefix": "A."}
