"""The demo's training: job roles for the demo people, history with overdue and expired
training, fast enough to load with the rest, and adding nothing on a second run."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qualitas.core import demo
from qualitas.core.models import User
from qualitas.training import demo as training_demo, gate, skills
from qualitas.training.models import EffectivenessReview, JobRole, Skill, TrainingRecord

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_training() -> None:
    assert demo.load() is True
    count = TrainingRecord.objects.count()
    training_demo.load()  # a second run adds nothing

    assert TrainingRecord.objects.count() == count
    members = {
        r.name: sorted(r.members.values_list("username", flat=True)) for r in JobRole.objects.all()
    }
    assert members["Inspector"] == ["jokafor", "mkowalski"]
    records = TrainingRecord.objects.all()
    assert records.filter(state="expired", person__username="lchen").count() == 1
    assert records.filter(state="assigned", due_on__lt=timezone.localdate()).exists()
    assert records.filter(state="completed", completed_on__lt=timezone.localdate()).count() > 10
    # jokafor completed the gating procedure of inspectors and may sign under it.
    may, _gaps = gate.standing(User.objects.get(username="jokafor"))
    assert may
    # Skills: two matrices, a few gaps left, history kept; follow-ups rated and one due.
    assert 8 <= Skill.objects.count() <= 12
    assert Skill.objects.filter(site__isnull=False).exists()
    assert Skill.objects.filter(site__isnull=True).exists()
    gaps = skills.gaps(User.objects.get(username="hmarsh"), skills.Filters())
    assert {(g.person.username, g.skill.name) for g in gaps} >= {
        ("lchen", "Torque verification"),
        ("mkowalski", "CMM programming"),
    }
    reviews = EffectivenessReview.objects.all()
    assert reviews.filter(rating__isnull=False).exists()
    assert reviews.filter(rating__isnull=True, due_on__lte=timezone.localdate()).exists()
