"""The SPC studies rule book (`policy.py`): each rule against people with and without the
right, at one site or every site; and the page and API refusing whom the rule refuses,
saving nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from qualitas.core.errors import PermissionDenied
from qualitas.core.models import User
from qualitas.studies import policy
from qualitas.studies.models import SpcStudy
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

VALUES = [74.03, 74.0, 74.02, 73.99, 74.01, 74.0, 73.99, 74.0, 74.01, 74.0]


@pytest.fixture
def cast(site: Any, other_site: Any, viewer: User, nobody: User) -> dict[str, User]:
    def person(name: str, role: str, at: Any = None) -> User:
        return with_role(UserFactory(username=name), role, site=at)

    return {
        "engineer": person("engineer", "contributor"),
        "engineer_here": person("engineer_here", "contributor", site),
        "auditor": person("auditor", "auditor"),
        "viewer": viewer,
        "nobody": nobody,
    }


def _holders(rule: Any, cast: dict[str, User]) -> set[str]:
    return {name for name, user in cast.items() if rule(user)}


def test_who_records_and_who_tries_an_analysis(cast: dict[str, User]) -> None:
    # Recording is open to whoever records studies at some site; the site is checked on saving.
    assert _holders(policy.may_record_studies, cast) == {"engineer", "engineer_here", "auditor"}
    assert _holders(policy.may_try_analysis, cast) == set(cast) - {"nobody"}
    assert not policy.may_record_studies(AnonymousUser())
    with pytest.raises(PermissionDenied, match="it needs 'Record SPC studies"):
        policy.require_record_studies(cast["viewer"])
    with pytest.raises(PermissionDenied, match="it needs 'See SPC studies"):
        policy.require_try_analysis(cast["nobody"])
    policy.require_record_studies(cast["engineer_here"])
    policy.require_try_analysis(cast["viewer"])


def test_the_new_study_page_follows_the_rule(
    client_for: Any, cast: dict[str, User], site: Any
) -> None:
    form = {"title": "Rings", "characteristic": "Diameter", "chart_type": "imr"}
    form["pasted"] = "\n".join(["d", *map(str, VALUES)])
    form["rules"] = "nelson"

    refused = client_for(cast["viewer"]).post("/spc-studies/new/", form)
    shown = client_for(cast["engineer_here"]).get("/spc-studies/new/")

    assert (refused.status_code, shown.status_code) == (403, 200)
    assert not SpcStudy.objects.exists()
    # The same form from someone the rule allows is a study.
    allowed = client_for(cast["engineer_here"]).post("/spc-studies/new/", {**form, "site": site.pk})
    assert allowed.status_code == 302 and SpcStudy.objects.get().site == site


def test_the_api_follows_the_rules(api_for: Any, cast: dict[str, User], site: Any) -> None:
    trial = {"chart_type": "imr", "values": VALUES, "save": False}
    keep = {**trial, "save": True, "title": "Rings", "characteristic": "Diameter", "site": site.pk}

    tried = {who: api_for(cast[who]).post("/spc-studies/analyses", trial) for who in cast}
    refused = api_for(cast["viewer"]).post("/spc-studies/analyses", keep)

    assert {who: r.status_code for who, r in tried.items()} == {
        who: 200 if policy.may_try_analysis(cast[who]) else 403 for who in cast
    }
    assert refused.status_code == 403 and "Record SPC studies." in refused.json()["detail"]
    assert not SpcStudy.objects.exists()
    saved = api_for(cast["engineer_here"]).post("/spc-studies/analyses", keep)
    assert saved.status_code == 201 and SpcStudy.objects.get().site == site
