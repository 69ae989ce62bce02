"""The nonconformance rule book (`policy.py`): each rule against people holding their role at
the NC's site, at another site, or not at all; and the services, pages and API refusing
exactly whom the rule refuses, saving nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from qualitas.capa.models import Capa
from qualitas.core import links, workflow
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import RecordLink, User
from qualitas.nonconformance import policy, services
from qualitas.nonconformance.models import CostLine, DefectCode, DispositionLine, Nonconformance
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(
    site: Any, other_site: Any, inspector: User, viewer: User, nobody: User
) -> dict[str, User]:
    """Who is who around an NC at Headquarters. The people "there" hold their role at the
    branch plant and only read Headquarters' records, so the NC is visible to them."""

    def person(name: str, role: str, at: Any, reads_here: bool = False) -> User:
        user = with_role(UserFactory(username=name), role, site=at)
        return with_role(user, "viewer", site=site) if reads_here else user

    return {
        "owner": inspector,
        "qm_here": person("qm_here", "quality-manager", site),
        "approver_here": person("approver_here", "approver", site),
        "qm_there": person("qm_there", "quality-manager", other_site, reads_here=True),
        "approver_there": person("approver_there", "approver", other_site, reads_here=True),
        "colleague": person("colleague", "contributor", site),
        "viewer": viewer,
        "nobody": nobody,
    }


@pytest.fixture
def nc(raise_nc: Any, site: Any, inspector: User) -> Nonconformance:
    raised: Nonconformance = raise_nc(site=site)
    return raised


def _to_review(nc: Nonconformance, owner: User) -> Nonconformance:
    nc = workflow.fire(nc, "contain", actor=owner, comment="Lot quarantined")
    return workflow.fire(nc, "submit_review", actor=owner)


def _holders(rule: Any, cast: dict[str, User], *record: Any) -> set[str]:
    return {name for name, user in cast.items() if rule(user, *record)}


# --- The rules, person by person -----------------------------------------------------------

WORKS_ON_IT = {"owner", "qm_here", "approver_here"}


def test_disposition_is_the_review_boards_at_the_ncs_site(
    cast: dict[str, User], nc: Nonconformance
) -> None:
    assert _holders(policy.may_decide_disposition, cast, nc) == {"qm_here", "approver_here"}


def test_costs_are_recorded_and_removed_by_who_works_on_the_nc(
    cast: dict[str, User], nc: Nonconformance
) -> None:
    assert _holders(policy.may_record_costs, cast, nc) == WORKS_ON_IT
    assert _holders(policy.may_remove_costs, cast, nc) == WORKS_ON_IT


