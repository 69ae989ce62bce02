"""Correspondences the organisation makes between frameworks' requirements: through the API
and the requirement page; refused naming the field; shipped ones stay as their file says."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.compliance import mappings
from qualitas.compliance.models import Requirement, RequirementMapping
from qualitas.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db

BASE = "/frameworks/mappings"


def test_a_quality_manager_maps_and_unmaps_through_the_api(
    api_for: Any, quality_manager: User
) -> None:
    api = api_for(quality_manager)
    made = api.post(
        BASE,
        {
            "source": "iso-13485-2016:7.4.1",
            "target": "iso-27001-2022:A.5.19",
            "relation": "related",
        },
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["source"] == "iso-13485-2016:7.4.1" and body["shipped"] is False
    listed = api.get(f"{BASE}?framework=iso-27001-2022&shipped=false").json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]
    # Its requirement shows it, in both frameworks.
    detail = api.get("/frameworks/iso-27001-2022/requirement?ref_id=A.5.19").json()
    assert {"framework": "iso-13485-2016", "ref_id": "7.4.1"} in [
        {k: m[k] for k in ("framework", "ref_id")} for m in detail["mappings"]
    ]
    assert api.delete(f"{BASE}/{body['id']}").status_code == 204
    assert not RequirementMapping.objects.filter(pk=body["id"]).exists()
    assert AuditEvent.objects.filter(action="delete", object_id=body["id"]).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"source": "iso-9001-2015:8.4", "target": "iso-9001-2015:8.5"}, "target"),
        ({"source": "iso-9001-2015:99.9", "target": "iso-13485-2016:7.4"}, "source"),
        ({"source": "iso-9001-2015:8.4", "target": "nonsense"}, "target"),
        (
            {"source": "iso-9001-2015:8.4", "target": "iso-13485-2016:7.4", "relation": "x"},
            "relation",
        ),
    ],
)
def test_bad_correspondences_are_refused_naming_the_field(
    api_for: Any, quality_manager: User, payload: dict[str, str], field: str
) -> None:
    before = RequirementMapping.objects.count()
    answer = api_for(quality_manager).post(BASE, payload)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert RequirementMapping.objects.count() == before


def test_a_correspondence_held_already_either_way_is_refused(
    api_for: Any, quality_manager: User
) -> None:
    shipped = RequirementMapping.objects.filter(shipped=True).select_related(
        "source__framework", "target__framework"
    )[0]
    answer = api_for(quality_manager).post(
        BASE,
        {
            "source": f"{shipped.target.framework.key}:{shipped.target.ref_id}",
            "target": f"{shipped.source.framework.key}:{shipped.source.ref_id}",
        },
    )
    assert answer.status_code == 422 and "already" in answer.text
    # A shipped one is not removed by hand.
    assert api_for(quality_manager).delete(f"{BASE}/{shipped.pk}").status_code == 409
    assert RequirementMapping.objects.filter(pk=shipped.pk).exists()


def test_who_may_map(api_for: Any, viewer: User) -> None:
    answer = api_for(viewer).post(
        BASE, {"source": "iso-9001-2015:8.4", "target": "iso-13485-2016:7.4"}
    )
    assert answer.status_code == 403
    assert api_for(viewer).get(BASE).status_code == 200


def test_the_requirement_page_adds_and_removes_ours(
    client: Any, quality_manager: User, viewer: User
) -> None:
    requirement = Requirement.objects.get(framework__key="iso-9001-2015", ref_id="8.4.3")
    page = f"/compliance/requirements/{requirement.pk}/"
    client.force_login(viewer)
    assert b'data-testid="mapping-add"' not in client.get(page).content
    client.force_login(quality_manager)
    assert b'data-testid="mapping-add"' in client.get(page).content
    client.post(f"{page}mappings/", {"target": "iso-27001-2022:A.5.20", "relation": "related"})
    made = RequirementMapping.objects.get(source=requirement, shipped=False)
    shown = client.get(page).content.decode()
    assert "A.5.20" in shown and "(ours)" in shown
    client.post(f"{page}mappings/{made.pk}/remove/")
    assert not RequirementMapping.objects.filter(pk=made.pk).exists()
    refused = client.post(f"{page}mappings/", {"target": "iso-9001-2015:8.5"}, follow=True)
    assert "not one of the same" in refused.content.decode()
    assert mappings.listed(shipped=False).count() == 0
