"""The audit programme: a site's year of audits planned by risk, approved by signature,
revised as a new revision that supersedes it, its audits scheduled from it, and the
calendar that shows the deviations from it; the panel, the exports, the API and who may
do what at which site."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from openpyxl import load_workbook

from qualitas.audits import programme_calendar, programmes, services
from qualitas.audits.models import Audit, AuditProgramme, ProgrammeEntry
from qualitas.core import permissions, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Department, Site, User
from tests.audits.conftest import person, requirement_ids
from tests.factories import PASSWORD, SiteFactory

pytestmark = pytest.mark.django_db

YEAR = 2026


def draft(qm: User, plant: Site, year: int = YEAR, **fields: Any) -> AuditProgramme:
    return programmes.create_programme(
        actor=qm, title=f"Audit programme {year}", year=year, site=plant, **fields
    )


def approve(programme: AuditProgramme, by: User) -> AuditProgramme:
    token = signatures.authenticate(by, PASSWORD, subject=programme)
    return workflow.fire(programme, "approve", actor=by, signature=token)


@pytest.fixture
def programme(qm: User, plant: Site, production: Department, auditor: User) -> AuditProgramme:
    """Sheffield's 2026 draft: machining (high risk), purchasing (medium)."""
    found = draft(qm, plant, approach="Machining scrap rose in 2025; purchasing is stable.")
    programmes.add_entry(
        found,
        actor=qm,
        subject="Machining",
        audit_type="process",
        risk="high",
        department=production,
        requirement_ids=requirement_ids(),
        lead_auditor=auditor,
    )
    programmes.add_entry(
        found, actor=qm, subject="Purchasing", audit_type="internal", risk="medium"
    )
    found.refresh_from_db()
    return found


@pytest.fixture
def leeds_qm() -> User:
    leeds = SiteFactory(code="LDS", name="Leeds")
    return person("leedsqm", permissions.QUALITY_MANAGER, site=leeds)


# --- Creating and planning ---------------------------------------------------------------------


