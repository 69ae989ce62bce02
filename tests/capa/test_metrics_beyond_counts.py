"""CAPA metrics beyond counts on a small known history: on-time closure, days per 8D step,
effectiveness rate; served on the page and the API; counted by the database."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualitas.capa import queries, services
from qualitas.capa.models import Capa
from qualitas.core import actions, records, signatures, workflow
from qualitas.core.models import User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db
# Day 0 of the story, at noon so that no step crosses midnight by accident.
BASE = (timezone.now() - datetime.timedelta(days=100)).replace(
    hour=12, minute=0, second=0, microsecond=0
)


def day(n: float) -> datetime.datetime:
    return BASE + datetime.timedelta(days=n)


@contextmanager
def on(n: float) -> Iterator[None]:
    with time_machine.travel(day(n), tick=False):
        yield


@pytest.fixture
def owner(db: None) -> User:
    return with_role(UserFactory(username="owner"), "contributor")


class Story:
    """Moves one CAPA through the 8D steps on the given days."""

    def __init__(self, owner: User, approver: User, qm: User, opened: float, due: int) -> None:
        self.owner, self.approver, self.qm = owner, approver, qm
        with on(opened):
            capa = services.open_capa(
                actor=owner,
                title="Bore oversize",
                problem_statement="3 NCs",
                due_on=day(due).date(),
            )
        self.capa: Capa = capa

    def fire(self, when: float, name: str, **kwargs: Any) -> Story:
        with on(when):
            self.capa = workflow.fire(self.capa, name, **kwargs)
        return self

    def update(self, when: float, **fields: Any) -> Story:
        with on(when):
            self.capa = records.update(
                self.capa, actor=self.owner, expected_version=self.capa.version, **fields
            )
        return self

    def to_plan(self, investigate: float, contain: float, plan: float) -> Story:
        self.fire(investigate, "investigate", actor=self.owner)
        self.update(contain, containment_summary="Sorted")
        self.fire(contain, "confirm_containment", actor=self.owner)
        self.update(plan, root_cause="No tool-life rule", root_cause_category="method")
        return self.fire(plan, "plan", actor=self.owner)

    def approve(self, when: float) -> Story:
        with on(when):
            if not actions.actions_of(self.capa).exists():
                action = actions.assign(
                    self.capa,
                    actor=self.owner,
                    title="Counter",
                    assignee=self.owner,
                    due_on=day(when).date(),
                )
                actions.complete(action, actor=self.owner, note="Done")
            token = signatures.authenticate(self.approver, PASSWORD)
        return self.fire(when, "approve_plan", actor=self.approver, signature=token)

    def implement(self, when: float) -> Story:
        self.update(when, effectiveness_criteria="No repeat", effectiveness_due_on=day(when).date())
        return self.fire(when, "implemented", actor=self.owner)

    def check(self, when: float, result: str) -> Story:
        with on(when):
            self.capa = services.record_effectiveness(
                self.capa, actor=self.owner, result=result, evidence="Pareto of NCs"
            )
        return self

    def close(self, when: float) -> Story:
        with on(when):
            token = signatures.authenticate(self.qm, PASSWORD)
        return self.fire(when, "close", actor=self.qm, signature=token)


@pytest.fixture
def history(owner: User, engineer: User, quality_manager: User) -> dict[str, Capa]:
    # A: closed on day 20, due on day 30 (on time), effective at its first check.
    a = Story(owner, engineer, quality_manager, opened=0, due=30)
    a.to_plan(1, 3, 7).approve(9).implement(14).check(19, "passed").close(20)
    # B: due on day 10, closed on day 28 (late); its first check failed.
    b = Story(owner, engineer, quality_manager, opened=0, due=10)
    b.to_plan(2, 4, 10).approve(12).implement(16).check(18, "failed")
    b.fire(18, "not_effective", actor=owner, comment="Two more NCs")
    b.fire(22, "plan", actor=owner).approve(24).implement(26).check(27, "passed").close(28)
    # C: cancelled while under investigation (a cancellation ends no step).
    c = Story(owner, engineer, quality_manager, opened=5, due=60)
    c.fire(8, "investigate", actor=owner).fire(9, "cancel", actor=owner, comment="Duplicate")
    # D: opened 45 days ago, still being described.
    d = Story(owner, engineer, quality_manager, opened=55, due=120)
    return {"A": a.capa, "B": b.capa, "C": c.capa, "D": d.capa}


def test_on_time_closure_and_effectiveness(history: dict[str, Capa], quality_manager: User) -> None:
    m = queries.metrics(quality_manager)

    assert (m.open_total, m.closed_total) == (1, 2)
    assert m.open_by_age == [
        ("0-30 days", 0),
        ("31-60 days", 1),
        ("61-90 days", 0),
        ("over 90 days", 0),
    ]
    assert (m.on_time_closed, m.on_time_closure_rate) == (1, 50.0)
    assert m.mean_cycle_days == 24.0  # (20 + 28) / 2
    # Three checks recorded, two effective; A was effective the first time, B was not.
    assert (m.effectiveness_checked, m.effectiveness_rate) == (3, 66.7)
    assert m.effectiveness_pass_rate == 50.0


def test_average_days_per_8d_step(history: dict[str, Capa], quality_manager: User) -> None:
    m = queries.metrics(quality_manager)

    assert [(s.step, s.mean_days, s.passes) for s in m.days_per_step] == [
        ("initiated", 2.0, 3),  # A 1, B 2, C 3
        ("investigation", 2.0, 2),  # A 2, B 2 (C was cancelled)
        ("root_cause", 4.7, 3),  # A 4, B 6 then 4
        ("action_plan", 2.0, 3),
        ("implementation", 3.7, 3),  # A 5, B 4 then 2
        ("effectiveness", 3.3, 3),  # A 6, B 2 then 2
    ]
    assert m.days_per_step[3].label == "D5 Action plan"


def test_a_check_recorded_but_not_yet_acted_on_counts(
    owner: User, engineer: User, quality_manager: User
) -> None:
    s = Story(owner, engineer, quality_manager, opened=0, due=30)
    s.to_plan(1, 2, 3).approve(4).implement(5).check(6, "failed")

    m = queries.metrics(quality_manager)

    assert (m.effectiveness_checked, m.effectiveness_rate) == (1, 0.0)
    assert m.on_time_closure_rate is None and m.mean_cycle_days is None


def test_figures_count_only_the_capas_one_may_see(
    history: dict[str, Capa], owner: User, other_site: Any
) -> None:
    elsewhere = with_role(UserFactory(username="elsewhere"), "quality-manager", site=other_site)

    m = queries.metrics(elsewhere)

    assert (m.closed_total, m.effectiveness_checked, m.effectiveness_rate) == (0, 0, None)
    assert all(s.passes == 0 for s in m.days_per_step)


def test_the_page_and_the_api_show_them(
    history: dict[str, Capa], viewer: User, client_for: Any, api_for: Any
) -> None:
    page = client_for(viewer).get("/capas/metrics/").content.decode()
    data = api_for(viewer).get("/capas/metrics").json()

    assert "D4 Root cause" in page and "4.7" in page
    assert "66.7 % effective of 3" in page
    assert (data["on_time_closure_rate"], data["on_time_closed"]) == (50.0, 1)
    assert (data["effectiveness_rate"], data["effectiveness_checked"]) == (66.7, 3)
    assert data["days_per_step"][2] == {
        "step": "root_cause",
        "label": "D4 Root cause",
        "mean_days": 4.7,
        "passes": 3,
    }


def test_the_metrics_keep_their_query_count(
    owner: User, engineer: User, quality_manager: User, raise_nc: Any
) -> None:
    from tests.capa.test_reports_and_metrics import _closed_capa

    def closed(n: int) -> None:
        for _ in range(n):
            _closed_capa(raise_nc, quality_manager, engineer)
        s = Story(owner, engineer, quality_manager, opened=0, due=30)
        s.to_plan(1, 2, 3).approve(4).implement(5).check(6, "failed")

    closed(1)
    queries.metrics(quality_manager)  # content types cached, as in a running server
    with CaptureQueriesContext(connection) as few:
        queries.metrics(quality_manager)
    closed(3)
    with CaptureQueriesContext(connection) as many:
        m = queries.metrics(quality_manager)

    assert m.closed_total == 4
    assert len(many) == len(few)
