"""The demo's audits: Sheffield's approved programme, audits in every state, the
certification body's two minor findings driving CAPAs, auditors qualified by the training
course; loaded once, a second load adds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from qualitas.audits import demo as audits_demo, programme_calendar, readiness
from qualitas.audits.models import Audit, AuditProgramme, Finding
from qualitas.core import demo, signatures

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_audits() -> None:
    with transaction.atomic():  # as the demo command loads it
        demo._load_company()
        audits_demo.load()

    programme = AuditProgramme.objects.get()
    assert programme.state == "approved" and programme.site.code == "SHF"
    approval = programme.signatures.get()
    assert approval.signer.username == "rmensah" and signatures.is_valid(approval, programme)
    assert programme.entries.count() == len(audits_demo.ENTRIES)

    states = set(Audit.objects.values_list("state", flat=True))
    assert states == {
        "planned",
        "prepared",
        "in_progress",
        "reporting",
        "follow_up",
        "closed",
        "cancelled",
    }
    # Every audit our own people led had a qualified, independent team.
    for audit in Audit.objects.exclude(audit_type__in=("external", "customer")):
        assert readiness.team_independent(audit) is None, audit.number
        assert not readiness.unqualified(audit.site, readiness.auditors_of(audit)), audit.number

    certification = Audit.objects.get(audit_type="external")
    assert certification.state == "follow_up"
    minors = certification.findings.all()
    assert [f.grade for f in minors] == ["minor_nc", "minor_nc"]
    assert all(f.state == "action" and f.nonconformance_number and f.capa_number for f in minors)
    # Each finding answers the question of the clause it cites.
    assert {f.requirement.ref_id for f in minors} == {"8.2.2", "7.1.5.2"}
    report = certification.signatures.get(transition="issue_report")
    assert signatures.is_valid(report, certification)

    # The calendar shows the cancelled supplier visit among the deviations, no audit moved.
    kinds = {d.kind for d in programme_calendar.calendar(programme).deviations}
    assert "cancelled" in kinds and "moved" not in kinds

    count = Finding.objects.count()
    audits_demo.load()
    assert Finding.objects.count() == count
