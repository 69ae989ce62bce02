"""The effectiveness check (8D D7) is its own step: a page and an API action, for the owner
and CAPA editors only, at the effectiveness step only, audited, never through Edit."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from qualitas.capa import services
from qualitas.capa.models import Capa
from qualitas.core import actions, records, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.recordapi import history_of
from tests.capa.conftest import approved_plan

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _implementing(owner: User, approver: User) -> Capa:
    """The approved plan carried out, the effectiveness criteria set."""
    capa = approved_plan(owner, approver)
    actions.complete(actions.actions_of(capa).get(), actor=owner, note="Done")
    return records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="No repeat for 90 days",
        effectiveness_due_on=TODAY,
    )


@pytest.fixture
def checking(owner: User, engineer: User) -> Capa:
    capa = _implementing(owner, engineer)
    checked: Capa = workflow.fire(capa, "implemented", actor=owner)
    return checked


def test_the_owner_records_the_check_and_the_trail_says_who(checking: Capa, owner: User) -> None:
    capa = services.record_effectiveness(
        checking,
        actor=owner,
        expected_version=checking.version,
        result="passed",
        evidence="  0 NCs in 90 days  ",
        checked_on=TODAY,
    )

    assert (capa.effectiveness_result, capa.effectiveness_evidence) == (
        "passed",
        "0 NCs in 90 days",
    )
    assert capa.effectiveness_checked_by == owner
    assert capa.version == checking.version + 1
    event = list(history_of(capa))[-1]
    assert (event.action, event.actor, event.reason) == (
        "update",
        owner,
        "Effectiveness check recorded",
    )
    assert event.changes["effectiveness_result"] == {"old": "pending", "new": "passed"}
    assert event.changes["effectiveness_checked_by"]["new"] == owner.pk


def test_checked_on_defaults_to_today(checking: Capa, quality_manager: User) -> None:
    capa = services.record_effectiveness(
        checking, actor=quality_manager, result="failed", evidence="2 NCs in March"
    )

    assert (capa.effectiveness_checked_on, capa.effectiveness_checked_by) == (
        TODAY,
        quality_manager,
    )


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"result": "pending"}, "result"),
        ({"result": "maybe"}, "result"),
        ({"evidence": "   "}, "evidence"),
        ({"checked_on": TODAY + datetime.timedelta(days=1)}, "checked_on"),
        ({"checked_on": TODAY - datetime.timedelta(days=400)}, "checked_on"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    checking: Capa, owner: User, given: dict[str, Any], field: str
) -> None:
    data = {"result": "passed", "evidence": "0 NCs", **given}

    with pytest.raises(InvalidInput) as refused:
        services.record_effectiveness(checking, actor=owner, **data)

    assert [e.field for e in refused.value.errors] == [field]
    checking.refresh_from_db()
    assert checking.effectiveness_result == "pending"


def test_only_the_owner_and_capa_editors_may_record_it(
    checking: Capa, contributor: User, viewer: User, engineer: User
) -> None:
    for outsider in (contributor, viewer, engineer):
        with pytest.raises(PermissionDenied):
            services.record_effectiveness(
                checking, actor=outsider, result="passed", evidence="0 NCs"
            )


def test_only_at_the_effectiveness_step(owner: User, engineer: User) -> None:
    capa = _implementing(owner, engineer)

    with pytest.raises(Conflict, match="Effectiveness check step"):
        services.record_effectiveness(capa, actor=owner, result="passed", evidence="0 NCs")


def test_the_edit_form_and_patch_no_longer_take_the_check(
    checking: Capa, owner: User, client_for: Any, api_for: Any
) -> None:
    form = client_for(owner).get(f"/capas/{checking.pk}/edit/").content.decode()
    refused = api_for(owner).patch(
        f"/capas/{checking.pk}",
        {"version": checking.version, "effectiveness_result": "passed"},
    )

    assert 'name="effectiveness_result"' not in form
    assert 'name="effectiveness_evidence"' not in form
    checking.refresh_from_db()
    # The generic PATCH takes only the editable fields (others are not in its schema).
    assert refused.status_code in (200, 422)
    assert checking.effectiveness_result == "pending"
    with pytest.raises(InvalidInput) as edited:
        records.change_record(
            checking, actor=owner, expected_version=checking.version, effectiveness_result="passed"
        )
    assert [e.field for e in edited.value.errors] == ["effectiveness_result"]


def test_the_api_action(
    checking: Capa, owner: User, viewer: User, contributor: User, api_for: Any
) -> None:
    url = f"/capas/{checking.pk}/effectiveness"
    body = {"version": checking.version, "result": "passed", "evidence": "0 NCs"}

    assert api_for(viewer).post(url, body).status_code == 403
    assert api_for(contributor).post(url, body).status_code == 403
    bad = api_for(owner).post(url, {**body, "result": "perhaps"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["result"]
    no_evidence = api_for(owner).post(url, {k: v for k, v in body.items() if k != "evidence"})
    assert no_evidence.status_code == 422
    assert "evidence" in no_evidence.json()["errors"][0]["field"]
    bad_date = api_for(owner).post(url, {**body, "checked_on": "07/12/2026"})
    assert bad_date.status_code == 422
    assert "checked_on" in bad_date.json()["errors"][0]["field"]

    done = api_for(owner).post(url, body)
    stale = api_for(owner).post(url, body)

    assert done.status_code == 200, done.json()
    assert done.json() | {"version": 0} == {
        "capa": checking.pk,
        "version": 0,
        "state": "effectiveness",
        "result": "passed",
        "evidence": "0 NCs",
        "checked_by": owner.pk,
        "checked_by_name": owner.printed_name,
        "checked_on": TODAY.isoformat(),
    }
    assert stale.status_code == 409
    assert api_for(viewer).get(url).json()["result"] == "passed"


def test_the_page(
    checking: Capa, owner: User, viewer: User, contributor: User, client_for: Any
) -> None:
    url = f"/capas/{checking.pk}/effectiveness/"
    detail = client_for(owner).get(f"/capas/{checking.pk}/").content.decode()
    assert url in detail
    assert url not in client_for(viewer).get(f"/capas/{checking.pk}/").content.decode()
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(contributor).post(url, {"result": "passed"}).status_code == 403

    page = client_for(owner).get(url)
    assert page.status_code == 200
    assert "No repeat for 90 days" in page.content.decode()  # the criteria to check against
    form = {"version": checking.version, "result": "passed", "checked_on": TODAY.isoformat()}
    empty = client_for(owner).post(url, {**form, "evidence": ""})
    future = client_for(owner).post(
        url, {**form, "evidence": "x", "checked_on": (TODAY + datetime.timedelta(days=2))}
    )
    saved = client_for(owner).post(url, {**form, "evidence": "0 NCs in 90 days"})

    assert empty.status_code == 422 and empty.context["form"].errors["evidence"]
    assert future.status_code == 422
    assert "future" in future.context["form"].errors["checked_on"][0]
    assert saved.status_code == 302 and saved["Location"] == f"/capas/{checking.pk}/"
    checking.refresh_from_db()
    assert (checking.effectiveness_result, checking.effectiveness_checked_by) == ("passed", owner)
    shown = client_for(viewer).get(f"/capas/{checking.pk}/").content.decode()
    assert f"checked by {owner.printed_name} on {TODAY:%Y-%m-%d}" in shown


def test_the_8d_report_says_who_checked(checking: Capa, owner: User) -> None:
    from qualitas.capa import eight_d

    capa = services.record_effectiveness(checking, actor=owner, result="passed", evidence="ok")

    assert eight_d.build(capa, viewer=owner).effectiveness_checked == (
        f"{owner.printed_name} on {TODAY:%Y-%m-%d}"
    )
