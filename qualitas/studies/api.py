"""SPC studies' own endpoints, under /api/v1/spc-studies beside the generic record ones:
POST …/analyses analyses measurements (and keeps them as a study); GET …/{id}/analysis.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from ninja import Field, Router, Schema, Status

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Department, Site, User
from qualitas.core.schemas import ErrorOut
from qualitas.studies import policy, services

router = Router(tags=["spc-studies"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


class AnalysisIn(Schema):
    chart_type: str = Field(..., description="imr, xbar-r, xbar-s, p, np, c or u")
    values: list[float | None] = Field(..., description="Measurements (or counts); null = missing")
    subgroups: list[str] | None = Field(
        None, description="The sample each value belongs to (X-bar charts)"
    )
    subgroup_size: int | None = Field(
        None, ge=1, description="Values per sample, or the one sample size of p/np/u"
    )
    sizes: list[float] | None = Field(None, description="Sample size of each point (p, np, u)")
    lsl: float | None = None
    usl: float | None = None
    target: float | None = None
    rules: str = Field("nelson", description="nelson or western_electric")
    save: bool = Field(default=True, description="Keep the data and results as an SPC study")
    title: str = ""
    characteristic: str = ""
    unit: str = ""
    site: int | None = None
    department: int | None = None


class AnalysisOut(Schema):
    study_id: int | None
    number: str | None
    results: dict[str, Any]


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _ref(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"No {model._meta.verbose_name} with id {pk}.")
    return found


@router.post(
    "/analyses",
    response={200: AnalysisOut, 201: AnalysisOut, **ERRORS},
    summary="Analyse measurements: control chart, run rules, capability",
)
def analyse(request: HttpRequest, payload: AnalysisIn) -> Any:
    actor = _actor(request)
    if payload.subgroups is not None and len(payload.subgroups) != len(payload.values):
        raise InvalidInput.for_field("subgroups", "Give one subgroup label per value.")
    measurements = services.Measurements(
        chart_type=payload.chart_type,
        values=[float("nan") if v is None else v for v in payload.values],
        subgroup_labels=payload.subgroups,
        subgroup_size=payload.subgroup_size,
        sizes=payload.sizes,
        lsl=payload.lsl,
        usl=payload.usl,
        target=payload.target,
        rules=payload.rules,
    )
    if not payload.save:
        policy.require_try_analysis(actor)
        return Status(
            200, {"study_id": None, "number": None, "results": services.analyse(measurements)}
        )
    missing = [name for name in ("title", "characteristic") if not getattr(payload, name).strip()]
    if missing:
        raise InvalidInput.for_field(missing[0], "Needed to save the study (or send save: false).")
    study = services.record_study(
        actor=actor,
        title=payload.title,
        characteristic=payload.characteristic,
        unit=payload.unit,
        site=_ref(Site, payload.site, "site"),
        department=_ref(Department, payload.department, "department"),
        source_name="API",
        measurements=measurements,
    )
    return Status(201, {"study_id": study.pk, "number": study.number, "results": study.results})


@router.get(
    "/{study_id}/analysis", response={200: AnalysisOut, **ERRORS}, summary="A saved study's results"
)
def get_analysis(request: HttpRequest, study_id: int) -> Any:
    study = records.get_visible(_actor(request), records.RECORD_TYPES["spcstudy"], study_id)
    return {"study_id": study.pk, "number": study.number, "results": study.results}


@router.get("/analyses/{study_id}", include_in_schema=False)
def old_analysis_path(request: HttpRequest, study_id: int) -> HttpResponse:
    """Until 0.5 a saved study's results were at /api/v1/spc/analyses/{id} (moved here by
    the module's `Moved` prefix): answer with their one place."""
    response = HttpResponsePermanentRedirect(f"/api/v1/spc-studies/{study_id}/analysis")
    response.status_code = 308
    return response
