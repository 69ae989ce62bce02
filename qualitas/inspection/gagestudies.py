"""Gage R&R studies of the gauges (measurement system analysis, AIAG MSA 4th ed. ch. III-B;
IATF 16949 7.1.5.1.1): run by the SPC studies' crossed Gage R&R and kept there as an SPC
study (its ANOVA, charts and PDF), with the figures a gauge's register shows kept here:
%GRR of the study variation, % of the tolerance, the number of distinct categories and the
verdict."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from qualitas.core import audit, permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.inspection import workflows as w
from qualitas.inspection.models import Characteristic, CharacteristicKind, GageStudy, Gauge
from qualitas.studies import services as study_services

ANALYSIS_KEY = "gage-rr"


def studies_listed() -> QuerySet[GageStudy]:
    return GageStudy.objects.select_related("gauge", "characteristic__revision__part")


def subject_of(gauge: Gauge, characteristic: Characteristic | None) -> str:
    """What the SPC study says it is about: the gauge, and the characteristic it measures."""
    if characteristic is None:
        return f"{gauge.identifier} {gauge.name}"
    part = characteristic.revision.part
    return (
        f"{gauge.identifier} {gauge.name} on {part.number} rev {characteristic.revision.revision}"
        f" {characteristic.number} {characteristic.name}"
    )


@audit.service
def record_gage_study(
    *,
    actor: User,
    gauge: Gauge,
    characteristic: Characteristic | None = None,
    parts: Sequence[Any],
    operators: Sequence[Any],
    values: Sequence[Any],
    tolerance: float | None = None,
    title: str,
    method: str = "anova",
    studied_on: datetime.date | None = None,
) -> GageStudy:
    """Analyse a crossed Gage R&R of `gauge` (p parts by o operators by r trials, one entry per
    measurement), keep it as an SPC study and record its figures against the gauge.

    Without a tolerance, a characteristic with both limits gives its USL - LSL, so %
    tolerance is judged against the specification the gauge checks."""
    permissions.require(actor, w.CALIBRATE, site=gauge.site)
    if characteristic is not None and characteristic.kind != CharacteristicKind.VARIABLE:
        raise InvalidInput.for_field(
            "characteristic",
            f"{characteristic.number} {characteristic.name} is not measured: a Gage R&R "
            "needs a variable characteristic.",
        )
    if not (title or "").strip():
        raise InvalidInput.for_field("title", "Give the study a title.")
    if (
        tolerance is None
        and characteristic is not None
        and characteristic.lsl is not None
        and characteristic.usl is not None
    ):
        tolerance = characteristic.usl - characteristic.lsl
    study = study_services.record_named_analysis(
        actor=actor,
        analysis=ANALYSIS_KEY,
        inputs={
            "parts": list(parts),
            "operators": list(operators),
            "values": list(values),
            "tolerance": tolerance,
            "method": method,
        },
        title=title.strip(),
        characteristic=subject_of(gauge, characteristic),
        unit=(characteristic.unit if characteristic is not None else "") or gauge.unit,
        site=gauge.site,
        source_name=f"gauge {gauge.identifier}",
    )
    results = study.results
    grr = results["components"]["total_gage_rr"]
    return GageStudy.objects.create(
        gauge=gauge,
        characteristic=characteristic,
        study_number=study.number,
        percent_grr=grr["pct_study_var"],
        percent_tolerance=grr["pct_tolerance"],
        ndc=results["ndc"],
        verdict=results["verdict"]["level"],
        studied_on=studied_on or timezone.localdate(),
    )


def spc_study_pk(gage_study: GageStudy, viewer: User) -> int | None:
    """The SPC study the figures came from, when the viewer may see it."""
    from qualitas.core import records

    return (
        records.visible_to(viewer, records.RECORD_TYPES["spcstudy"])
        .filter(number=gage_study.study_number)
        .values_list("pk", flat=True)
        .first()
    )
