"""The demo company's compliance: certified scopes, justified exclusions, evidence (one piece
obsolete) and real gaps; loaded once, a second load adds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from qualitas.compliance import coverage as cov, demo as compliance_demo
from qualitas.compliance.check_models import ComplianceCheck
from qualitas.compliance.models import Evidence, Scope
from qualitas.core import demo
from qualitas.core.models import User
from qualitas.documents import demo as documents_demo

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_compliance() -> None:
    with transaction.atomic():  # as the demo command loads it
        demo._load_company()
        documents_demo.load()
        compliance_demo.load()
    scopes = {
        (s.framework.key, s.site.code): s for s in Scope.objects.select_related("framework", "site")
    }
    assert set(scopes) == {
        ("iso-9001-2015", "SHF"),
        ("iso-13485-2016", "SHF"),
        ("iso-27001-2022", "LDS"),
    }
    assert all(s.certified and s.certificate_number for s in scopes.values())

    quality = cov.coverage(scopes[("iso-9001-2015", "SHF")])
    states = {row.requirement.ref_id: row for row in quality.rows}
    # Design is the customers': 8.3 and everything under it is excluded, with the reason.
    assert states["8.3"].state == states["8.3.4"].state == cov.NOT_APPLICABLE
    assert "customer" in states["8.3"].reason
    assert states["7.5.3.2"].state == cov.COVERED
    # The calibration policy was withdrawn in the documents demo: not evidence any more, but
    # the calibration procedure still covers 7.1.5.2.
    calibration = states["7.1.5.2"]
    assert calibration.state == cov.COVERED
    assert any(not e.current and "not in force" in e.why for e in calibration.evidence)
    # Real gaps remain, and most of the standard is covered.
    assert quality.gaps() and 20 < (quality.percent or 0) < 100

    security = cov.coverage(scopes[("iso-27001-2022", "LDS")])
    assert {r.requirement.ref_id for r in security.rows if r.state == cov.NOT_APPLICABLE} == {
        "A.8.30"
    }
    assert len(security.gaps()) > 50  # an ISMS with most Annex A evidence still to gather

    # The Leeds SoA: prepared by the quality manager, approved by the managing director.
    statement = scopes[("iso-27001-2022", "LDS")].statements.get()
    assert statement.state == "approved" and len(statement.snapshot) == 93
    assert statement.signatures.get().signer.username == "rmensah"
    assert ComplianceCheck.objects.filter(kind="external", last_state="pass").count() == 2
    # Configured by the quality manager; the Annex A one fails on the gaps above when run.
    configured = ComplianceCheck.objects.filter(kind="query")
    assert set(configured.values_list("key", flat=True)) == {
        "annex-a-evidence-leeds",
        "audit-findings-on-time",
    }
    from qualitas.compliance import checks

    annex = configured.get(key="annex-a-evidence-leeds")
    run = checks.run_check(annex, actor=User.objects.get(username="hmarsh"))
    assert run.outcome == "fail"
    # The 93 controls but the few Leeds excludes; those with current evidence pass.
    assert 80 < run.measured["applicable"] < 93
    assert 0 < run.measured["covered"] < run.measured["applicable"]

    count = Evidence.objects.count()
    compliance_demo.load()
    assert Evidence.objects.count() == count
    assert scopes[("iso-27001-2022", "LDS")].statements.count() == 1
