"""Master data of inspection: parts, revisions and characteristics through the services, the
API (/api/v1/parts, /api/v1/characteristics) and the pages (/inspection/parts/).

The part is the one the issue's examples use: housing HSG-4471 rev C with the bore Ø74
toleranced 73.95 to 74.05 mm (a variable characteristic), "burr free" (attribute, pass/fail)
and "scratches" (a defect count). The rules under test are the issue's and the brief's: a
measured characteristic needs at least one limit, LSL < USL, the nominal within them,
0 to 6 decimals; pass/fail and defect counts carry no limits; what an approved plan checks is
fixed until the part is revised."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from qualitas.core import signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Site, User
from qualitas.inspection import parts, services
from qualitas.inspection.models import Characteristic, InspectionPlan, Part, PartRevision
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db

BORE = {"nominal": 74.0, "lsl": 73.95, "usl": 74.05, "unit": "mm", "decimals": 3}


@pytest.fixture
def engineer(site: Site) -> User:
    """An approver: holds inspection.manage_parts and inspection.plan, not approve_plan."""
    return with_role(UserFactory(username="engineer", site=site), "approver")


@pytest.fixture
def housing(engineer: User) -> Part:
    part = parts.create_part(
        actor=engineer, number="HSG-4471", name="Pump housing", customer="Acme Pumps"
    )
    revision = parts.add_revision(part, actor=engineer, revision="C", description="ECN 118")
    parts.add_characteristic(
        revision, actor=engineer, number="10", name="Bore Ø74", kind="variable",
        gauge_type="Bore gauge", special_mark="SC", **BORE,
    )  # fmt: skip
    parts.add_characteristic(
        revision, actor=engineer, number="20", name="Burr free", kind="attribute",
        char_class="critical",
    )  # fmt: skip
    parts.add_characteristic(
        revision, actor=engineer, number="30", name="Scratches", kind="defects", char_class="minor"
    )
    return part


def _revision(part: Part) -> PartRevision:
    return part.revisions.get(revision="C")


def _bore(part: Part) -> Characteristic:
    return Characteristic.objects.get(revision__part=part, number="10")


@pytest.fixture
def approved_plan(engineer: User, quality_manager: User, housing: Part, site: Site) -> Any:
    """An incoming plan checking the bore, written by the engineer and approved (signed)
    by the quality manager (a plan is not approved by its author)."""
    plan = services.create_plan(
        actor=engineer, title="Incoming HSG-4471", part_revision=_revision(housing),
        stage="incoming", site=site,
    )  # fmt: skip
    services.set_item(plan, actor=engineer, characteristic=_bore(housing), aql=1.0)
    token = signatures.authenticate(quality_manager, PASSWORD, subject=plan)
    return workflow.fire(plan, "approve", actor=quality_manager, signature=token)


# ----------------------------------------------------------------------------- services


def test_a_part_is_created_with_its_revision_and_characteristics(housing: Part) -> None:
    revision = _revision(housing)
    kinds = dict(revision.characteristics.values_list("number", "kind"))

    assert (housing.number, housing.customer, housing.is_active) == (
        "HSG-4471",
        "Acme Pumps",
        True,
    )
    assert revision.is_current
    assert kinds == {"10": "variable", "20": "attribute", "30": "defects"}
    assert parts.current_revision(housing) == revision


def test_creating_a_part_leaves_an_audit_event_by_its_author(engineer: User, housing: Part) -> None:
    event = AuditEvent.objects.get(
        object_type=ContentType.objects.get_for_model(Part),
        object_id=housing.pk,
        action="create",
    )

    assert event.actor == engineer
    assert event.changes["number"]["new"] == "HSG-4471"


def test_a_part_number_is_used_once_whatever_its_case(engineer: User, housing: Part) -> None:
    with pytest.raises(InvalidInput) as refused:
        parts.create_part(actor=engineer, number="hsg-4471", name="Copy")
    with pytest.raises(InvalidInput) as blank:
        parts.create_part(actor=engineer, number="  ", name="No number")

    assert [e.field for e in refused.value.errors] == ["number"]
    assert [e.field for e in blank.value.errors] == ["number"]
    assert Part.objects.count() == 1


def test_a_part_is_taken_out_of_use_not_deleted(engineer: User, housing: Part) -> None:
    parts.change_part(housing, actor=engineer, is_active=False)

    housing.refresh_from_db()
    assert housing.is_active is False
    with pytest.raises(InvalidInput) as unknown:
        parts.change_part(housing, actor=engineer, created_at=None)
    assert [e.field for e in unknown.value.errors] == ["created_at"]


def test_a_new_current_revision_replaces_the_current_one(engineer: User, housing: Part) -> None:
    d = parts.add_revision(housing, actor=engineer, revision="D")
    e = parts.add_revision(housing, actor=engineer, revision="E", is_current=False)

    assert list(housing.revisions.filter(is_current=True)) == [d]
    parts.change_revision(e, actor=engineer, is_current=True)
    assert list(housing.revisions.filter(is_current=True)) == [e]


def test_a_revision_label_is_used_once_per_part(engineer: User, housing: Part) -> None:
    other = parts.create_part(actor=engineer, number="HSG-4472", name="Cover")

    with pytest.raises(InvalidInput) as refused:
        parts.add_revision(housing, actor=engineer, revision="c")
    parts.add_revision(other, actor=engineer, revision="C")  # another part's C is its own

    assert [e.field for e in refused.value.errors] == ["revision"]
    assert housing.revisions.count() == 1


def test_one_sided_and_boundary_specifications_are_accepted(engineer: User, housing: Part) -> None:
    revision = _revision(housing)
    # Roughness Ra ≤ 1.6 µm: an upper limit alone; a thread depth ≥ 12: a lower alone.
    parts.add_characteristic(
        revision, actor=engineer, number="40", name="Ra", kind="variable", usl=1.6, unit="µm"
    )
    parts.add_characteristic(
        revision, actor=engineer, number="50", name="Thread depth", kind="variable", lsl=12.0
    )
    # A nominal on a limit is within it (a one-sided tolerance 0/+0.1 from nominal).
    parts.add_characteristic(
        revision, actor=engineer, number="60", name="Slot", kind="variable",
        nominal=8.0, lsl=8.0, usl=8.1, decimals=0,
    )  # fmt: skip

    assert revision.characteristics.count() == 6


BAD_CHARACTERISTICS = [
    pytest.param({"kind": "variable"}, "usl", id="variable-without-limits"),
    pytest.param({"kind": "variable", "lsl": 74.05, "usl": 73.95}, "usl", id="lsl-above-usl"),
    pytest.param({"kind": "variable", "lsl": 74.0, "usl": 74.0}, "usl", id="lsl-equals-usl"),
    pytest.param({"kind": "variable", **BORE, "nominal": 74.1}, "nominal", id="nominal-above"),
    pytest.param({"kind": "variable", **BORE, "nominal": 73.9}, "nominal", id="nominal-below"),
    pytest.param({"kind": "variable", **BORE, "decimals": 7}, "decimals", id="decimals-7"),
    pytest.param({"kind": "variable", **BORE, "decimals": -1}, "decimals", id="decimals-neg"),
    pytest.param({"kind": "variable", "lsl": float("nan"), "usl": 1.0}, "lsl", id="nan-limit"),
    pytest.param({"kind": "attribute", "usl": 1.0}, "usl", id="attribute-with-usl"),
    pytest.param({"kind": "attribute", "lsl": 0.0}, "lsl", id="attribute-with-lsl"),
    pytest.param({"kind": "defects", "nominal": 0.0}, "nominal", id="defects-with-nominal"),
    pytest.param({"kind": "continuous"}, "kind", id="unknown-kind"),
    pytest.param({"kind": "attribute", "number": "10"}, "number", id="number-taken"),
    pytest.param({"kind": "attribute", "char_class": "vital"}, "char_class", id="bad-class"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_CHARACTERISTICS)
def test_a_characteristic_that_breaks_a_rule_is_refused_naming_the_field(
    engineer: User, housing: Part, fields: dict[str, Any], field: str
) -> None:
    data = {"number": "99", "name": "Trial", **fields}

    with pytest.raises(InvalidInput) as refused:
        parts.add_characteristic(_revision(housing), actor=engineer, **data)

    assert [e.field for e in refused.value.errors] == [field]
    assert Characteristic.objects.count() == 3


def test_a_change_is_held_to_the_same_rules(engineer: User, housing: Part) -> None:
    with pytest.raises(InvalidInput) as refused:
        parts.change_characteristic(_bore(housing), actor=engineer, usl=73.9)
    with pytest.raises(InvalidInput) as kind:
        parts.change_characteristic(_bore(housing), actor=engineer, kind="attribute")

    assert [e.field for e in refused.value.errors] == ["usl"]
    assert [e.field for e in kind.value.errors] == ["nominal"]  # limits must go with the kind
    assert _bore(housing).usl == 74.05


def test_what_an_approved_plan_checks_cannot_change_its_limits_or_kind(
    engineer: User, housing: Part, approved_plan: InspectionPlan
) -> None:
    bore = _bore(housing)

    with pytest.raises(Conflict) as limits:
        parts.change_characteristic(bore, actor=engineer, usl=74.1)
    with pytest.raises(Conflict) as kind:
        parts.change_characteristic(
            bore, actor=engineer, kind="attribute", nominal=None, lsl=None, usl=None
        )
    renamed = parts.change_characteristic(bore, actor=engineer, name="Bore Ø74 H7", decimals=4)

    assert limits.value.status == 409
    assert approved_plan.number in limits.value.detail
    assert "revise the part" in limits.value.detail.lower()
    assert [e.field for e in limits.value.errors] == ["usl"]
    assert approved_plan.number in kind.value.detail
    assert (renamed.name, renamed.decimals, renamed.usl) == ("Bore Ø74 H7", 4, 74.05)
    # A characteristic no approved plan checks keeps its specification open.
    burr = Characteristic.objects.get(number="20")
    parts.change_characteristic(burr, actor=engineer, kind="defects")


def test_a_draft_plan_does_not_freeze_the_limits(engineer: User, housing: Part, site: Site) -> None:
    plan = services.create_plan(
        actor=engineer, title="Final", part_revision=_revision(housing), stage="final", site=site
    )
    services.set_item(plan, actor=engineer, characteristic=_bore(housing), aql=1.0)

    changed = parts.change_characteristic(_bore(housing), actor=engineer, usl=74.03)

    assert changed.usl == 74.03


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_only_holders_of_manage_parts_write_master_data(
    role: str, housing: Part, site: Site
) -> None:
    person = with_role(UserFactory(username=f"a-{role}", site=site), role)

    with pytest.raises(PermissionDenied):
        parts.create_part(actor=person, number="X-1", name="X")
    with pytest.raises(PermissionDenied):
        parts.change_part(housing, actor=person, name="Renamed")
    with pytest.raises(PermissionDenied):
        parts.add_revision(housing, actor=person, revision="D")
    with pytest.raises(PermissionDenied):
        parts.add_characteristic(
            _revision(housing), actor=person, number="70", name="X", kind="attribute"
        )
    with pytest.raises(PermissionDenied):
        parts.change_characteristic(_bore(housing), actor=person, name="X")
    assert (Part.objects.count(), Characteristic.objects.count()) == (1, 3)


def test_the_quality_manager_manages_parts(quality_manager: User) -> None:
    part = parts.create_part(actor=quality_manager, number="SHF-100", name="Shaft")

    assert part.pk is not None


# ----------------------------------------------------------------------------- API


def test_parts_through_the_api(api_for: Any, engineer: User, viewer: User) -> None:
    api = api_for(engineer)

    created = api.post("/parts", {"number": "HSG-4471", "name": "Pump housing"})
    part_id = created.json()["id"]
    revision = api.post(f"/parts/{part_id}/revisions", {"revision": "C"})
    second = api.post(f"/parts/{part_id}/revisions", {"revision": "D", "is_current": False})
    changed = api.patch(f"/parts/{part_id}", {"customer": "Acme Pumps"})
    shown = api_for(viewer).get(f"/parts/{part_id}")
    revisions = api_for(viewer).get(f"/parts/{part_id}/revisions")
    made_current = api.patch(
        f"/parts/{part_id}/revisions/{second.json()['id']}", {"is_current": True}
    )

    assert created.status_code == 201, created.json()
    assert created.json()["current_revision"] is None
    assert revision.status_code == 201, revision.json()
    assert changed.status_code == 200 and changed.json()["customer"] == "Acme Pumps"
    assert changed.json()["current_revision"] == "C"
    assert shown.status_code == 200 and shown.json()["number"] == "HSG-4471"
    assert [r["revision"] for r in revisions.json()] == ["C", "D"]
    assert made_current.status_code == 200 and made_current.json()["is_current"] is True
    assert api.get(f"/parts/{part_id}").json()["current_revision"] == "D"


def test_parts_are_listed_searched_and_filtered(api_for: Any, engineer: User, viewer: User) -> None:
    for number, name in (("HSG-4471", "Pump housing"), ("SHF-100", "Shaft"), ("CVR-7", "Cover")):
        parts.create_part(actor=engineer, number=number, name=name)
    parts.change_part(Part.objects.get(number="CVR-7"), actor=engineer, is_active=False)
    api = api_for(viewer)

    everything = api.get("/parts").json()
    housing = api.get("/parts", q="housing").json()
    in_use = api.get("/parts", active="true").json()
    retired = api.get("/parts", active="false").json()
    paged = api.get("/parts", page_size=2, page=2).json()

    assert everything["count"] == 3
    assert [p["number"] for p in everything["results"]] == ["CVR-7", "HSG-4471", "SHF-100"]
    assert [p["number"] for p in housing["results"]] == ["HSG-4471"]
    assert [p["number"] for p in in_use["results"]] == ["HSG-4471", "SHF-100"]
    assert [p["number"] for p in retired["results"]] == ["CVR-7"]
    assert (paged["count"], [p["number"] for p in paged["results"]]) == (3, ["SHF-100"])


def test_characteristics_through_the_api(
    api_for: Any, engineer: User, viewer: User, housing: Part
) -> None:
    api = api_for(engineer)
    revision = _revision(housing)
    other = parts.create_part(actor=engineer, number="SHF-100", name="Shaft")
    shaft = parts.add_revision(other, actor=engineer, revision="A")
    parts.add_characteristic(
        shaft, actor=engineer, number="10", name="Ø20", kind="variable", usl=20
    )

    added = api.post(
        "/characteristics",
        {"revision": revision.pk, "number": "40", "name": "Ra", "kind": "variable", "usl": 1.6},
    )
    changed = api.patch(f"/characteristics/{added.json()['id']}", {"usl": 3.2, "unit": "µm"})
    one = api_for(viewer).get(f"/characteristics/{_bore(housing).pk}")
    by_part = api_for(viewer).get("/characteristics", part=housing.pk).json()
    by_revision = api_for(viewer).get("/characteristics", revision=shaft.pk).json()

    assert added.status_code == 201, added.json()
    assert added.json()["part_number"] == "HSG-4471"
    assert changed.status_code == 200 and (changed.json()["usl"], changed.json()["unit"]) == (
        3.2,
        "µm",
    )
    assert one.json()["lsl"] == 73.95 and one.json()["usl"] == 74.05
    assert one.json()["revision_label"] == "C" and one.json()["special_mark"] == "SC"
    assert [c["number"] for c in by_part["results"]] == ["10", "20", "30", "40"]
    assert [(c["part_number"], c["number"]) for c in by_revision["results"]] == [("SHF-100", "10")]


def test_unknown_ids_are_404_never_500(api_for: Any, viewer: User, engineer: User) -> None:
    api = api_for(engineer)

    assert api_for(viewer).get("/parts/999999").status_code == 404
    assert api_for(viewer).get("/characteristics/999999").status_code == 404
    assert api_for(viewer).get("/parts/999999/revisions").status_code == 404
    assert api.patch("/parts/999999", {"name": "x"}).status_code == 404
    assert api.post("/parts/999999/revisions", {"revision": "A"}).status_code == 404
    assert api.patch("/characteristics/999999", {"name": "x"}).status_code == 404
    assert api.patch("/parts/999999/revisions/999999", {"is_current": True}).status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/parts", {"number": "HSG-4471", "name": "Copy"}, "number"),
        ("/parts", {"number": "", "name": "Empty"}, "number"),
        ("/parts", {"number": "X-1"}, "name"),
        ("/characteristics", {"number": "99", "name": "B", "kind": "variable"}, "usl"),
        (
            "/characteristics",
            {"number": "99", "name": "B", "kind": "variable", "lsl": 2, "usl": 1},
            "usl",
        ),
        (
            "/characteristics",
            {"number": "99", "name": "B", "kind": "variable", "usl": 1, "nominal": 2},
            "nominal",
        ),
        (
            "/characteristics",
            {"number": "99", "name": "B", "kind": "variable", "usl": 1, "decimals": 9},
            "decimals",
        ),
        ("/characteristics", {"number": "99", "name": "B", "kind": "defects", "lsl": 0}, "lsl"),
        ("/characteristics", {"number": "10", "name": "B", "kind": "attribute"}, "number"),
        ("/characteristics", {"number": "99", "name": "B", "kind": "gauge"}, "kind"),
        (
            "/characteristics",
            {"revision": 999999, "number": "99", "name": "B", "kind": "attribute"},
            "revision",
        ),
    ],
)
def test_bad_fields_are_422_naming_the_field_and_save_nothing(
    api_for: Any, engineer: User, housing: Part, path: str, body: dict[str, Any], field: str
) -> None:
    if path == "/characteristics":
        body = {"revision": _revision(housing).pk, **body}

    answer = api_for(engineer).post(path, body)

    assert answer.status_code == 422, answer.json()
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert (Part.objects.count(), Characteristic.objects.count()) == (1, 3)


def test_a_patch_breaking_a_rule_is_422_and_changes_nothing(
    api_for: Any, engineer: User, housing: Part
) -> None:
    bore = _bore(housing)

    refused = api_for(engineer).patch(f"/characteristics/{bore.pk}", {"lsl": 74.1})
    renamed = api_for(engineer).patch(f"/parts/{housing.pk}", {"number": None})

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["usl"]
    assert renamed.status_code == 422 and renamed.json()["errors"][0]["field"] == "number"
    bore.refresh_from_db()
    assert bore.lsl == 73.95


def test_limits_under_an_approved_plan_are_409_naming_it(
    api_for: Any, engineer: User, housing: Part, approved_plan: InspectionPlan
) -> None:
    answer = api_for(engineer).patch(f"/characteristics/{_bore(housing).pk}", {"lsl": 73.9})

    assert answer.status_code == 409
    assert approved_plan.number in answer.json()["detail"]
    assert "revise the part" in answer.json()["detail"].lower()


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_writing_through_the_api_needs_manage_parts(
    api_for: Any, role: str, housing: Part, site: Site
) -> None:
    api = api_for(with_role(UserFactory(username=f"api-{role}", site=site), role))
    revision = _revision(housing)

    assert api.get("/parts").status_code == 200
    assert api.get(f"/characteristics/{_bore(housing).pk}").status_code == 200
    assert api.post("/parts", {"number": "X-1", "name": "X"}).status_code == 403
    assert api.patch(f"/parts/{housing.pk}", {"name": "X"}).status_code == 403
    assert api.post(f"/parts/{housing.pk}/revisions", {"revision": "D"}).status_code == 403
    added = api.post(
        "/characteristics",
        {"revision": revision.pk, "number": "70", "name": "X", "kind": "attribute"},
    )
    assert added.status_code == 403
    assert api.patch(f"/characteristics/{_bore(housing).pk}", {"name": "X"}).status_code == 403
    assert (Part.objects.count(), Characteristic.objects.count()) == (1, 3)


def test_without_inspection_view_nothing_is_read(api_for: Any, nobody: User, housing: Part) -> None:
    api = api_for(nobody)

    assert api.get("/parts").status_code == 403
    assert api.get(f"/parts/{housing.pk}").status_code == 403
    assert api.get("/characteristics").status_code == 403


def test_parts_cannot_be_deleted_through_the_api(
    api_for: Any, engineer: User, housing: Part
) -> None:
    answer = api_for(engineer).delete(f"/parts/{housing.pk}")

    assert answer.status_code in (404, 405)
    assert Part.objects.filter(pk=housing.pk).exists()


def test_list_calls_do_not_query_per_row(api_for: Any, engineer: User, viewer: User) -> None:
    api = api_for(viewer)

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            part = parts.create_part(actor=engineer, number=f"P-{n:03d}", name=f"Part {n}")
            revision = parts.add_revision(part, actor=engineer, revision="A")
            parts.add_characteristic(
                revision, actor=engineer, number="10", name="Length", kind="variable", usl=n + 1
            )

    grow(0, 2)
    api.get("/parts")  # warm: content types, permissions
    with CaptureQueriesContext(connection) as few_parts:
        api.get("/parts")
    with CaptureQueriesContext(connection) as few_characteristics:
        api.get("/characteristics")
    grow(2, 12)
    with CaptureQueriesContext(connection) as many_parts:
        listed = api.get("/parts")
    with CaptureQueriesContext(connection) as many_characteristics:
        api.get("/characteristics")

    assert listed.json()["count"] == 14 and listed.json()["results"][0]["current_revision"] == "A"
    assert len(many_parts) == len(few_parts)
    assert len(many_characteristics) == len(few_characteristics)


def test_the_openapi_schema_describes_the_fields(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    components = schema["components"]["schemas"]

    assert {"get", "post"} <= set(paths["/api/v1/parts"])
    assert {"get", "patch"} <= set(paths["/api/v1/characteristics/{characteristic_id}"])
    assert "description" in components["CharacteristicIn"]["properties"]["kind"]


# ----------------------------------------------------------------------------- pages


def test_the_parts_list_shows_search_and_the_new_button_to_managers_only(
    client_for: Any, engineer: User, viewer: User, housing: Part
) -> None:
    parts.create_part(actor=engineer, number="SHF-100", name="Shaft")

    as_viewer = client_for(viewer).get("/inspection/parts/")
    searched = client_for(viewer).get("/inspection/parts/", {"q": "shaft"})
    as_engineer = client_for(engineer).get("/inspection/parts/")

    assert as_viewer.status_code == 200
    assert "HSG-4471" in as_viewer.content.decode()
    assert "/inspection/parts/new/" not in as_viewer.content.decode()
    assert "/inspection/parts/new/" in as_engineer.content.decode()
    assert "SHF-100" in searched.content.decode()
    assert "HSG-4471" not in searched.content.decode()


def test_the_parts_list_filters_by_status(client_for: Any, engineer: User, housing: Part) -> None:
    parts.create_part(actor=engineer, number="CVR-7", name="Cover")
    parts.change_part(Part.objects.get(number="CVR-7"), actor=engineer, is_active=False)

    in_use = client_for(engineer).get("/inspection/parts/", {"is_active": "yes"}).content.decode()
    retired = client_for(engineer).get("/inspection/parts/", {"is_active": "no"}).content.decode()

    assert "HSG-4471" in in_use and "CVR-7" not in in_use
    assert "CVR-7" in retired and "HSG-4471" not in retired


def test_the_parts_list_exports_csv_and_xlsx(
    client_for: Any, viewer: User, engineer: User, housing: Part
) -> None:
    parts.create_part(actor=engineer, number="=SUM(A1)", name="Formula-looking number")
    client = client_for(viewer)

    exported = client.get("/inspection/parts/", {"export": "csv", "q": "HSG"})
    workbook = client.get("/inspection/parts/", {"export": "xlsx"})
    rows = list(csv.reader(io.StringIO(exported.getvalue().decode().lstrip("\ufeff"))))
    sheet = list(load_workbook(io.BytesIO(workbook.getvalue())).active.iter_rows(values_only=True))

    header = ["Number", "Name", "Current revision", "Customer", "Status", "Changed"]
    assert rows[0] == header
    assert rows[1][:5] == ["HSG-4471", "Pump housing", "C", "Acme Pumps", "active"]
    assert len(rows) == 2
    assert list(sheet[0]) == header
    # A cell a spreadsheet would run as a formula is written as text (CSV injection).
    assert sheet[1][0] == "'=SUM(A1)"


def test_the_parts_list_page_does_not_query_per_row(
    client_for: Any, engineer: User, viewer: User
) -> None:
    client = client_for(viewer)
    for n in range(2):
        parts.add_revision(
            parts.create_part(actor=engineer, number=f"P-{n:03d}", name="x"),
            actor=engineer,
            revision="A",
        )
    client.get("/inspection/parts/")
    with CaptureQueriesContext(connection) as few:
        client.get("/inspection/parts/")
    for n in range(2, 14):
        parts.add_revision(
            parts.create_part(actor=engineer, number=f"P-{n:03d}", name="x"),
            actor=engineer,
            revision="A",
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/inspection/parts/")

    assert len(many) == len(few)


def test_the_part_page_shows_the_current_revisions_characteristics(
    client_for: Any, viewer: User, engineer: User, housing: Part
) -> None:
    page = client_for(viewer).get(f"/inspection/parts/{housing.pk}/")
    body = page.content.decode()
    managed = client_for(engineer).get(f"/inspection/parts/{housing.pk}/").content.decode()

    assert page.status_code == 200
    for shown in ("Bore Ø74", "73.950", "74.050", "74.000", "Bore gauge", "SC", "Critical"):
        assert shown in body
    assert "Attribute (pass/fail)" in body and "Defect count" in body
    assert f"/inspection/parts/{housing.pk}/edit/" not in body
    assert "/characteristics/new/" not in body
    assert f"/inspection/parts/{housing.pk}/edit/" in managed
    assert "/characteristics/new/" in managed
    assert client_for(viewer).get("/inspection/parts/999999/").status_code == 404


def test_a_part_is_created_and_edited_through_the_pages(client_for: Any, engineer: User) -> None:
    client = client_for(engineer)

    created = client.post("/inspection/parts/new/", {"number": "SHF-100", "name": "Shaft"})
    part = Part.objects.get(number="SHF-100")
    revised = client.post(
        f"/inspection/parts/{part.pk}/revisions/new/", {"revision": "A", "is_current": "on"}
    )
    revision = part.revisions.get()
    added = client.post(
        f"/inspection/parts/revisions/{revision.pk}/characteristics/new/",
        {"number": "10", "name": "Ø20 h6", "kind": "variable", "char_class": "major",
         "nominal": "20", "lsl": "19.987", "usl": "20", "unit": "mm", "decimals": "3"},
    )  # fmt: skip
    edited = client.post(
        f"/inspection/parts/{part.pk}/edit/", {"number": "SHF-100", "name": "Drive shaft"}
    )

    assert created.status_code == 302
    assert revised.status_code == 302 and revision.is_current
    assert added.status_code == 302
    assert Characteristic.objects.get(revision=revision).lsl == 19.987
    assert edited.status_code == 302
    part.refresh_from_db()
    assert (part.name, part.is_active) == ("Drive shaft", False)  # the box was left unticked


def test_a_page_post_breaking_a_rule_is_422_on_the_field_and_saves_nothing(
    client_for: Any, engineer: User, housing: Part
) -> None:
    client = client_for(engineer)
    revision = _revision(housing)

    limits = client.post(
        f"/inspection/parts/revisions/{revision.pk}/characteristics/new/",
        {"number": "40", "name": "Width", "kind": "variable", "char_class": "major",
         "lsl": "5", "usl": "4", "decimals": "2"},
    )  # fmt: skip
    duplicate = client.post("/inspection/parts/new/", {"number": "HSG-4471", "name": "Copy"})

    assert limits.status_code == 422
    assert 'id="id_usl_error"' in limits.content.decode()
    assert duplicate.status_code == 422
    assert 'id="id_number_error"' in duplicate.content.decode()
    assert (Part.objects.count(), Characteristic.objects.count()) == (1, 3)


def test_a_page_edit_under_an_approved_plan_names_the_plan(
    client_for: Any, engineer: User, housing: Part, approved_plan: InspectionPlan
) -> None:
    bore = _bore(housing)

    answer = client_for(engineer).post(
        f"/inspection/parts/characteristics/{bore.pk}/edit/",
        {"number": "10", "name": "Bore Ø74", "kind": "variable", "char_class": "major",
         "nominal": "74", "lsl": "73.9", "usl": "74.05", "unit": "mm", "decimals": "3",
         "is_active": "on"},
    )  # fmt: skip

    assert answer.status_code == 422
    assert approved_plan.number in answer.content.decode()
    bore.refresh_from_db()
    assert bore.lsl == 73.95


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_the_forms_are_refused_without_manage_parts(
    client_for: Any, role: str, housing: Part, site: Site
) -> None:
    client = client_for(with_role(UserFactory(username=f"page-{role}", site=site), role))
    revision = _revision(housing)

    assert client.get("/inspection/parts/new/").status_code == 403
    assert client.post("/inspection/parts/new/", {"number": "X", "name": "X"}).status_code == 403
    assert client.get(f"/inspection/parts/{housing.pk}/edit/").status_code == 403
    assert (
        client.post(
            f"/inspection/parts/revisions/{revision.pk}/characteristics/new/",
            {
                "number": "70",
                "name": "X",
                "kind": "attribute",
                "char_class": "minor",
                "decimals": "0",
            },
        ).status_code
        == 403
    )
    assert (
        client.post(f"/inspection/parts/{housing.pk}/revisions/{revision.pk}/current/").status_code
        == 403
    )
    assert (Part.objects.count(), Characteristic.objects.count()) == (1, 3)