def test_a_second_programme_for_the_year_is_refused_naming_year(
    qm: User, plant: Site, api_for: Any
) -> None:
    first = draft(qm, plant)
    assert first.number.startswith("AP-") and first.state == "draft" and first.revision == 1
    with pytest.raises(InvalidInput) as refused:
        draft(qm, plant)
    assert [e.field for e in refused.value.errors] == ["year"]
    answer = api_for(qm).post(
        "/audit-programmes", {"title": "Again", "year": YEAR, "site": plant.pk}
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["year"]
    assert AuditProgramme.objects.count() == 1
    # Another year is another programme.
    assert draft(qm, plant, year=YEAR + 1).year == YEAR + 1


def test_months_default_from_the_risk(programme: AuditProgramme, qm: User) -> None:
    machining, purchasing = programme.entries.all()
    assert machining.planned_months == [3, 9]
    assert purchasing.planned_months == [6]
    low = programmes.add_entry(
        programme, actor=qm, subject="Calibration", audit_type="process", risk="low"
    )
    # Not audited last year (there was no programme): this year.
    assert low.planned_months == [6]
    given = programmes.add_entry(
        programme,
        actor=qm,
        subject="Design",
        audit_type="process",
        risk="high",
        planned_months=[11, 2, 2],
    )
    assert given.planned_months == [2, 11]


def test_a_low_risk_subject_audited_last_year_waits_a_year(
    qm: User, approver: User, plant: Site
) -> None:
    last = draft(qm, plant, year=YEAR - 1)
    programmes.add_entry(last, actor=qm, subject="Calibration", audit_type="process", risk="low")
    approve(last, approver)
    this = draft(qm, plant)
    again = programmes.add_entry(
        this, actor=qm, subject="calibration ", audit_type="process", risk="low"
    )
    assert again.planned_months == []
    fresh = programmes.add_entry(
        this, actor=qm, subject="Labelling", audit_type="process", risk="low"
    )
    assert fresh.planned_months == [6]


def test_a_bad_month_is_refused_naming_planned_months_and_nothing_is_saved(
    programme: AuditProgramme, qm: User, api_for: Any
) -> None:
    version = programme.version
    answer = api_for(qm).post(
        f"/audit-programmes/{programme.pk}/entries",
        {"subject": "Shipping", "audit_type": "process", "risk": "high", "planned_months": [3, 13]},
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["planned_months"]
    with pytest.raises(InvalidInput) as refused:
        programmes.add_entry(
            programme, actor=qm, subject="Shipping", audit_type="process", risk="urgent"
        )
    assert [e.field for e in refused.value.errors] == ["risk"]
    entry = programme.entries.first()
    assert entry is not None
    patched = api_for(qm).patch(
        f"/audit-programmes/{programme.pk}/entries/{entry.pk}", {"planned_months": [0]}
    )
    assert patched.status_code == 422
    assert [e["field"] for e in patched.json()["errors"]] == ["planned_months"]
    programme.refresh_from_db()
    assert programme.version == version
    assert programme.entries.count() == 2
    entry.refresh_from_db()
    assert entry.planned_months == [3, 9]


def test_entries_through_the_api(
    programme: AuditProgramme, qm: User, production: Department, api_for: Any
) -> None:
    api = api_for(qm)
    listed = api.get(f"/audit-programmes/{programme.pk}/entries")
    assert listed.status_code == 200
    assert [e["subject"] for e in listed.json()] == ["Machining", "Purchasing"]
    assert len(listed.json()[0]["requirement_ids"]) == 3
    added = api.post(
        f"/audit-programmes/{programme.pk}/entries",
        {
            "subject": "Acme Castings Ltd",
            "subject_kind": "supplier",
            "audit_type": "supplier",
            "risk": "high",
            "department": production.pk,
        },
    )
    assert added.status_code == 201, added.json()
    assert added.json()["planned_months"] == [3, 9]
    entry_id = added.json()["id"]
    changed = api.patch(
        f"/audit-programmes/{programme.pk}/entries/{entry_id}",
        {"planned_months": [4], "notes": "After the furnace rebuild"},
    )
    assert changed.status_code == 200
    assert changed.json()["planned_months"] == [4]
    assert changed.json()["risk"] == "high"
    removed = api.delete(f"/audit-programmes/{programme.pk}/entries/{entry_id}")
    assert removed.status_code == 204
    assert not ProgrammeEntry.objects.filter(pk=entry_id).exists()
    # The removal is on the audit trail.
    assert AuditEvent.objects.filter(
        action="delete",
        object_id=entry_id,
        object_type=ContentType.objects.get_for_model(ProgrammeEntry),
    ).exists()


# --- Approval by signature ---------------------------------------------------------------------


def test_an_approver_signs_the_programme(
    programme: AuditProgramme, approver: User, auditee: User, api_for: Any
) -> None:
    url = f"/audit-programmes/{programme.pk}/transitions/approve"
    # A contributor may not approve it.
    assert api_for(auditee).post(url, {"password": PASSWORD}).status_code == 403
    answer = api_for(approver).post(url, {"password": PASSWORD})
    assert answer.status_code == 200, answer.json()
    programme.refresh_from_db()
    assert programme.state == "approved" and programme.approved_at is not None
    [signature] = programme.signatures.all()
    assert signature.signer == approver
    assert signatures.is_valid(signature)


def test_an_empty_programme_is_not_approved(
    qm: User, plant: Site, approver: User, api_for: Any
) -> None:
    empty = draft(qm, plant)
    answer = api_for(approver).post(
        f"/audit-programmes/{empty.pk}/transitions/approve", {"password": PASSWORD}
    )
    assert 400 <= answer.status_code < 500
    assert "at least one audit" in answer.json()["detail"]
    empty.refresh_from_db()
    assert empty.state == "draft" and not empty.signatures.exists()


def test_approved_lines_no_longer_change(
    programme: AuditProgramme, qm: User, approver: User
) -> None:
    approve(programme, approver)
    with pytest.raises(Conflict):
        programmes.add_entry(programme, actor=qm, subject="X", audit_type="process", risk="low")
    entry = programme.entries.first()
    assert entry is not None
    with pytest.raises(Conflict):
        programmes.remove_entry(entry, actor=qm)


def test_a_revision_approved_supersedes_the_earlier_one(
    programme: AuditProgramme, qm: User, approver: User, api_for: Any
) -> None:
    approve(programme, approver)
    answer = api_for(qm).post(f"/audit-programmes/{programme.pk}/revise")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["revision"] == 2 and answer.json()["entries"] == 2
    second = AuditProgramme.objects.get(pk=answer.json()["id"])
    assert second.supersedes == programme and second.state == "draft"
    machining = second.entries.get(subject="Machining")
    assert machining.planned_months == [3, 9] and machining.requirements.count() == 3
    # Only one draft at a time.
    with pytest.raises(Conflict):
        programmes.revise(programme, actor=qm)
    programmes.change_entry(machining, actor=qm, planned_months=[2, 6, 10])
    approve(second, approver)
    programme.refresh_from_db()
    second.refresh_from_db()
    assert second.state == "approved" and programme.state == "superseded"
    # Superseding changes nothing signed.
    assert signatures.is_valid(programme.signatures.get())


# --- Scheduling --------------------------------------------------------------------------------


def test_schedule_raises_the_audit_of_a_line(
    programme: AuditProgramme, qm: User, approver: User, auditor: User, production: Department
) -> None:
    machining = programme.entries.get(subject="Machining")
    with pytest.raises(Conflict):
        programmes.schedule_audit(machining, actor=qm, month=3)
    approve(programme, approver)
    machining.refresh_from_db()
    raised = programmes.schedule_audit(machining, actor=qm, month=3)
    assert raised.number.startswith("AUD-") and raised.state == "planned"
    assert raised.programme_entry == machining
    assert raised.site == programme.site and raised.audit_type == "process"
    # 1 March 2026 is a Sunday: the first working day is Monday the 2nd.
    assert raised.planned_start == datetime.date(2026, 3, 2)
    assert raised.lead_auditor == auditor
    assert raised.criterion_rows.count() == 3
    assert list(raised.auditee_departments.all()) == [production]
    with pytest.raises(InvalidInput) as refused:
        programmes.schedule_audit(machining, actor=qm, month=13)
    assert [e.field for e in refused.value.errors] == ["month"]


def test_schedule_through_the_api(
    programme: AuditProgramme, qm: User, approver: User, auditee: User, api_for: Any
) -> None:
    approve(programme, approver)
    purchasing = programme.entries.get(subject="Purchasing")
    url = f"/audit-programmes/{programme.pk}/entries/{purchasing.pk}/schedule"
    assert api_for(auditee).post(url, {"month": 6}).status_code == 403
    answer = api_for(qm).post(url, {"month": 6})
    assert answer.status_code == 201, answer.json()
    assert answer.json()["programme_entry"] == purchasing.pk
    assert answer.json()["planned_start"] == "2026-06-01"
    assert Audit.objects.filter(programme_entry=purchasing).count() == 1


# --- The calendar and its deviations -----------------------------------------------------------


def _unplanned(qm: User, plant: Site, auditor: User, on: datetime.date) -> Audit:
    return services.raise_audit(
        actor=qm,
        title="Customer complaint follow-up",
        audit_type="process",
        site=plant,
        lead_auditor=auditor,
        planned_start=on,
    )


def test_the_calendar_shows_the_deviations(
    programme: AuditProgramme, qm: User, approver: User, auditor: User, plant: Site
) -> None:
    approve(programme, approver)
    machining = programme.entries.get(subject="Machining")
    purchasing = programme.entries.get(subject="Purchasing")
    moved = programmes.schedule_audit(machining, actor=qm, month=5)  # planned March
    late = programmes.schedule_audit(purchasing, actor=qm, month=6)
    cancelled = programmes.schedule_audit(machining, actor=qm, month=9)
    workflow.fire(cancelled, "cancel", actor=qm, comment="Auditor ill")
    extra = _unplanned(qm, plant, auditor, datetime.date(2026, 7, 14))

    found = programme_calendar.calendar(programme, today=datetime.date(2026, 10, 15))
    rows = {row.entry.subject: row for row in found.rows}
    assert [c.planned for c in rows["Machining"].cells].count(True) == 2
    assert [a.number for a in rows["Machining"].cells[4].audits] == [moved.number]
    kinds = {(d.kind, d.audit.number if d.audit else None, d.month) for d in found.deviations}
    assert ("moved", moved.number, 5) in kinds
    assert ("cancelled", cancelled.number, 9) in kinds
    # September's audit was cancelled and none held since: overdue.
    assert ("overdue", None, 9) in kinds
    # June's audit was never started and June is over.
    assert ("overdue", late.number, 6) in kinds
    assert ("unplanned", extra.number, 7) in kinds
    assert rows["Purchasing"].cells[5].overdue and rows["Machining"].cells[8].overdue
    moved_reason = next(d.reason for d in found.deviations if d.kind == "moved")
    assert "planned for Mar" in moved_reason and "May" in moved_reason
    # Before the months are over nothing is overdue yet.
    early = programme_calendar.calendar(programme, today=datetime.date(2026, 2, 1))
    assert not [d for d in early.deviations if d.kind == "overdue"]
    assert early.current_month == 2


def test_the_calendar_reads_a_fixed_number_of_queries(
    programme: AuditProgramme,
    qm: User,
    approver: User,
    auditor: User,
    plant: Site,
    api_for: Any,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    approve(programme, approver)
    machining = programme.entries.get(subject="Machining")
    programmes.schedule_audit(machining, actor=qm, month=3)
    programme.refresh_from_db()
    with django_assert_num_queries(5):
        small = programme_calendar.calendar(programme)
    api = api_for(qm)
    url = f"/audit-programmes/{programme.pk}/calendar"
    assert api.get(url).status_code == 200  # warm up
    with django_assert_max_num_queries(12) as captured:
        assert api.get(url).status_code == 200
    few = len(captured.captured_queries)

    # More lines, more audits, more unplanned ones: the same queries.
    second = draft(qm, plant, year=YEAR + 1)
    for n in range(7):
        programmes.add_entry(
            second,
            actor=qm,
            subject=f"Line {n}",
            audit_type="process",
            risk="high",
            requirement_ids=requirement_ids(),
        )
    approve(second, approver)
    for entry in second.entries.all():
        for month in entry.planned_months:
            programmes.schedule_audit(entry, actor=qm, month=month)
    for month in (4, 8):
        _unplanned(qm, plant, auditor, datetime.date(YEAR + 1, month, 10))
    second.refresh_from_db()
    with django_assert_num_queries(5):
        big = programme_calendar.calendar(second)
    assert len(big.rows) == 7 and len(small.rows) == 2
    url = f"/audit-programmes/{second.pk}/calendar"
    assert api.get(url).status_code == 200
    with django_assert_max_num_queries(few):
        answer = api.get(url)
    assert answer.status_code == 200
    assert len(answer.json()["rows"]) == 7
    assert sum(1 for d in answer.json()["deviations"] if d["kind"] == "unplanned") == 2


# --- Pages -------------------------------------------------------------------------------------


def test_the_panel_renders_the_calendar_and_the_forms(
    programme: AuditProgramme, qm: User, approver: User, client_for: Any
) -> None:
    page = client_for(qm).get(f"/audit-programmes/{programme.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="programme-panel"' in body
    assert "Machining" in body and "iso-9001-2015:8.5.1" in body
    assert 'data-testid="entry-form-add"' in body and 'data-testid="schedule"' not in body
    approve(programme, approver)
    body = client_for(qm).get(f"/audit-programmes/{programme.pk}/").content.decode()
    assert 'data-testid="schedule"' in body and 'data-testid="revise"' in body
    assert 'data-testid="entry-form-add"' not in body


def test_subjects_are_escaped_in_the_panel(
    programme: AuditProgramme, qm: User, client_for: Any
) -> None:
    programmes.add_entry(
        programme, actor=qm, subject="<script>alert(1)</script>", audit_type="process", risk="low"
    )
    body = client_for(qm).get(f"/audit-programmes/{programme.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_lines_from_the_page(
    programme: AuditProgramme, qm: User, production: Department, client_for: Any
) -> None:
    client = client_for(qm)
    added = client.post(
        f"/audits/programmes/{programme.pk}/entries/",
        {
            "subject": "Heat treatment",
            "subject_kind": "process",
            "audit_type": "process",
            "risk": "high",
            "department": production.pk,
            "criteria": "iso-9001-2015:8.5.1",
        },
    )
    assert added.status_code == 302
    entry = programme.entries.get(subject="Heat treatment")
    assert entry.planned_months == [3, 9] and entry.requirements.count() == 1
    client.post(
        f"/audits/programmes/{programme.pk}/entries/{entry.pk}/",
        {
            "subject": "Heat treatment",
            "subject_kind": "process",
            "audit_type": "process",
            "risk": "high",
            "planned_months": ["1", "7"],
            "criteria": "",
        },
    )
    entry.refresh_from_db()
    assert entry.planned_months == [1, 7] and entry.requirements.count() == 0
    # An unknown clause is refused and nothing changes.
    client.post(
        f"/audits/programmes/{programme.pk}/entries/",
        {
            "subject": "Paint",
            "audit_type": "process",
            "risk": "low",
            "criteria": "iso-9001-2015:99",
        },
    )
    assert not programme.entries.filter(subject="Paint").exists()
    client.post(f"/audits/programmes/{programme.pk}/entries/{entry.pk}/remove/")
    assert not programme.entries.filter(subject="Heat treatment").exists()


def test_the_calendar_exports(
    programme: AuditProgramme, qm: User, approver: User, client_for: Any
) -> None:
    approve(programme, approver)
    programmes.schedule_audit(programme.entries.get(subject="Machining"), actor=qm, month=3)
    url = f"/audits/programmes/{programme.pk}/calendar/"
    client = client_for(qm)
    csv = client.get(url, {"export": "csv"})
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Subject,Audited,Type,Risk,Department,Lead auditor,Jan,Feb,Mar" in text
    assert "Machining" in text and "planned; AUD-" in text
    xlsx = client.get(url, {"export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[0] == "Machining" for row in values)
    assert client.get(url, {"export": "pdf"}).status_code == 422


def test_revise_and_schedule_from_the_page(
    programme: AuditProgramme, qm: User, approver: User, client_for: Any
) -> None:
    approve(programme, approver)
    purchasing = programme.entries.get(subject="Purchasing")
    client = client_for(qm)
    scheduled = client.post(
        f"/audits/programmes/{programme.pk}/entries/{purchasing.pk}/schedule/", {"month": "6"}
    )
    audit_ = Audit.objects.get(programme_entry=purchasing)
    assert scheduled.status_code == 302 and scheduled["Location"] == f"/audits/{audit_.pk}/"
    revised = client.post(f"/audits/programmes/{programme.pk}/revise/")
    second = AuditProgramme.objects.get(revision=2)
    assert revised["Location"] == f"/audit-programmes/{second.pk}/"


# --- Who may ------------------------------------------------------------------------------------


def test_an_outsider_may_not_plan_lines(
    programme: AuditProgramme, outsider: User, api_for: Any, client_for: Any
) -> None:
    with pytest.raises(PermissionDenied):
        programmes.add_entry(
            programme, actor=outsider, subject="X", audit_type="process", risk="low"
        )
    answer = api_for(outsider).post(
        f"/audit-programmes/{programme.pk}/entries",
        {"subject": "X", "audit_type": "process", "risk": "low"},
    )
    assert answer.status_code in (403, 404)
    client_for(outsider).post(
        f"/audits/programmes/{programme.pk}/entries/",
        {"subject": "X", "audit_type": "process", "risk": "low"},
    )
    assert programme.entries.count() == 2


def test_a_quality_manager_of_another_site_may_not_plan_here(
    programme: AuditProgramme, leeds_qm: User, qm: User, approver: User, api_for: Any
) -> None:
    with pytest.raises(PermissionDenied):
        programmes.add_entry(
            programme, actor=leeds_qm, subject="X", audit_type="process", risk="low"
        )
    entry = programme.entries.first()
    assert entry is not None
    with pytest.raises(PermissionDenied):
        programmes.remove_entry(entry, actor=leeds_qm)
    api = api_for(leeds_qm)
    assert api.get(f"/audit-programmes/{programme.pk}/calendar").status_code == 404
    assert (
        api.post(
            f"/audit-programmes/{programme.pk}/entries",
            {"subject": "X", "audit_type": "process", "risk": "low"},
        ).status_code
        == 404
    )
    assert programme.entries.count() == 2
    # Nor approve, revise or schedule it.
    token = signatures.authenticate(leeds_qm, PASSWORD, subject=programme)
    with pytest.raises(PermissionDenied):
        workflow.fire(programme, "approve", actor=leeds_qm, signature=token)
    approve(programme, approver)
    with pytest.raises(PermissionDenied):
        programmes.revise(programme, actor=leeds_qm)
    with pytest.raises(PermissionDenied):
        programmes.schedule_audit(entry, actor=leeds_qm, month=3)
    assert not Audit.objects.exists()
    # The lines' quality manager plans; a Leeds programme for the same year is Leeds's own.
    assert (
        programmes.create_programme(actor=leeds_qm, title="Leeds 2026", year=YEAR).site.code
        == "LDS"
    )
