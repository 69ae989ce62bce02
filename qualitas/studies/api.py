"""SPC studies' own endpoints, under /api/v1/spc-studies beside the generic record ones:
POST …/analyses runs an analysis (and keeps it as a study); GET …/{id}/analysis.

The body of POST …/analyses is one of several shapes chosen by `analysis`: "chart" (the
default, so bodies written before the other kinds existed still work) or a key of
`qualitas.studies.analyses.ANALYSES`, each with its own fields in the OpenAPI document.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from ninja import Body, Field, Router, Schema, Status
from pydantic import ConfigDict, Discriminator, Tag, create_model

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Department, Site, User
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.studies import analyses, policy, services
from qualitas.studies.analyses import base

router = Router(tags=["spc-studies"])


class StudyFields(Schema):
    """What every analysis body may carry about the study it is kept as. A field no shape
    knows is refused (a misspelt `capablity_method` must not quietly mean the default)."""

    model_config = ConfigDict(extra="forbid")

    save: bool = Field(default=True, description="Keep the inputs and results as a study")
    title: str = ""
    characteristic: str = Field("", description="What was measured, inspected or studied")
    unit: str = ""
    site: int | None = None
    department: int | None = None


class ChartIn(StudyFields):
    analysis: Literal["chart"] = Field(
        "chart", description="Control chart and capability (the default)"
    )
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
    capability_method: Literal["normal", "percentile", "boxcox", "johnson", "auto"] = Field(
        "normal",
        description="normal; percentile (Clements); boxcox or johnson transformation; auto "
        "(normal unless Anderson-Darling rejects normality at 5 %, then the best fit)",
    )
    bound: Literal["two-sided", "lower"] = Field(
        "two-sided", description="Two-sided confidence intervals, or one-sided lower bounds"
    )


# Kept for code that imported the chart body by its first name.
AnalysisIn = ChartIn


def _body(analysis: analyses.Analysis) -> type[Schema]:
    name = "".join(part.capitalize() for part in analysis.key.split("-")) + "In"
    model: type[Schema] = create_model(name, __base__=(analysis.inputs, StudyFields))
    model.__doc__ = f"{analysis.label}: {analysis.help}"
    return model


BODIES = {key: _body(analysis) for key, analysis in analyses.ANALYSES.items()}


def analysis(value: Any) -> str:
    """The body's shape. Named after its field and tagged "analysis:…" so the API's error
    handler can name the field, and drop the tag from the names of the member's fields."""
    kind = value.get("analysis", "chart") if isinstance(value, dict) else value.analysis
    return f"analysis:{kind}"


AnalysisBody: Any = Annotated[
    Union[  # noqa: UP007 (a tagged union needs the Union spelling with Annotated members)
        tuple(
            [Annotated[ChartIn, Tag("analysis:chart")]]
            + [Annotated[body, Tag(f"analysis:{key}")] for key, body in BODIES.items()]
        )
    ],
    Discriminator(analysis),
]


class AnalysisOut(Schema):
    study_id: int | None
    number: str | None
    results: dict[str, Any]


def _ref(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"No {model._meta.verbose_name} with id {pk}.")
    return found


if TYPE_CHECKING:
    Payload = Any
else:
    Payload = Body[AnalysisBody]


@router.post(
    "/analyses",
    response={200: AnalysisOut, 201: AnalysisOut, **ERRORS},
    summary="Analyse: control chart and capability, sampling plan, ARL, MSA, life data",
)
def analyse(request: HttpRequest, payload: Payload) -> Any:
    """Run the analysis `analysis` names on the body's data. With `save` (the default) the
    inputs and results are kept as an SPC study (201, its id and number); with `save: false`
    only the results come back (200)."""
    actor = actor_of(request)
    if payload.save:
        policy.require_record_studies(actor)
        missing = "title" if not payload.title.strip() else None
        if payload.analysis == "chart" and not missing and not payload.characteristic.strip():
            missing = "characteristic"
        if missing:
            raise InvalidInput.for_field(missing, "Needed to save the study (or send save: false).")
    else:
        policy.require_try_analysis(actor)
    if payload.analysis == "chart":
        return _chart(actor, payload)
    analysis = analyses.ANALYSES[payload.analysis]
    if not payload.save:
        return Status(
            200, {"study_id": None, "number": None, "results": base.run(analysis, payload)}
        )
    study = services.record_analysis(
        actor=actor,
        analysis=analysis,
        inputs=payload,
        title=payload.title,
        characteristic=payload.characteristic,
        unit=payload.unit,
        site=_ref(Site, payload.site, "site"),
        department=_ref(Department, payload.department, "department"),
        source_name="API",
    )
    return Status(201, {"study_id": study.pk, "number": study.number, "results": study.results})


def _chart(actor: User, payload: ChartIn) -> Any:
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
        capability_method=payload.capability_method,
        bound=payload.bound,
    )
    if not payload.save:
        return Status(
            200, {"study_id": None, "number": None, "results": services.analyse(measurements)}
        )
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
    study = records.get_visible(actor_of(request), records.RECORD_TYPES["spcstudy"], study_id)
    return {"study_id": study.pk, "number": study.number, "results": study.results}


@router.get("/analyses/{study_id}", include_in_schema=False)
def old_analysis_path(request: HttpRequest, study_id: int) -> HttpResponse:
    """Until 0.5 a saved study's results were at /api/v1/spc/analyses/{id} (moved here by
    the module's `Moved` prefix): answer with their one place."""
    response = HttpResponsePermanentRedirect(f"/api/v1/spc-studies/{study_id}/analysis")
    response.status_code = 308
    return response
