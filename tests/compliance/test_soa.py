"""The ISO 27001 Statement of Applicability: prepared from the register, refreshed while a
draft, approved by a signature that covers the frozen snapshot (not by its preparer, not
without a justification for every control), superseding the previous revision; exports;
the record API; who may do what at which site."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from qualitas.changes import services as changes
from qualitas.compliance import services, soa as soas
from qualitas.compliance.models import Framework, Requirement, Scope
from qualitas.compliance.soa_models import StatementOfApplicability
from qualitas.compliance.soa_workflows import every_control_justified
from qualitas.core import links, permissions, records, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import RecordLink, User
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db

# ISO/IEC 27001:2022 Annex A: 37 organizational, 8 people, 14 physical, 34 technological.
THEME_COUNTS = {"Organizational": 37, "People": 8, "Physical": 14, "Technological": 34}


@pytest.fixture
def iso27001() -> Framework:
    return Framework.objects.get(key="iso-27001-2022")


@pytest.fixture
def scope(iso27001, quality_manager, site) -> Scope:
    return services.create_scope(actor=quality_manager, framework=iso27001, site=site)


@pytest.fixture
def approver(site) -> User:
    """A second quality manager: the one who approves what the first prepared."""
    return with_role(UserFactory(username="qm2"), permissions.QUALITY_MANAGER)


def _controls(framework: Framework) -> list[Requirement]:
    return [
        r
        for r in Requirement.objects.filter(framework=framework, retired=False).order_by("order")
        if soas.is_control(r)
    ]


def justify_all(scope: Scope, actor: User, *, leave_out: tuple[str, ...] = ()) -> None:
    """Say for every control why it applies; A.7.1 is excluded (an office in a shared
    building, its perimeter is the landlord's)."""
    for control in _controls(scope.framework):
        if control.ref_id in leave_out:
            continue
        if control.ref_id == "A.7.1":
            services.set_applicability(
                scope,
                control,
                actor=actor,
                applicable=False,
                justification="Shared building: the landlord runs the perimeter.",
            )
        else:
            services.set_applicability(
                scope,
                control,
                actor=actor,
                applicable=True,
                justification=f"Risk treatment plan line for {control.ref_id}.",
                implementation="implemented",
                owner=actor,
            )


def _approve(soa: Any, by: User, password: str = PASSWORD) -> Any:
    token = signatures.authenticate(by, password, subject=soa)
    return workflow.fire(soa, "approve", actor=by, signature=token)


def test_prepare_refresh_and_approve_with_a_signature(scope, quality_manager, approver):
    soa = soas.prepare_soa(scope, actor=quality_manager)
    assert soa.number.startswith("SOA-") and soa.revision == 1 and soa.state == "draft"
    assert soa.site == scope.site and soa.supersedes is None
    refs = [row["ref_id"] for row in soa.snapshot]
    assert len(refs) == 93 and refs[0] == "A.5.1" and refs[-1] == "A.8.34"
    themes = {t: sum(1 for row in soa.snapshot if row["theme"] == t) for t in THEME_COUNTS}
    assert themes == THEME_COUNTS
    # Nothing justified yet: approval is refused and names the controls.
    with pytest.raises(InvalidInput) as refused:
        _approve(soa, approver)
    assert "6.1.3" in refused.value.detail and "A.5.1" in refused.value.detail

    justify_all(scope, quality_manager, leave_out=("A.8.34",))
    # The draft still holds what was taken: refreshed, it sees the register's answers.
    soa = soas.refresh(soa, actor=quality_manager, expected_version=soa.version)
    with pytest.raises(InvalidInput) as refused:
        _approve(soa, approver)
    assert "A.8.34" in refused.value.detail and "A.5.1" not in refused.value.detail
    justify_all(scope, quality_manager)
    soa = soas.refresh(soa, actor=quality_manager)
    excluded = next(row for row in soa.snapshot if row["ref_id"] == "A.7.1")
    assert excluded["applicable"] is False and "landlord" in excluded["justification"]

    # The preparer never approves; a wrong password signs nothing.
    with pytest.raises(PermissionDenied, match="separation of duties"):
        _approve(soa, quality_manager)
    with pytest.raises(signatures.SignatureRefused):
        _approve(soa, approver, password="not-the-password")
    soa.refresh_from_db()
    assert soa.state == "draft" and not soa.signatures.exists()

    soa = _approve(soa, approver)
    assert soa.state == "approved" and soa.approved_at is not None
    signature = soas.approval(soa)
    assert signature is not None and signature.signer == approver
    assert signatures.is_valid(signature)


def test_the_snapshot_is_frozen_and_signed(scope, quality_manager, approver):
    justify_all(scope, quality_manager)
    soa = _approve(soas.prepare_soa(scope, actor=quality_manager), approver)
    signature = soas.approval(soa)
    taken = list(soa.snapshot)

    # The register moves on: the approved statement does not.
    control = Requirement.objects.get(framework=scope.framework, ref_id="A.5.1")
    services.set_applicability(
        scope, control, actor=quality_manager, applicable=False, justification="Changed later."
    )
    with pytest.raises(records.RecordLocked):
        soas.refresh(soa, actor=quality_manager)
    soa.refresh_from_db()
    assert soa.snapshot == taken
    assert signatures.is_valid(signature)

    # The signature covers the snapshot: a change behind the services' back breaks it.
    tampered = StatementOfApplicability.objects.get(pk=soa.pk)
    tampered.snapshot[0]["justification"] = "Edited in the database"
    assert not signatures.is_valid(signature, tampered)


def test_approval_supersedes_the_previous_revision(scope, quality_manager, approver):
    justify_all(scope, quality_manager)
    first = _approve(soas.prepare_soa(scope, actor=quality_manager), approver)
    second = soas.prepare_soa(scope, actor=quality_manager)
    assert second.revision == 2 and second.supersedes == first
    with pytest.raises(Conflict, match="still a draft"):
        soas.prepare_soa(scope, actor=quality_manager)
    second = _approve(second, approver)
    first.refresh_from_db()
    assert (first.state, second.state) == ("superseded", "approved")
    assert signatures.is_valid(soas.approval(first))  # superseding changes no signed content

    # A withdrawn draft gives its revision number back.
    third = soas.prepare_soa(scope, actor=quality_manager)
    workflow.fire(third, "withdraw", actor=quality_manager, comment="Started too early")
    again = soas.prepare_soa(scope, actor=quality_manager)
    assert again.revision == 3 and again.supersedes == second


def test_unjustified_exclusion_is_named():
    """An exclusion brought in without its reason (an import, an older register) is refused
    too, by the same guard."""

    class Draft:
        snapshot = [
            {"ref_id": "A.5.1", "applicable": True, "justification": "Policy set"},
            {"ref_id": "A.7.4", "applicable": False, "justification": " "},
        ]

    reason = every_control_justified(Draft())
    assert reason is not None
    assert "excluded without a justification: A.7.4" in reason and "A.5.1" not in reason
    Draft.snapshot[1]["justification"] = "No premises of our own"
    assert every_control_justified(Draft()) is None


def test_only_for_iso_27001_and_under_a_named_change(scope, quality_manager, site, iso27001):
    iso9001 = Framework.objects.get(key="iso-9001-2015")
    other = services.create_scope(actor=quality_manager, framework=iso9001, site=site)
    with pytest.raises(InvalidInput) as refused:
        soas.prepare_soa(other, actor=quality_manager)
    assert refused.value.errors[0].field == "scope"
    with pytest.raises(InvalidInput) as refused:
        soas.prepare_soa(scope, actor=quality_manager, change_request_number="CR-1999-0001")
    assert refused.value.errors[0].field == "change_request_number"
    assert not StatementOfApplicability.objects.exists()

    cr = changes.raise_change_request(
        actor=quality_manager,
        title="Annex A review after the cloud move",
        change_type="it_release",
        reason_for_change="Hosting moved to a cloud provider",
        site=site,
    )
    soa = soas.prepare_soa(scope, actor=quality_manager, change_request_number=cr.number)
    link = RecordLink.objects.get(source_id=soa.pk, kind="implements")
    assert link.target_id == cr.pk
    assert [v.other.pk for v in links.links_of(cr, viewer=quality_manager)] == [soa.pk]


def test_exports(scope, quality_manager, approver, client_for):
    justify_all(scope, quality_manager)
    soa = _approve(soas.prepare_soa(scope, actor=quality_manager), approver)
    client = client_for(quality_manager)
    url = reverse("compliance:soa", args=[soa.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "A.8.34" in page.content.decode() and "landlord" in page.content.decode()

    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    head = {row[0]: row[1] for row in rows if row and len(row) > 1 and row[0]}
    assert head["Statement of Applicability"] == soa.number
    assert head["Revision"] in ("1", 1)
    assert head["Approved by"] == approver.printed_name
    at = next(i for i, row in enumerate(rows) if row and row[0] == "Control")
    assert rows[at] == soas.COLUMNS
    controls = rows[at + 1 :]
    assert len(controls) == 93
    a71 = next(row for row in controls if row[0] == "A.7.1")
    assert a71[2:5] == ["Physical", "No", "Shared building: the landlord runs the perimeter."]
    a51 = controls[0]
    assert a51[:4] == ["A.5.1", "Policies for information security", "Organizational", "Yes"]
    assert a51[5] == "Implemented" and a51[6] == quality_manager.printed_name

    record_page = client.get(f"/statements-of-applicability/{soa.pk}/")
    assert record_page.status_code == 200 and "Read the statement" in record_page.content.decode()

    pdf = client.get(url, {"export": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(url, {"export": "docx"}).status_code == 422


def test_the_record_api_lists_and_reads(scope, quality_manager, approver, auditor, viewer, api_for):
    soa = soas.prepare_soa(scope, actor=quality_manager)
    listed = api_for(auditor).get("/statements-of-applicability")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [soa.pk]
    one = api_for(auditor).get(f"/statements-of-applicability/{soa.pk}")
    assert one.status_code == 200 and one.json()["number"] == soa.number
    # An auditor reads it but does not approve it.
    fired = api_for(auditor).post(
        f"/statements-of-applicability/{soa.pk}/transitions/approve", {"password": PASSWORD}
    )
    assert fired.status_code == 403
    # A viewer does not see where the organisation is weak.
    hidden = api_for(viewer).get("/statements-of-applicability")
    assert hidden.status_code == 403 or hidden.json()["results"] == []
    assert api_for(viewer).get(f"/statements-of-applicability/{soa.pk}").status_code == 404
    # Only prepared from a scope: the generic create raises nothing.
    created = api_for(quality_manager).post("/statements-of-applicability", {"title": "x"})
    assert 400 <= created.status_code < 500
    assert StatementOfApplicability.objects.count() == 1


def test_who_may_prepare_see_and_approve_per_site(scope, quality_manager, viewer, site, client_for):
    leeds = SiteFactory(code="LDS", name="Leeds")
    elsewhere = with_role(UserFactory(username="qm-leeds"), permissions.QUALITY_MANAGER, site=leeds)
    with pytest.raises(PermissionDenied):
        soas.prepare_soa(scope, actor=elsewhere)
    assert (
        client_for(elsewhere).post(reverse("compliance:soa_prepare", args=[scope.pk])).status_code
        == 302
    )
    assert not StatementOfApplicability.objects.exists()

    soa = soas.prepare_soa(scope, actor=quality_manager)
    page = reverse("compliance:soa", args=[soa.pk])
    assert client_for(elsewhere).get(page).status_code == 404
    assert client_for(viewer).get(page).status_code == 404
    with pytest.raises(PermissionDenied):
        soas.refresh(soa, actor=elsewhere)
    token = signatures.authenticate(elsewhere, PASSWORD, subject=soa)
    with pytest.raises(PermissionDenied):
        workflow.fire(soa, "approve", actor=elsewhere, signature=token)

    # The coverage page offers the next revision to a manager once the draft is settled.
    coverage = client_for(quality_manager).get(reverse("compliance:coverage", args=[scope.pk]))
    body = coverage.content.decode()
    assert soa.number in body and "Prepare the next revision" not in body
    workflow.fire(soa, "withdraw", actor=quality_manager, comment="Not yet")
    body = client_for(quality_manager).get(reverse("compliance:coverage", args=[scope.pk]))
    assert "Prepare the next revision" in body.content.decode()
    prepared = client_for(quality_manager).post(reverse("compliance:soa_prepare", args=[scope.pk]))
    fresh = StatementOfApplicability.objects.get(state="draft")
    assert prepared["Location"] == reverse("compliance:soa", args=[fresh.pk])


def test_prepare_refresh_and_read_controls_through_the_api(
    scope, quality_manager, auditor, api_for
):
    api = api_for(quality_manager)
    prepared = api.post("/statements-of-applicability/prepare", {"scope": scope.pk})
    assert prepared.status_code == 201, prepared.json()
    body = prepared.json()
    assert (body["revision"], body["controls"], body["state"]) == (1, 93, "draft")
    assert "A.5.1" in body["unjustified"]
    again = api.post("/statements-of-applicability/prepare", {"scope": scope.pk})
    assert again.status_code == 409

    justify_all(scope, quality_manager)
    soa = StatementOfApplicability.objects.get()
    refreshed = api.post(f"/statements-of-applicability/{soa.pk}/refresh", {"version": soa.version})
    assert refreshed.status_code == 200 and refreshed.json()["unjustified"] == []
    stale = api.post(f"/statements-of-applicability/{soa.pk}/refresh", {"version": soa.version})
    assert stale.status_code == 409
    # An auditor reads the controls, but does not refresh them.
    controls = api_for(auditor).get(f"/statements-of-applicability/{soa.pk}/controls")
    assert controls.status_code == 200
    a71 = next(c for c in controls.json() if c["ref_id"] == "A.7.1")
    assert (a71["theme"], a71["applicable"]) == ("Physical", False)
    refused = api_for(auditor).post(f"/statements-of-applicability/{soa.pk}/refresh", {})
    assert refused.status_code == 403
    unknown = api.post("/statements-of-applicability/prepare", {"scope": 999_999})
    assert unknown.status_code == 404


def test_top_management_approves_and_a_contributor_may_not(scope, quality_manager):
    """Approvers (the managing director) may approve an SoA as quality managers may; a
    contributor may not."""
    justify_all(scope, quality_manager)
    soa = soas.prepare_soa(scope, actor=quality_manager)
    contributor = with_role(UserFactory(username="dev"), permissions.CONTRIBUTOR)
    with pytest.raises(PermissionDenied):
        _approve(soa, contributor)
    director = with_role(UserFactory(username="md"), permissions.APPROVER)
    assert _approve(soa, director).state == "approved"
