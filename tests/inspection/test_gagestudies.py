"""Gage R&R studies per gauge (issue 15, "Equipment and calibration", MSA): analysed by the
SPC studies' crossed Gage R&R, kept as an SPC study, the figures stored against the gauge.

Reference: AIAG MSA 4th ed. (2010) ch. III-B, the example data sheet of 10 parts, appraisers
A, B, C and 3 trials (qualitas.studies.analyses.gage.EXAMPLE), analysed by ANOVA (Tables
III-B 16 to 18): total GRR 27.9 % of the total variation, ndc 4, the part x appraiser
interaction not significant (pooled). By AIAG's guidelines 10-30 % "may be acceptable" and
ndc < 5 is not adequate, so the verdict is marginal."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core import audit
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Site, User
from qualitas.inspection import gagestudies
from qualitas.inspection.gagestudies_views import parse_rows
from qualitas.inspection.models import GageStudy, Gauge, PartRevision
from qualitas.studies.analyses.gage import EXAMPLE
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

PUBLISHED_GRR = 27.9  # AIAG MSA 4th ed. Table III-B 18, % total variation (ANOVA)
PUBLISHED_NDC = 4


@pytest.fixture
def gauge(db: None, site: Site) -> Gauge:
    with audit.context(actor=None, actor_name="test fixture"):
        return Gauge.objects.create(
            identifier="BG-074", name="Bore gauge Ø74", gauge_type="Bore gauge", site=site,
            unit="mm", resolution=0.001,
        )  # fmt: skip


def _example(**changes: Any) -> dict[str, Any]:
    data = {k: EXAMPLE[k] for k in ("parts", "operators", "values")}
    return {**data, **changes}


def test_the_aiag_example_gives_the_published_grr(people: dict[str, User], gauge: Gauge) -> None:
    study = gagestudies.record_gage_study(
        actor=people["inspector"], gauge=gauge, title="BG-074 MSA", **_example()
    )

    assert study.percent_grr == pytest.approx(PUBLISHED_GRR, abs=0.05)
    assert study.ndc == PUBLISHED_NDC
    assert (study.verdict, study.percent_tolerance) == ("marginal", None)
    spc = SpcStudy.objects.get(number=study.study_number)
    assert spc.analysis == "gage-rr" and spc.site == gauge.site and "BG-074" in spc.characteristic
    event = AuditEvent.objects.get(
        object_type=ContentType.objects.get_for_model(GageStudy),
        object_id=str(study.pk),
        action="create",
    )
    assert event.actor == people["inspector"]


def test_the_characteristic_gives_the_tolerance(
    people: dict[str, User], gauge: Gauge, revision: PartRevision
) -> None:
    """No tolerance given: the bore's USL - LSL (74.05 - 73.95 = 0.1) is used. The AIAG
    example's spread (values from -2.16 to 2.26) is far wider than 0.1, so the gauge takes
    many times the tolerance and the verdict is unacceptable (> 30 % of tolerance)."""
    bore = revision.characteristics.get(number="10")

    study = gagestudies.record_gage_study(
        actor=people["inspector"], gauge=gauge, characteristic=bore, title="On the bore",
        **_example(),
    )  # fmt: skip

    spc = SpcStudy.objects.get(number=study.study_number)
    assert spc.parameters["tolerance"] == pytest.approx(0.1)
    assert "HSG-4471" in spc.characteristic and spc.unit == "mm"
    assert study.percent_tolerance is not None and study.percent_tolerance > 100
    assert study.percent_grr == pytest.approx(PUBLISHED_GRR, abs=0.05)
    assert study.verdict == "unacceptable" and study.characteristic == bore


def test_one_operator_is_refused_on_operators(people: dict[str, User], gauge: Gauge) -> None:
    with pytest.raises(InvalidInput) as refused:
        gagestudies.record_gage_study(
            actor=people["inspector"], gauge=gauge, title="One appraiser",
            **_example(operators=["A"] * len(EXAMPLE["values"])),
        )  # fmt: skip

    assert refused.value.errors[0].field == "operators"
    assert not GageStudy.objects.exists() and not SpcStudy.objects.exists()


def test_an_attribute_characteristic_is_refused(
    people: dict[str, User], gauge: Gauge, revision: PartRevision
) -> None:
    burr = revision.characteristics.get(number="20")

    with pytest.raises(InvalidInput) as refused:
        gagestudies.record_gage_study(
            actor=people["inspector"], gauge=gauge, characteristic=burr, title="Burr",
            **_example(),
        )  # fmt: skip

    assert refused.value.errors[0].field == "characteristic"


def test_recording_needs_the_calibrate_permission(people: dict[str, User], gauge: Gauge) -> None:
    for who in ("viewer", "planner"):  # planner: an approver, who may not calibrate
        with pytest.raises(PermissionDenied):
            gagestudies.record_gage_study(
                actor=people[who], gauge=gauge, title="Not mine", **_example()
            )
    assert not GageStudy.objects.exists()


# ----------------------------------------------------------------------------- API


def test_the_api_records_lists_and_gets(
    api_for: Any, people: dict[str, User], gauge: Gauge, revision: PartRevision
) -> None:
    bore = revision.characteristics.get(number="10")
    body = {"gauge": gauge.pk, "characteristic": bore.pk, "title": "API MSA", **_example()}
    # Part names as numbers, as a spreadsheet gives them.
    body["parts"] = [int(p) for p in body["parts"]]

    created = api_for(people["inspector"]).post("/gage-studies", body)
    listed = api_for(people["viewer"]).get("/gage-studies", gauge=gauge.pk)
    other = api_for(people["viewer"]).get("/gage-studies", gauge=gauge.pk + 1000)
    by_char = api_for(people["viewer"]).get("/gage-studies", characteristic=bore.pk)

    assert created.status_code == 201, created.content
    out = created.json()
    assert out["percent_grr"] == pytest.approx(PUBLISHED_GRR, abs=0.05)
    assert (out["ndc"], out["gauge"], out["characteristic"]) == (PUBLISHED_NDC, gauge.pk, bore.pk)
    assert out["study_number"].startswith("SPC-")
    assert [s["id"] for s in listed.json()["results"]] == [out["id"]]
    assert other.json()["results"] == [] and [s["id"] for s in by_char.json()["results"]] == [
        out["id"]
    ]
    one = api_for(people["viewer"]).get(f"/gage-studies/{out['id']}")
    assert one.status_code == 200 and one.json()["study_number"] == out["study_number"]


def test_the_api_refuses_bad_input_by_field(
    api_for: Any, people: dict[str, User], gauge: Gauge, revision: PartRevision
) -> None:
    api = api_for(people["inspector"])
    burr = revision.characteristics.get(number="20")

    def field_of(**changes: Any) -> Any:
        answer = api.post(
            "/gage-studies", {"gauge": gauge.pk, "title": "T", **_example(), **changes}
        )
        assert answer.status_code == 422, answer.content
        return answer.json()["errors"][0]["field"]

    assert field_of(operators=["A"] * len(EXAMPLE["values"])) == "operators"
    assert field_of(values=EXAMPLE["values"][:-1]) == "values"
    assert field_of(characteristic=burr.pk) == "characteristic"
    assert field_of(gauge=gauge.pk + 1000) == "gauge"
    assert not GageStudy.objects.exists()


def test_the_api_needs_the_permission(api_for: Any, people: dict[str, User], gauge: Gauge) -> None:
    body = {"gauge": gauge.pk, "title": "T", **_example()}

    assert api_for(people["viewer"]).post("/gage-studies", body).status_code == 403
    assert api_for(people["planner"]).post("/gage-studies", body).status_code == 403


# ----------------------------------------------------------------------------- pages


def _pasted() -> str:
    lines = ["Part,Operator,Value"]
    lines += [
        f"{p},{o},{v}"
        for p, o, v in zip(EXAMPLE["parts"], EXAMPLE["operators"], EXAMPLE["values"], strict=True)
    ]
    return "\n".join(lines)


def test_the_form_records_a_study_from_pasted_rows(
    client_for: Any, people: dict[str, User], gauge: Gauge
) -> None:
    client = client_for(people["qm"])

    shown = client.get(f"/inspection/gage-studies/new/?gauge={gauge.pk}")
    posted = client.post(
        "/inspection/gage-studies/new/",
        {"gauge": gauge.pk, "title": "Pasted MSA", "method": "anova", "measurements": _pasted()},
    )

    assert shown.status_code == 200
    assert posted.status_code == 302, posted.content.decode()[:2000]
    study = GageStudy.objects.get()
    assert study.percent_grr == pytest.approx(PUBLISHED_GRR, abs=0.05)
    assert posted["Location"] == f"/inspection/gage-studies/?gauge={gauge.pk}"


def test_the_form_names_the_wrong_line(
    client_for: Any, people: dict[str, User], gauge: Gauge
) -> None:
    pasted = _pasted().replace("\n1,A,0.29\n", "\n1,A,zero\n", 1)

    posted = client_for(people["qm"]).post(
        "/inspection/gage-studies/new/",
        {"gauge": gauge.pk, "title": "Bad", "method": "anova", "measurements": pasted},
    )

    assert posted.status_code == 422
    assert "Line 2: &#x27;zero&#x27; is not a number." in posted.content.decode()
    assert not GageStudy.objects.exists()


def test_the_form_is_for_those_who_calibrate(
    client_for: Any, people: dict[str, User], gauge: Gauge
) -> None:
    assert client_for(people["viewer"]).get("/inspection/gage-studies/new/").status_code == 403


def test_the_list_filters_exports_and_leads_to_the_spc_study(
    client_for: Any, people: dict[str, User], gauge: Gauge, site: Site
) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        other = Gauge.objects.create(identifier="MC-001", name="Micrometer", gauge_type="Mic")
    mine = gagestudies.record_gage_study(
        actor=people["qm"], gauge=gauge, title="Bore MSA", **_example()
    )
    theirs = gagestudies.record_gage_study(
        actor=people["qm"], gauge=other, title="Mic MSA", **_example()
    )
    client = client_for(people["viewer"])

    page = client.get("/inspection/gage-studies/", {"gauge": gauge.pk}).content.decode()
    exported = client.get("/inspection/gage-studies/", {"export": "csv", "gauge": gauge.pk})
    rows = list(csv.reader(io.StringIO(exported.getvalue().decode().lstrip("\ufeff"))))
    spc = client.get(f"/inspection/gage-studies/{mine.pk}/spc/")

    assert mine.study_number in page and theirs.study_number not in page
    assert rows[0] == [
        "Studied", "Gauge", "Characteristic", "SPC study", "%GRR (study var)", "% tolerance",
        "ndc", "Verdict",
    ]  # fmt: skip
    assert len(rows) == 2 and rows[1][3] == mine.study_number and rows[1][1] == str(gauge)
    spc_pk = SpcStudy.objects.get(number=mine.study_number).pk
    assert spc.status_code == 302 and spc["Location"] == f"/spc-studies/{spc_pk}/"
    # The page shows the figures as the table renders them (one decimal).
    assert f"{mine.percent_grr:.1f}" in page


@pytest.mark.parametrize(
    "pasted",
    ["part\toperator\tvalue\n1\tA\t0.5\n2\tB\t0.625", "1;A;0,5\n2;B;0,625", "1,A,0.5\n2,B,0.625"],
)
def test_pasted_rows_from_a_spreadsheet_or_a_csv(pasted: str) -> None:
    assert parse_rows(pasted) == (["1", "2"], ["A", "B"], [0.5, 0.625])


def test_a_short_row_is_named() -> None:
    with pytest.raises(InvalidInput, match="Line 2: give part, operator and value"):
        parse_rows("1,A,0.5\n2,B")
