"""The certificate of conformance of an accepted final or outgoing lot: what the customer is
told was checked on the lot they receive, with the measured results and the inspector's
signature. Only a lot the verdict accepted is certified: a rejected lot, one still open, or an
incoming inspection (the supplier's lot, not ours to certify) is refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count, Max, Min
from django.http import HttpRequest, HttpResponse

from qualitas.core import pdf, recordapi, records
from qualitas.core.errors import Conflict
from qualitas.core.models import User
from qualitas.core.views import signed_in_user
from qualitas.inspection import workflows as w
from qualitas.inspection.models import (
    CharacteristicKind,
    InspectionLot,
    Measurement,
    Stage,
)

# A certificate goes with what leaves the plant: the final inspection or the pre-dispatch one.
CERTIFIED_STAGES = (Stage.FINAL, Stage.OUTGOING)
TEMPLATE = "inspection/certificate/certificate.html"


@dataclass(frozen=True)
class Result:
    """One characteristic of the lot as the certificate prints it."""

    number: str
    name: str
    kind: str
    specification: str
    sample_size: int
    inspected: int
    nonconforming: int
    acceptance_number: int
    rejection_number: int
    result: str
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    decimals: int = 3


@dataclass(frozen=True)
class Certificate:
    lot_number: str
    record_number: str
    site: str
    site_address: str
    customer: str
    part_number: str
    part_revision: str
    part_name: str
    quantity: int
    work_order: str
    stage: str
    plan_number: str
    plan_revision: str
    verdict: str
    verdict_reason: str
    results: list[Result]
    signatures: list[str]


def is_certifiable(lot: InspectionLot) -> bool:
    """Whether the lot's page offers its certificate: accepted at final or outgoing."""
    return lot.stage in CERTIFIED_STAGES and lot.state == w.LotState.ACCEPTED


def check_certifiable(lot: InspectionLot) -> None:
    """Refuse (409) a lot that may not be certified, saying why."""
    if lot.stage not in CERTIFIED_STAGES:
        raise Conflict(
            f"{lot.number} is an {lot.get_stage_display().lower()} inspection lot: a "
            "certificate of conformance is issued only for final or outgoing lots."
        )
    if lot.state != w.LotState.ACCEPTED:
        raise Conflict(
            f"{lot.number} is {lot.get_state_display().lower()}: a certificate of "
            "conformance is issued only for an accepted lot."
        )


def _specification(c: Any) -> str:
    if c.kind != CharacteristicKind.VARIABLE:
        return str(c.get_kind_display())
    unit = f" {c.unit}" if c.unit else ""
    if c.lsl is not None and c.usl is not None:
        return f"{c.lsl:g} to {c.usl:g}{unit}"
    if c.lsl is not None:
        return f"≥ {c.lsl:g}{unit}"
    if c.usl is not None:
        return f"≤ {c.usl:g}{unit}"
    return f"nominal {c.nominal:g}{unit}" if c.nominal is not None else "—"


def build(lot: InspectionLot) -> Certificate:
    """The certificate's content (refused unless `check_certifiable` passes)."""
    check_certifiable(lot)
    plan = lot.plan
    revision = lot.part_revision
    part = revision.part
    # Min, max and mean of every variable characteristic in one aggregate query.
    stats = {
        row["characteristic"]: row
        for row in Measurement.objects.filter(lot=lot, value__isnull=False)
        .values("characteristic")
        .annotate(n=Count("id"), low=Min("value"), high=Max("value"), mean=Avg("value"))
        .order_by()
    }
    results = []
    for check in lot.checks.select_related("characteristic").order_by("characteristic__number"):
        c = check.characteristic
        row = stats.get(c.pk) if c.kind == CharacteristicKind.VARIABLE else None
        results.append(
            Result(
                number=c.number,
                name=c.name,
                kind=c.get_kind_display(),
                specification=_specification(c),
                sample_size=check.sample_size,
                inspected=check.measured,
                nonconforming=check.nonconforming,
                acceptance_number=check.acceptance_number,
                rejection_number=check.rejection_number,
                result="Skipped (skip-lot)" if check.skipped else check.get_result_display(),
                minimum=row["low"] if row else None,
                maximum=row["high"] if row else None,
                mean=row["mean"] if row else None,
                decimals=c.decimals,
            )
        )
    # The inspector's signature: the one that says the sample was inspected to the plan.
    signatures = [
        row["manifestation"] + ("" if row["valid"] else " [INVALID: content changed since signing]")
        for row in recordapi.signature_rows(lot)
        if row["transition"] == "sign_inspection"
    ]
    site = lot.site
    return Certificate(
        lot_number=lot.lot_number,
        record_number=lot.number,
        site=site.name if site else "",
        site_address=site.address if site else "",
        customer=part.customer,
        part_number=part.number,
        part_revision=revision.revision,
        part_name=part.name,
        quantity=lot.quantity,
        work_order=lot.work_order,
        stage=lot.get_stage_display(),
        plan_number=plan.number,
        plan_revision=plan.plan_revision,
        verdict=lot.get_verdict_display(),
        verdict_reason=lot.verdict_reason,
        results=results,
        signatures=signatures,
    )


def certificate_pdf(lot: InspectionLot, *, viewer: User) -> bytes:
    """The certificate as PDF, stamped with who printed it (uncontrolled when printed)."""
    return pdf.pdf(TEMPLATE, {"c": build(lot)}, printed_by=viewer.printed_name)


def filename(lot: InspectionLot) -> str:
    return f"{lot.number}-CoC.pdf"


@login_required
def certificate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET /inspection/lots/<pk>/certificate.pdf (a 409 page naming why for a lot that may
    not be certified; 404 for a lot the viewer may not see)."""
    actor = signed_in_user(request)
    lot = records.get_visible(actor, records.RECORD_TYPES["inspectionlot"], pk)
    return pdf_response(lot, viewer=actor)


def pdf_response(lot: InspectionLot, *, viewer: User) -> HttpResponse:
    response = HttpResponse(certificate_pdf(lot, viewer=viewer), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(lot)}"'
    return response