def test_escalation_is_for_who_works_on_a_live_nc(
    cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    assert _holders(policy.may_escalate, cast, nc) == WORKS_ON_IT

    cancelled = workflow.fire(nc, "cancel", actor=inspector, comment="Raised twice")

    assert _holders(policy.may_escalate, cast, cancelled) == set()
    # Cancelled, the owner no longer edits it, but the review board still books its costs.
    assert _holders(policy.may_record_costs, cast, cancelled) == {"qm_here", "approver_here"}


def test_rules_without_a_record_hold_anywhere(cast: dict[str, User]) -> None:
    # Quality managers anywhere work on NCs, so they see which should become CAPAs.
    assert _holders(policy.may_see_escalation_candidates, cast) == {"qm_here", "qm_there"}
    assert _holders(policy.may_manage_defect_codes, cast) == {"qm_here", "qm_there"}
    readers = set(cast) - {"nobody"}
    assert _holders(policy.may_see_analysis, cast) == readers
    assert _holders(policy.may_see_defect_codes, cast) == readers
    assert not policy.may_see_analysis(AnonymousUser())


def test_each_refusal_names_what_is_refused(cast: dict[str, User], nc: Nonconformance) -> None:
    colleague, qm_there = cast["colleague"], cast["qm_there"]
    refusals = [
        (lambda: policy.require_record_costs(colleague, nc), f"record costs on {nc.number}"),
        (lambda: policy.require_remove_costs(colleague, nc), f"change the costs of {nc.number}"),
        (lambda: policy.require_escalate(colleague, nc), f"You may not escalate {nc.number}."),
        (
            lambda: policy.require_decide_disposition(qm_there, nc),
            "at Headquarters: it needs 'Decide dispositions in material review.'",
        ),
        (
            lambda: policy.require_manage_defect_codes(cast["approver_here"]),
            "it needs 'Maintain the defect codes.'",
        ),
        (lambda: policy.require_see_analysis(cast["nobody"]), "it needs 'See nonconformances.'"),
        (
            lambda: policy.require_see_defect_codes(cast["nobody"]),
            "it needs 'See nonconformances.'",
        ),
    ]
    for refuse, words in refusals:
        with pytest.raises(PermissionDenied) as refused:
            refuse()
        assert words in refused.value.detail
    # Those the rules allow pass.
    policy.require_record_costs(cast["owner"], nc)
    policy.require_escalate(cast["approver_here"], nc)
    policy.require_decide_disposition(cast["qm_here"], nc)


# --- The services enforce the same rules ---------------------------------------------------


@pytest.mark.parametrize("who", ["qm_there", "approver_there", "colleague", "viewer"])
def test_services_refuse_whom_the_rules_refuse(
    cast: dict[str, User], nc: Nonconformance, inspector: User, who: str
) -> None:
    person = cast[who]
    line = services.add_cost(nc, actor=inspector, category="scrap", amount=10)
    nc = _to_review(nc, inspector)
    assert not policy.may_record_costs(person, nc)
    assert not policy.may_decide_disposition(person, nc)

    with pytest.raises(PermissionDenied, match="record costs"):
        services.add_cost(nc, actor=person, category="scrap", amount=5)
    with pytest.raises(PermissionDenied, match="change the costs"):
        services.remove_cost(line, actor=person)
    with pytest.raises(PermissionDenied, match="escalate"):
        services.escalate_to_capa(nc, actor=person)
    with pytest.raises(PermissionDenied, match="Decide dispositions"):
        services.set_disposition(
            nc,
            actor=person,
            lines=[services.DispositionInput("scrap", Decimal(10))],
            expected_version=nc.version,
        )

    assert list(CostLine.objects.all()) == [line]
    assert not DispositionLine.objects.exists()
    assert not Capa.objects.exists()


def test_a_cancelled_nc_is_not_escalated_even_by_the_review_board(
    cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    cancelled = workflow.fire(nc, "cancel", actor=inspector, comment="Raised twice")

    with pytest.raises(PermissionDenied, match="it is cancelled"):
        services.escalate_to_capa(cancelled, actor=cast["qm_here"])

    assert not Capa.objects.exists()
    assert not RecordLink.objects.exists()


def test_services_let_through_whom_the_rules_allow(
    cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    approver = cast["approver_here"]
    line = services.add_cost(nc, actor=approver, category="scrap", amount=5)
    services.remove_cost(line, actor=cast["qm_here"])
    nc = _to_review(nc, inspector)
    services.set_disposition(
        nc,
        actor=approver,
        lines=[services.DispositionInput("scrap", nc.quantity_nonconforming)],
        expected_version=nc.version,
    )
    capa = services.escalate_to_capa(nc, actor=inspector)

    assert not CostLine.objects.exists()
    assert DispositionLine.objects.get().decision == "scrap"
    assert [v.other for v in links.links_of(nc, viewer=inspector)] == [capa]


# --- Pages and API: 403 and nothing saved ----------------------------------------------------


def test_the_nc_page_offers_only_what_the_rules_allow(
    client_for: Any, cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    nc = _to_review(nc, inspector)

    def page(who: str) -> str:
        response = client_for(cast[who]).get(f"/nonconformances/{nc.pk}/")
        assert response.status_code == 200
        return str(response.content.decode())

    for who in ("owner", "qm_here", "approver_here", "qm_there", "colleague"):
        shown = page(who)
        assert ('data-testid="escalate"' in shown) == policy.may_escalate(cast[who], nc), who
        assert (f"/nonconformances/{nc.pk}/costs/" in shown) == policy.may_record_costs(
            cast[who], nc
        ), who
        assert ('data-testid="edit-disposition"' in shown) == policy.may_decide_disposition(
            cast[who], nc
        ), who


def test_pages_refuse_whom_the_rules_refuse(
    client_for: Any, cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    line = services.add_cost(nc, actor=inspector, category="scrap", amount=10)
    nc = _to_review(nc, inspector)
    client = client_for(cast["qm_there"])
    base = f"/nonconformances/{nc.pk}"

    responses = [
        client.post(f"{base}/costs/", {"category": "scrap", "amount": "5"}),
        client.post(f"{base}/costs/{line.pk}/remove/"),
        client.post(f"{base}/escalate/"),
        client.get(f"{base}/disposition/"),
        client.post(f"{base}/disposition/", {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"}),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert list(CostLine.objects.all()) == [line]
    assert not Capa.objects.exists()


def test_the_api_refuses_whom_the_rules_refuse(
    api_for: Any, cast: dict[str, User], nc: Nonconformance, inspector: User
) -> None:
    line = services.add_cost(nc, actor=inspector, category="scrap", amount=10)
    nc = _to_review(nc, inspector)
    api = api_for(cast["approver_there"])
    base = f"/nonconformances/{nc.pk}"

    added = api.post(f"{base}/cost-lines", {"category": "scrap", "amount": "5"})
    removed = api.delete(f"{base}/cost-lines/{line.pk}")
    escalated = api.post(f"{base}/escalate", {})
    disposed = api._send(
        "put",
        f"{base}/disposition",
        {"version": nc.version, "lines": [{"decision": "scrap", "quantity": "10"}]},
    )

    assert [r.status_code for r in (added, removed, escalated, disposed)] == [403] * 4
    assert added.json()["detail"] == f"You may not record costs on {nc.number}."
    assert escalated.json()["detail"] == f"You may not escalate {nc.number}."
    assert list(CostLine.objects.all()) == [line]
    assert not DispositionLine.objects.exists()
    assert not Capa.objects.exists()


def test_the_taxonomy_and_analysis_follow_the_rules(
    client_for: Any, api_for: Any, cast: dict[str, User], codes: dict[str, DefectCode]
) -> None:
    approver, qm_there, nobody = cast["approver_here"], cast["qm_there"], cast["nobody"]
    form = {"category": codes["DIM-01"].category.pk, "code": "DIM-09", "name": "Flatness"}
    body = {"category": "dimensional", "code": "DIM-09", "name": "Flatness"}

    page_refused = client_for(approver).post("/nonconformances/defect-codes/", form)
    api_refused = api_for(approver).post("/nonconformances/defect-codes", body)
    page_for_reader = client_for(approver).get("/nonconformances/defect-codes/").content.decode()
    page_for_manager = client_for(qm_there).get("/nonconformances/defect-codes/").content.decode()

    assert (page_refused.status_code, api_refused.status_code) == (403, 403)
    assert not DefectCode.objects.filter(code="DIM-09").exists()
    assert "Add a defect code" not in page_for_reader and "Add a defect code" in page_for_manager
    # A quality manager at any site maintains the one, company-wide taxonomy.
    assert api_for(qm_there).post("/nonconformances/defect-codes", body).status_code == 201
    outsider = [
        client_for(nobody).get("/nonconformances/analysis/").status_code,
        client_for(nobody).get("/nonconformances/defect-codes/").status_code,
        api_for(nobody).get("/nonconformances/pareto").status_code,
        api_for(nobody).get("/nonconformances/trend").status_code,
        api_for(nobody).get("/nonconformances/defect-codes").status_code,
    ]
    assert outsider == [403] * 5
