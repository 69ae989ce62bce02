"""SPC studies: analysis through the engine, parsing errors, pages, API, PDF, permissions."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from qualitas import spc
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.studies import analyses, parsing, services
from qualitas.studies.models import SpcStudy
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db

# Montgomery, Introduction to SQC, piston-ring inside diameters: first 5 of 25 samples are
# enough to exercise the path; the engine's own tests check the published limits.
RINGS = np.array(
    [
        [74.030, 74.002, 74.019, 73.992, 74.008],
        [73.995, 73.992, 74.001, 74.011, 74.004],
        [73.988, 74.024, 74.021, 74.005, 74.002],
        [74.002, 73.996, 73.993, 74.015, 74.009],
        [73.992, 74.007, 74.015, 73.989, 74.014],
        [74.009, 73.994, 73.997, 73.985, 73.993],
    ]
)


def _csv() -> str:
    rows = ["sample,diameter"] + [f"{i + 1},{v}" for i, row in enumerate(RINGS) for v in row]
    return "\n".join(rows)


@pytest.fixture
def engineer(db: None) -> User:
    return with_role(
        UserFactory(username="engineer", first_name="Erin", last_name="Engineer"), "contributor"
    )


def test_the_analysis_is_the_engines(engineer: User) -> None:
    table = parsing.parse_text(_csv())
    m = services.Measurements(
        chart_type="xbar-r",
        values=table.numbers("diameter", field="value_column"),
        subgroup_labels=table.column("sample", field="subgroup_column"),
        lsl=73.95,
        usl=74.05,
    )

    results = services.analyse(m)

    xbar, r = spc.xbar_r(RINGS)
    assert results["charts"][0]["center"] == pytest.approx(xbar.center)
    assert results["charts"][0]["ucl"][0] == pytest.approx(float(xbar.ucl[0]))
    assert results["charts"][1]["center"] == pytest.approx(float(np.ravel(r.center)[0]))
    assert results["capability"]["cpk"] == pytest.approx(
        spc.capability(RINGS, lsl=73.95, usl=74.05).cpk
    )
    assert sum(results["histogram"]["counts"]) == RINGS.size


def test_signals_are_explained_with_one_based_sample_numbers() -> None:
    values = [10.0] * 20 + [10.5, 9.5] * 5
    values[24] = 25.0

    results = services.analyse(services.Measurements(chart_type="imr", values=values))

    beyond = next(
        s for s in results["signals"] if s["rule"] == "nelson1" and s["chart"] == "Individuals"
    )
    assert beyond["points"] == [25]
    assert beyond["description"] == "1 point beyond a control limit"


@pytest.mark.parametrize(
    ("_case", "text", "column", "message"),
    [
        ("not a number", "x\n1\nabc\n3", "x", "Row 3, column 'x': 'abc' is not a number."),
        ("unknown column", "x\n1\n2", "y", "There is no column 'y'; the columns are x."),
    ],
)
def test_bad_cells_are_named_by_row_and_column(
    _case: str, text: str, column: str, message: str
) -> None:
    table = parsing.parse_text(text)

    with pytest.raises(InvalidInput) as refused:
        table.numbers(column, field="value_column")

    assert refused.value.errors[0].message == message


def test_counts_must_be_whole() -> None:
    with pytest.raises(InvalidInput, match=r"Row 2, column 'n': 2\.5 is not a whole count"):
        parsing.parse_text("n\n2.5").numbers("n", field="value_column", whole=True)


def test_an_excel_sheet_is_read() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["lot", "defectives", "inspected"])
    sheet.append([1, 3, 200])
    sheet.append([2, 5, 210])
    buffer = io.BytesIO()
    book.save(buffer)

    table = parsing.parse_upload(buffer.getvalue(), "lots.xlsx")

    assert table.headers == ("lot", "defectives", "inspected")
    assert table.numbers("inspected", field="x") == [200.0, 210.0]


def test_spec_limits_must_be_in_order() -> None:
    with pytest.raises(InvalidInput) as refused:
        services.analyse(
            services.Measurements(chart_type="imr", values=[1.0, 2.0, 3.0], lsl=5, usl=4)
        )

    assert refused.value.errors[0].field == "usl"


def test_engine_refusals_become_field_errors() -> None:
    with pytest.raises(InvalidInput) as refused:
        services.analyse(
            services.Measurements(chart_type="p", values=[5.0, 3.0], sizes=[4.0, 10.0])
        )

    assert refused.value.errors[0].field == "data"
    assert "defective" in refused.value.errors[0].message.lower()


def test_recording_through_the_page(client_for: object, engineer: User) -> None:
    client = client_for(engineer)  # type: ignore[operator]
    form = {
        "title": "Rings, week 46",
        "characteristic": "Inside diameter",
        "unit": "mm",
        "chart_type": "xbar-r",
        "value_column": "diameter",
        "subgroup_column": "sample",
        "lsl": "73.95",
        "usl": "74.05",
        "rules": "nelson",
    }

    response = client.post(
        "/spc-studies/new/", {**form, "file": SimpleUploadedFile("rings.csv", _csv().encode())}
    )

    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    assert (study.number[:4], study.source_name, study.state, study.owner) == (
        "SPC-",
        "rings.csv",
        "recorded",
        engineer,
    )
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    assert 'id="spc-data"' in page and "Cpk" in page


def test_a_bad_upload_names_row_and_column_and_saves_nothing(
    client_for: object, engineer: User
) -> None:
    bad = _csv().replace("1,74.03\n", "1,74.0x\n", 1)
    form = {
        "title": "t",
        "characteristic": "c",
        "chart_type": "xbar-r",
        "value_column": "diameter",
        "subgroup_column": "sample",
        "rules": "nelson",
        "file": SimpleUploadedFile("rings.csv", bad.encode()),
    }

    response = client_for(engineer).post("/spc-studies/new/", form)  # type: ignore[operator]

    assert response.status_code == 422
    assert (
        b"Row 2, column &#x27;diameter&#x27;: &#x27;74.0x&#x27; is not a number."
        in response.content
    )
    assert not SpcStudy.objects.exists()


def test_viewers_may_read_but_not_record(client_for: object, viewer: User, engineer: User) -> None:
    study = _record(engineer)

    assert client_for(viewer).get("/spc-studies/new/").status_code == 403  # type: ignore[operator]
    assert client_for(viewer).get(f"/spc-studies/{study.pk}/").status_code == 200  # type: ignore[operator]


def _record(actor: User) -> SpcStudy:
    return services.record_study(
        actor=actor,
        title="Rings",
        characteristic="Diameter",
        unit="mm",
        measurements=services.Measurements(
            chart_type="xbar-r", values=list(RINGS.ravel()), subgroup_size=5, lsl=73.95, usl=74.05
        ),
    )


def test_the_pdf_report(client_for: object, engineer: User) -> None:
    study = _record(engineer)

    response = client_for(engineer).get(f"/spc-studies/{study.pk}/report.pdf")  # type: ignore[operator]

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        response.content.count(b"/Type /Page\n") + response.content.count(b"/Type /Page ") >= 3
        or b"/Count 3" in response.content
    )


def test_the_api_analyses_and_saves(api_for: object, engineer: User, viewer: User) -> None:
    body = {
        "chart_type": "xbar-r",
        "values": list(RINGS.ravel()),
        "subgroup_size": 5,
        "lsl": 73.95,
        "usl": 74.05,
    }

    computed = api_for(viewer).post("/spc-studies/analyses", {**body, "save": False})  # type: ignore[operator]
    refused = api_for(viewer).post(
        "/spc-studies/analyses", {**body, "title": "t", "characteristic": "c"}
    )  # type: ignore[operator]
    saved = api_for(engineer).post(
        "/spc-studies/analyses", {**body, "title": "Rings", "characteristic": "Diameter"}
    )  # type: ignore[operator]
    missing = api_for(engineer).post("/spc-studies/analyses", body)  # type: ignore[operator]
    fetched = api_for(viewer).get(f"/spc-studies/{saved.json()['study_id']}/analysis")  # type: ignore[operator]

    assert computed.status_code == 200 and computed.json()["study_id"] is None
    assert refused.status_code == 403
    assert saved.status_code == 201 and saved.json()["number"].startswith("SPC-")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "title"
    assert fetched.json()["results"]["capability"]["cpk"] == pytest.approx(
        computed.json()["results"]["capability"]["cpk"]
    )
    assert SpcStudy.objects.count() == 1


def test_the_api_names_bad_fields(api_for: object, engineer: User) -> None:
    response = api_for(engineer).post(
        "/spc-studies/analyses", {"chart_type": "pie", "values": [1, 2], "save": False}
    )  # type: ignore[operator]

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "chart_type", "message": "Unknown chart type 'pie'."}
    ]


def test_review_needs_another_persons_signature(engineer: User, quality_manager: User) -> None:
    from qualitas.core import signatures, workflow
    from qualitas.core.errors import PermissionDenied

    study = _record(engineer)
    with_role(engineer, "approver")

    with pytest.raises(PermissionDenied, match="creator"):
        workflow.fire(
            study, "review", actor=engineer, signature=signatures.authenticate(engineer, PASSWORD)
        )
    reviewed = workflow.fire(
        study,
        "review",
        actor=quality_manager,
        signature=signatures.authenticate(quality_manager, PASSWORD),
    )

    assert reviewed.state == "reviewed"


def test_the_demo_studies_load() -> None:
    from qualitas.core import demo

    demo.load()

    studies = {s.chart_type: s for s in SpcStudy.objects.filter(analysis="chart")}
    assert set(studies) == {"xbar-r", "p", "imr"}
    kinds = set(SpcStudy.objects.exclude(analysis="chart").values_list("analysis", flat=True))
    assert kinds == set(analyses.ANALYSES)
    assert studies["xbar-r"].results["signals"]
    assert studies["imr"].state == "reviewed"


def test_european_decimal_commas_in_semicolon_files() -> None:
    table = parsing.parse_text("Probe;Durchmesser\n1;74,030\n1;73,995")

    assert table.numbers("Durchmesser", field="value_column") == [74.03, 73.995]
