"""Scopes, applicability, evidence and the coverage computed from them: what counts as
evidence today (an obsolete document does not), headings rolled up, exclusions justified,
who may do what, the pages, exports and their query counts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qualitas.compliance import coverage as cov, services
from qualitas.compliance.check_models import ComplianceCheck
from qualitas.compliance.models import Evidence, Framework, Requirement, Scope
from qualitas.core import audit, permissions
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent
from qualitas.documents import services as documents
from qualitas.nonconformance import services as nonconformances
from tests.factories import SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db

OWN = """\
key: acme-csr
name: ACME CSR
title: ACME customer-specific requirements
version: "1"
kind: customer
requirements:
  - ref_id: "1"
    title: Quality system
    auditable: false
    children:
      - ref_id: "1.1"
        title: Certificate on file
      - ref_id: "1.2"
        title: Change notification
  - ref_id: "2"
    title: Design responsibility
    auditable: false
    children:
      - ref_id: "2.1"
        title: Design FMEA
  - ref_id: "3"
    title: Traceability by lot
"""


@pytest.fixture
def csr(quality_manager) -> Framework:
    return services.import_framework(OWN.encode(), actor=quality_manager).framework


@pytest.fixture
def scope(csr, quality_manager, site) -> Scope:
    return services.create_scope(actor=quality_manager, framework=csr, site=site)


def _req(framework: Framework, ref_id: str) -> Requirement:
    return Requirement.objects.get(framework=framework, ref_id=ref_id)


def _states(result: cov.Coverage) -> dict[str, str]:
    return {row.requirement.ref_id: row.state for row in result.rows}


def test_coverage_from_evidence_and_applicability(
    csr, scope, quality_manager, new_document, release, controller
):
    assert set(_states(cov.coverage(scope)).values()) == {cov.NOT_COVERED}
    document = new_document(title="Customer certificates")
    release(document.revisions.get())
    document.refresh_from_db()
    services.add_evidence(
        _req(csr, "1.1"), actor=quality_manager, kind="document", reference=document.number
    )
    services.add_evidence(
        _req(csr, "1.2"),
        actor=quality_manager,
        kind="justification",
        scope=scope,
        note="The change procedure sends ACME the notice.",
    )
    services.set_applicability(
        scope,
        _req(csr, "2"),
        actor=quality_manager,
        applicable=False,
        justification="ACME owns the design (build to print).",
    )
    result = cov.coverage(scope)
    states = _states(result)
    assert states == {
        "1": cov.COVERED,
        "1.1": cov.COVERED,
        "1.2": cov.COVERED,
        "2": cov.NOT_APPLICABLE,
        "2.1": cov.NOT_APPLICABLE,  # under an excluded heading
        "3": cov.NOT_COVERED,
    }
    assert result.totals == {"covered": 2, "partly": 0, "not_covered": 1, "not_applicable": 1}
    assert round(result.percent or 0) == 67
    assert [row.requirement.ref_id for row in result.gaps()] == ["3"]

    # The document is withdrawn: it is no longer evidence, and the clause is only partly met.
    documents.withdraw_document(document, actor=controller, reason="Merged into the QM")
    states = _states(cov.coverage(scope))
    assert states["1.1"] == cov.PARTLY and states["1"] == cov.PARTLY
    row = next(r for r in cov.coverage(scope).rows if r.requirement.ref_id == "1.1")
    assert "not in force" in row.reason


def test_a_record_and_a_check_as_evidence(csr, scope, quality_manager, site):
    nc = nonconformances.raise_nonconformance(
        actor=quality_manager,
        title="Lot label missing",
        site=site,
        source="final_inspection",
    )
    services.add_evidence(
        _req(csr, "3"), actor=quality_manager, kind="record", scope=scope, reference=nc.number
    )
    assert _states(cov.coverage(scope))["3"] == cov.COVERED
    # A check declared for 1.1 is evidence while it passes on time.
    with audit.context(actor=quality_manager):
        check = ComplianceCheck.objects.create(
            key="acme-certificates",
            name="ACME certificates on file",
            kind="external",
            last_state="pass",
            last_run_at=timezone.now(),
        )
        check.requirements.add(_req(csr, "1.1"))
    shown = cov.coverage(scope)
    assert _states(shown)["1.1"] == cov.COVERED
    with audit.context(actor=quality_manager):
        check.last_run_at = timezone.now() - timedelta(days=3)
        check.save()
    stale = next(r for r in cov.coverage(scope).rows if r.requirement.ref_id == "1.1")
    assert stale.state == cov.PARTLY and "not run on time" in stale.reason


def test_evidence_of_one_site_does_not_cover_another(csr, scope, quality_manager):
    other = services.create_scope(
        actor=quality_manager, framework=csr, site=SiteFactory(code="LDS", name="Leeds")
    )
    services.add_evidence(
        _req(csr, "3"), actor=quality_manager, kind="justification", scope=scope, note="Lot labels"
    )
    assert _states(cov.coverage(scope))["3"] == cov.COVERED
    assert _states(cov.coverage(other))["3"] == cov.NOT_COVERED


def test_refusals_name_the_field_and_save_nothing(csr, scope, quality_manager):
    requirement = _req(csr, "3")
    with pytest.raises(InvalidInput) as caught:
        services.add_evidence(
            requirement, actor=quality_manager, kind="document", reference="SOP-9999"
        )
    assert caught.value.errors[0].field == "reference"
    with pytest.raises(InvalidInput) as caught:
        services.add_evidence(
            requirement, actor=quality_manager, kind="record", reference="NC-1999-0001"
        )
    assert caught.value.errors[0].field == "reference"
    with pytest.raises(InvalidInput) as caught:
        services.add_evidence(requirement, actor=quality_manager, kind="justification")
    assert caught.value.errors[0].field == "note"
    with pytest.raises(InvalidInput) as caught:
        services.add_evidence(requirement, actor=quality_manager, kind="photo", reference="x")
    assert caught.value.errors[0].field == "kind"
    with pytest.raises(InvalidInput) as caught:
        services.set_applicability(scope, requirement, actor=quality_manager, applicable=False)
    assert caught.value.errors[0].field == "justification"
    iso = Requirement.objects.get(framework__key="iso-9001-2015", ref_id="8.3.1")
    with pytest.raises(InvalidInput) as caught:
        services.set_applicability(scope, iso, actor=quality_manager, applicable=True)
    assert caught.value.errors[0].field == "ref_id"
    with pytest.raises(Conflict):
        services.create_scope(actor=quality_manager, framework=csr, site=scope.site)
    assert not Evidence.objects.exists()


def test_who_may_manage_and_see(csr, scope, quality_manager, viewer, site, client_for):
    other_site = SiteFactory(code="LDS", name="Leeds")
    elsewhere = with_role(
        UserFactory(username="qm-leeds"), permissions.QUALITY_MANAGER, site=other_site
    )
    with pytest.raises(PermissionDenied):
        services.add_evidence(
            _req(csr, "3"), actor=elsewhere, kind="justification", scope=scope, note="x"
        )
    with pytest.raises(PermissionDenied):
        services.create_scope(actor=elsewhere, framework=csr)  # the whole organisation
    with pytest.raises(PermissionDenied):
        services.set_applicability(scope, _req(csr, "3"), actor=viewer)
    assert (
        client_for(viewer).get(reverse("compliance:coverage", args=[scope.pk])).status_code == 403
    )
    assert (
        client_for(elsewhere).get(reverse("compliance:coverage", args=[scope.pk])).status_code
        == 403
    )
    assert (
        client_for(quality_manager).get(reverse("compliance:coverage", args=[scope.pk])).status_code
        == 200
    )


def test_evidence_on_the_audit_trail_and_withdrawn_not_deleted(csr, scope, quality_manager):
    evidence = services.add_evidence(
        _req(csr, "3"), actor=quality_manager, kind="justification", scope=scope, note="Labels"
    )
    assert AuditEvent.objects.filter(
        object_type__model="evidence", object_id=str(evidence.pk), action="create"
    ).exists()
    with pytest.raises(InvalidInput):
        services.remove_evidence(evidence, actor=quality_manager, reason=" ")
    services.remove_evidence(evidence, actor=quality_manager, reason="Given in error")
    evidence.refresh_from_db()
    assert evidence.removed_at is not None and evidence.removed_by == quality_manager
    assert _states(cov.coverage(scope))["3"] == cov.NOT_COVERED
    with pytest.raises(Conflict):
        services.remove_evidence(evidence, actor=quality_manager, reason="Again")


# --- Pages and exports -----------------------------------------------------------------------


def test_coverage_page_exports_and_query_count(csr, scope, quality_manager, client_for, site):
    client = client_for(quality_manager)
    url = reverse("compliance:coverage", args=[scope.pk])
    client.get(url)  # the first request of a session reads what later ones have cached
    with CaptureQueriesContext(connection) as small:
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="coverage-map"' in html and "Traceability by lot" in html
    iso = services.create_scope(
        actor=quality_manager, framework=Framework.objects.get(key="iso-9001-2015"), site=site
    )
    for ref_id in ("4.1", "7.5.1", "10.2.1"):
        services.add_evidence(
            Requirement.objects.get(framework=iso.framework, ref_id=ref_id),
            actor=quality_manager,
            kind="justification",
            scope=iso,
            note="Procedure",
        )
    with CaptureQueriesContext(connection) as large:
        big = client.get(reverse("compliance:coverage", args=[iso.pk]))
    assert big.status_code == 200 and "10.3" in big.content.decode()
    # 6 requirements or 91, no evidence or some: the same number of queries.
    assert len(large.captured_queries) == len(small.captured_queries)
    csv = client.get(url, {"export": "csv"})
    assert csv.status_code == 200 and "Traceability by lot,no" not in csv.content.decode()
    assert "Not covered" in csv.content.decode()
    xlsx = client.get(url, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "Reference" and sheet.max_row == 7
    document = client.get(url, {"export": "pdf"})
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert client.get(url, {"export": "doc"}).status_code == 422


def test_requirement_page_adds_and_withdraws_evidence(
    csr, scope, quality_manager, viewer, client_for
):
    requirement = _req(csr, "3")
    manager = client_for(quality_manager)
    page = manager.get(reverse("compliance:requirement", args=[requirement.pk]))
    assert page.status_code == 200 and b'data-testid="evidence-form"' in page.content
    added = manager.post(
        reverse("compliance:evidence_add", args=[requirement.pk]),
        {"kind": "justification", "scope": scope.pk, "note": "Lot labels checked at dispatch"},
    )
    assert added.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.scope == scope and evidence.added_by == quality_manager
    said = manager.post(
        reverse("compliance:applicability", args=[requirement.pk, scope.pk]),
        {"applicable": "yes", "implementation": "implemented", "owner": quality_manager.pk},
    )
    assert said.status_code == 302
    assert scope.applicability.get().implementation == "implemented"
    shown = manager.get(reverse("compliance:requirement", args=[requirement.pk])).content.decode()
    assert "Lot labels checked at dispatch" in shown and "Implemented" in shown
    # A viewer reads the requirement but sees no scope and may change nothing.
    reader = client_for(viewer)
    read = reader.get(reverse("compliance:requirement", args=[requirement.pk]))
    assert read.status_code == 200 and b"Lot labels" not in read.content
    reader.post(
        reverse("compliance:evidence_remove", args=[requirement.pk, evidence.pk]),
        {"reason": "No"},
    )
    evidence.refresh_from_db()
    assert evidence.removed_at is None
    manager.post(
        reverse("compliance:evidence_remove", args=[requirement.pk, evidence.pk]),
        {"reason": "Replaced by the label procedure"},
    )
    evidence.refresh_from_db()
    assert evidence.removal_reason == "Replaced by the label procedure"


# --- API ----------------------------------------------------------------------------------------


def test_api_scopes_evidence_applicability_and_coverage(
    csr, quality_manager, viewer, api_for, site
):
    manager = api_for(quality_manager)
    made = manager.post(
        "/frameworks/acme-csr/scopes",
        {"site": site.pk, "certified": True, "certificate_number": "ACME-42"},
    )
    assert made.status_code == 201, made.content
    assert made.json()["framework"] == "acme-csr" and made.json()["site"] == site.pk
    again = manager.post("/frameworks/acme-csr/scopes", {"site": site.pk})
    assert again.status_code == 409
    assert manager.post("/frameworks/acme-csr/scopes", {"site": 999999}).status_code == 422

    added = manager.post(
        "/frameworks/acme-csr/evidence",
        {"ref_id": "3", "kind": "justification", "site": site.pk, "note": "Lot labels"},
    )
    assert added.status_code == 201 and added.json()["ref_id"] == "3"
    unknown = manager.post(
        "/frameworks/acme-csr/evidence", {"ref_id": "9.9", "kind": "justification", "note": "x"}
    )
    assert unknown.status_code == 422 and "ref_id" in unknown.content.decode()
    bad_doc = manager.post(
        "/frameworks/acme-csr/evidence", {"ref_id": "1.1", "kind": "document", "reference": "X-1"}
    )
    assert bad_doc.status_code == 422 and "reference" in bad_doc.content.decode()
    said = manager.put(
        "/frameworks/acme-csr/applicability",
        {"ref_id": "2", "site": site.pk, "applicable": False, "justification": "Build to print"},
    )
    assert said.status_code == 200 and said.json()["applicable"] is False
    refused = manager.put(
        "/frameworks/acme-csr/applicability",
        {"ref_id": "1.1", "site": site.pk, "applicable": False},
    )
    assert refused.status_code == 422 and "justification" in refused.content.decode()

    coverage = manager.get("/frameworks/acme-csr/coverage", site=site.pk).json()
    rows = {r["ref_id"]: r for r in coverage["requirements"]}
    assert rows["3"]["state"] == "covered" and rows["2.1"]["state"] == "not_applicable"
    assert rows["3"]["evidence"][0]["kind"] == "justification"
    assert coverage["totals"]["not_covered"] == 2
    assert manager.get("/frameworks/acme-csr/coverage").status_code == 422  # no such scope

    reader = api_for(viewer)
    assert reader.get("/frameworks/acme-csr/coverage", site=site.pk).status_code == 403
    assert (
        reader.post(
            "/frameworks/acme-csr/evidence",
            {"ref_id": "3", "kind": "justification", "site": site.pk, "note": "x"},
        ).status_code
        == 403
    )
    listed = manager.get("/frameworks/acme-csr/evidence", ref_id="3").json()
    assert [e["note"] for e in listed["results"]] == ["Lot labels"]
    evidence_id = listed["results"][0]["id"]
    withdrawn = manager.post(
        f"/frameworks/acme-csr/evidence/{evidence_id}/withdraw", {"reason": "Replaced"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["removal_reason"] == "Replaced"
    assert manager.get("/frameworks/acme-csr/evidence", ref_id="3").json()["count"] == 0


def test_evidence_for_an_equivalent_requirement_counts_at_the_same_site(
    quality_manager, site, new_document, release, client_for
):
    """Map once, show many: ISO 13485 8.2.4 (internal audit) evidence at Sheffield covers ISO
    9001 9.2.1 there (shipped as equivalent), shown as coming through it; not elsewhere, and
    not through a merely related correspondence."""
    from qualitas.compliance import mappings

    iso9001 = Framework.objects.get(key="iso-9001-2015")
    iso13485 = Framework.objects.get(key="iso-13485-2016")
    quality = services.create_scope(actor=quality_manager, framework=iso9001, site=site)
    devices = services.create_scope(actor=quality_manager, framework=iso13485, site=site)
    other_site = SiteFactory(code="LDS", name="Leeds")
    elsewhere = services.create_scope(actor=quality_manager, framework=iso9001, site=other_site)
    document = new_document(title="Internal audit procedure")
    release(document.revisions.get())
    document.refresh_from_db()
    services.add_evidence(
        _req(iso13485, "8.2.4"),
        actor=quality_manager,
        kind="document",
        scope=devices,
        reference=document.number,
    )
    row = {r.requirement.ref_id: r for r in cov.coverage(quality).rows}["9.2.1"]
    assert row.state == cov.COVERED
    [shown] = row.evidence
    assert shown.reference == document.number and shown.evidence_id is None
    assert "via equivalent ISO 13485:2016 8.2.4" in shown.why
    assert _states(cov.coverage(elsewhere))["9.2.1"] == cov.NOT_COVERED
    # The requirement's page shows it too, without a button to withdraw it from here.
    page = client_for(quality_manager).get(
        reverse("compliance:requirement", args=[_req(iso9001, "9.2.1").pk])
    )
    assert "via equivalent ISO 13485:2016 8.2.4" in page.content.decode()

    # A related correspondence (shipped: 7.4.1 and 8.4.2) is worth a look, not evidence.
    services.add_evidence(
        _req(iso13485, "7.4.1"),
        actor=quality_manager,
        kind="justification",
        scope=devices,
        note="Approved supplier list kept by purchasing.",
    )
    assert (
        mappings.listed(framework="iso-13485-2016")
        .filter(source__ref_id="8.4.2", target__ref_id="7.4.1", relation="related")
        .exists()
    )
    assert _states(cov.coverage(quality))["8.4.2"] == cov.NOT_COVERED
