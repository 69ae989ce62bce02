"""The CAPA rule book (`policy.py`): each rule against people holding their role at the
CAPA's site, at another site, or not at all; and the services, pages and API refusing exactly
whom the rule refuses, saving nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from qualitas.capa import policy, services
from qualitas.capa.models import Capa, Cause, TeamMember, WhyStep
from qualitas.core import records, workflow
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import User
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(site: Any, other_site: Any, viewer: User, nobody: User) -> dict[str, User]:
    """Who is who around a CAPA at Headquarters. The quality manager "there" holds the role
    at the branch plant and only reads Headquarters' records, so the CAPA is visible to them."""

    def person(name: str, role: str, at: Any) -> User:
        return with_role(UserFactory(username=name), role, site=at)

    return {
        "owner": person("owner", "contributor", site),
        "qm_here": person("qm_here", "quality-manager", site),
        "qm_there": with_role(
            person("qm_there", "quality-manager", other_site), "viewer", site=site
        ),
        "approver_here": person("approver_here", "approver", site),
        "colleague": person("colleague", "contributor", site),
        "viewer": viewer,
        "nobody": nobody,
    }


@pytest.fixture
def capa(cast: dict[str, User], site: Any) -> Capa:
    return services.open_capa(
        actor=cast["owner"], title="Bore oversize", problem_statement="3 NCs in 6 weeks", site=site
    )


def _holders(rule: Any, cast: dict[str, User], *record: Any) -> set[str]:
    return {name for name, user in cast.items() if rule(user, *record)}


def test_an_open_capa_is_worked_on_by_its_owner_and_editors_at_its_site(
    cast: dict[str, User], capa: Capa
) -> None:
    assert _holders(policy.may_work_on, cast, capa) == {"owner", "qm_here"}


def test_a_cancelled_capa_is_final_for_everyone(cast: dict[str, User], capa: Capa) -> None:
    cancelled = workflow.fire(capa, "cancel", actor=cast["owner"], comment="Duplicate")

    assert _holders(policy.may_work_on, cast, cancelled) == set()
    # Locked says why, whoever asks: not "you may not", but "it is final".
    for who in ("qm_here", "colleague"):
        with pytest.raises(records.RecordLocked, match=f"{capa.number} is Cancelled."):
            services.add_why(cancelled, actor=cast[who], why="a", because="b")
    assert not WhyStep.objects.exists()


def test_metrics_are_for_anyone_who_sees_capas_somewhere(cast: dict[str, User]) -> None:
    assert _holders(policy.may_see_metrics, cast) == set(cast) - {"nobody"}
    assert not policy.may_see_metrics(AnonymousUser())
    with pytest.raises(PermissionDenied, match="it needs 'See CAPAs"):
        policy.require_see_metrics(cast["nobody"])
    policy.require_see_metrics(cast["viewer"])


@pytest.mark.parametrize("who", ["qm_there", "approver_here", "colleague", "viewer"])
def test_services_refuse_whom_the_rule_refuses(cast: dict[str, User], capa: Capa, who: str) -> None:
    person, owner = cast[who], cast["owner"]
    why = services.add_why(capa, actor=owner, why="Oversize", because="Worn bar")
    assert not policy.may_work_on(person, capa)
    message = f"You may not change {capa.number}."

    with pytest.raises(PermissionDenied, match=message):
        services.add_why(capa, actor=person, why="a", because="b")
    with pytest.raises(PermissionDenied, match=message):
        services.add_cause(capa, actor=person, category="method", text="x")
    with pytest.raises(PermissionDenied, match=message):
        services.add_team_member(capa, actor=person, member=person)
    with pytest.raises(PermissionDenied, match=message):
        services.mark_root_cause(why, actor=person)

    assert list(WhyStep.objects.values_list("why", "is_root_cause")) == [("Oversize", False)]
    assert not Cause.objects.exists() and not TeamMember.objects.exists()


def test_services_let_through_whom_the_rule_allows(cast: dict[str, User], capa: Capa) -> None:
    qm = cast["qm_here"]
    why = services.add_why(capa, actor=qm, why="Oversize", because="Worn bar")
    services.mark_root_cause(why, actor=cast["owner"])
    services.add_team_member(capa, actor=qm, member=cast["colleague"])

    assert WhyStep.objects.get().is_root_cause
    assert TeamMember.objects.get().member == cast["colleague"]


def test_the_page_offers_the_tools_only_to_whom_the_rule_allows(
    client_for: Any, cast: dict[str, User], capa: Capa
) -> None:
    for who in ("owner", "qm_here", "qm_there", "colleague"):
        page = client_for(cast[who]).get(f"/capas/{capa.pk}/").content.decode()
        assert (f"/capas/{capa.pk}/whys/" in page) == policy.may_work_on(cast[who], capa), who


def test_pages_and_api_refuse_whom_the_rule_refuses(
    client_for: Any, api_for: Any, cast: dict[str, User], capa: Capa
) -> None:
    why = services.add_why(capa, actor=cast["owner"], why="Oversize", because="Worn bar")
    client = client_for(cast["qm_there"])
    api = api_for(cast["approver_here"])
    base = f"/capas/{capa.pk}"

    responses = [
        client.post(f"{base}/whys/", {"why": "a", "because": "b"}),
        client.post(f"{base}/causes/", {"category": "method", "text": "x"}),
        client.post(f"{base}/team/", {"member": cast["qm_there"].pk}),
        client.post(f"{base}/why/{why.pk}/root-cause/"),
        api.post(f"{base}/whys", {"why": "a", "because": "b"}),
        api.post(f"{base}/causes", {"category": "method", "text": "x"}),
        api.post(f"{base}/team", {"member": cast["approver_here"].pk}),
    ]

    assert [r.status_code for r in responses] == [403] * 7
    assert responses[-1].json()["detail"] == f"You may not change {capa.number}."
    assert list(WhyStep.objects.values_list("why", "is_root_cause")) == [("Oversize", False)]
    assert not Cause.objects.exists() and not TeamMember.objects.exists()


def test_metrics_pages_follow_the_rule(
    client_for: Any, api_for: Any, cast: dict[str, User]
) -> None:
    assert client_for(cast["nobody"]).get("/capas/metrics/").status_code == 403
    assert api_for(cast["nobody"]).get("/capas/metrics").status_code == 403
    assert client_for(cast["qm_there"]).get("/capas/metrics/").status_code == 200
    assert api_for(cast["viewer"]).get("/capas/metrics").status_code == 200
