"""Change requests through the API and the pages: the impact assessment, the board's votes,
starting a revision, raising from a nonconformance; errors naming fields; permissions per
role and site; list query counts that do not grow with the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.changes import services
from qualitas.changes.models import ChangeRequest, ImpactAnswer
from qualitas.core import permissions, workflow
from qualitas.core.models import RecordLink, Site, User
from qualitas.documents.models import Document
from tests.changes.conftest import answer_all, person, sign
from tests.factories import PASSWORD, SiteFactory

pytestmark = pytest.mark.django_db
Raise = Callable[..., ChangeRequest]


def _queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def test_list_page_and_api_list_take_as_many_queries_for_many_rows(
    raise_cr: Raise, qm: User, client_for: Any, api_for: Any
) -> None:
    raise_cr()
    client, api = client_for(qm), api_for(qm)
    client.get("/change-requests/")  # the session's and the token's first reads
    api.get("/change-requests")
    page = _queries(lambda: client.get("/change-requests/?urgency=standard&site="))
    listed = _queries(lambda: api.get("/change-requests"))
    for n in range(6):
        raise_cr(title=f"Change {n}", change_type="process", urgency="minor")

    assert _queries(lambda: client.get("/change-requests/?urgency=&site=")) == page
    assert _queries(lambda: api.get("/change-requests")) == listed
    export = client.get("/change-requests/?export=csv&change_type=process")
    exported = b"".join(export.streaming_content)
    assert export.status_code == 200 and exported.count(b"Change ") == 6


def test_the_impact_assessment_through_the_api(
    raise_cr: Raise, originator: User, sop: Document, api_for: Any
) -> None:
    cr = workflow.fire(raise_cr(), "assess", actor=originator)
    api = api_for(originator)
    bad = api.put(
        f"/change-requests/{cr.pk}/impact",
        {
            "version": cr.version,
            "answers": [
                {"item": "documents", "answer": "yes", "comment": "Revise"},
                {"item": "suppliers", "answer": "no"},
            ],
        },
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "answers[0].documents",
        "answers[1].item",
    }
    assert not ImpactAnswer.objects.exists()

    good = api.put(
        f"/change-requests/{cr.pk}/impact",
        {
            "version": cr.version,
            "answers": [
                {"item": "documents", "answer": "yes", "comment": "Revise", "documents": [sop.pk]},
                {"item": "training", "answer": "yes", "comment": "Brief", "audiences": ["OPS"]},
            ],
        },
    )
    assert good.status_code == 200
    body = good.json()
    assert body["missing"] == ["Risk", "Cost"]
    assert body["items"][0]["documents"] == [sop.pk]
    stale = api.put(
        f"/change-requests/{cr.pk}/impact",
        {"version": cr.version, "answers": [{"item": "cost", "answer": "no"}]},
    )
    assert stale.status_code == 409
    missing = api.put(f"/change-requests/{cr.pk}/impact", {"answers": []})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"].endswith("version")


def test_board_votes_and_starting_a_revision_through_the_api(
    raise_cr: Raise, originator: User, qm: User, sop: Document, api_for: Any
) -> None:
    cr = workflow.fire(raise_cr(), "assess", actor=originator)
    cr = answer_all(
        cr,
        originator,
        documents=services.ImpactInput("documents", "yes", "Revise", documents=[sop.pk]),
    )
    cr = workflow.fire(cr, "submit_to_board", actor=originator)
    voted = api_for(qm).post(
        f"/change-requests/{cr.pk}/transitions/board_approve",
        {"version": cr.version, "comment": "Agreed", "password": PASSWORD},
    )
    assert voted.status_code == 200, voted.content
    board = api_for(originator).get(f"/change-requests/{cr.pk}/board-votes").json()
    assert board["rule"] == "Quality Manager, at least 1 approval"
    assert [(v["signer_id"], v["vote"]) for v in board["votes"]] == [(qm.pk, "approved")]
    assert board["approved_at"] is not None

    api = api_for(originator)
    unnamed = api.post(f"/change-requests/{cr.pk}/start-revision", {"document": 999999})
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["field"] == "document"
    started = api.post(f"/change-requests/{cr.pk}/start-revision", {"document": sop.pk})
    assert started.status_code == 201, started.content
    assert started.json()["state"] == "draft"
    link = RecordLink.objects.get(kind="implements")
    assert (link.source_id, link.target_id) == (started.json()["revision_id"], cr.pk)


def test_raising_from_a_nonconformance_through_the_api(
    raise_nc: Any, inspector: User, plant: Site, api_for: Any
) -> None:
    nc = raise_nc(site=plant)
    api = api_for(inspector)
    raised = api.post(
        "/change-requests/raise-from",
        {"raised_from": nc.number, "title": "New deburring tool", "change_type": "process"},
    )
    assert raised.status_code == 201, raised.content
    cr = ChangeRequest.objects.get(number=raised.json()["number"])
    assert RecordLink.objects.get(kind="raised_from").source_id == cr.pk
    unknown = api.post(
        "/change-requests/raise-from",
        {"raised_from": "NC-1999-0001", "title": "x", "change_type": "process"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "raised_from"
    wrong_type = api.post(
        "/change-requests/raise-from",
        {"raised_from": nc.number, "title": "x", "change_type": "telepathy"},
    )
    assert wrong_type.status_code == 422
    assert ChangeRequest.objects.count() == 1


def test_the_change_page_shows_impact_votes_plan_and_revisions(
    raise_cr: Raise, originator: User, qm: User, sop: Document, client_for: Any
) -> None:
    cr = workflow.fire(raise_cr(), "assess", actor=originator)
    client = client_for(originator)
    form = {
        "version": cr.version,
        "documents-answer": "yes",
        "documents-comment": "Add the probe qualification",
        "documents-documents": [str(sop.pk)],
        "training-answer": "yes",
        "training-comment": "Brief the lab",
        "training-audiences": "",
        "risk-answer": "no",
        "cost-answer": "n_a",
    }
    refused = client.post(f"/change-requests/{cr.pk}/impact/", form)
    assert refused.status_code == 422
    assert b"Name the roles or departments to train." in refused.content
    assert not ImpactAnswer.objects.exists()
    form["training-audiences"] = "CNC Operator, OPS"
    saved = client.post(f"/change-requests/{cr.pk}/impact/", form)
    assert saved.status_code == 302
    cr = workflow.fire(cr, "submit_to_board", actor=originator)
    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm), comment="Agreed")
    cr = workflow.fire(cr, "implement", actor=originator)
    started = client.post(f"/change-requests/{cr.pk}/start-revision/", {"document": sop.pk})
    assert started.status_code == 302

    page = client.get(f"/change-requests/{cr.pk}/").content.decode()
    assert "CNC Operator, OPS" in page
    assert sop.number in page
    assert "approved</span> Signed by" in page
    assert "0/0 actions done" in page
    assert f"{sop.number} rev B" in page and "Draft" in page
    assert 'data-testid="start-revision"' not in page  # started already


def test_changes_in_flight_on_the_quality_managers_home(
    raise_cr: Raise, qm: User, originator: User, client_for: Any
) -> None:
    cr = raise_cr(urgency="emergency", title="Bypass the coolant filter")
    assert cr.number.encode() in client_for(qm).get("/").content
    assert b"panel-changes-in-flight" not in client_for(originator).get("/").content


def test_who_may_see_and_raise_change_requests(
    raise_cr: Raise, plant: Site, client_for: Any, api_for: Any
) -> None:
    cr = raise_cr()
    elsewhere = SiteFactory(code="LDS", name="Leeds")
    outsider = person("leeds", permissions.CONTRIBUTOR, site=elsewhere)
    reader = person("reader", permissions.VIEWER, site=plant)

    assert api_for(outsider).get(f"/change-requests/{cr.pk}").status_code == 404
    assert api_for(reader).get(f"/change-requests/{cr.pk}").status_code == 200
    assert client_for(outsider).get(f"/change-requests/{cr.pk}/impact/").status_code == 404
    assert client_for(reader).get(f"/change-requests/{cr.pk}/impact/").status_code in (403, 409)
    created = api_for(reader).post(
        "/change-requests", {"title": "x", "change_type": "process", "site": plant.pk}
    )
    assert created.status_code == 403
    assert ChangeRequest.objects.count() == 1
