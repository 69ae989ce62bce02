"""The demo company's change requests: one in every state, loaded once."""

from __future__ import annotations

import pytest
from django.db import transaction

from qualitas.changes import demo as changes_demo
from qualitas.changes.models import ChangeRequest
from qualitas.changes.workflows import State
from qualitas.core import demo
from qualitas.documents import demo as documents_demo

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_a_change_in_every_state() -> None:
    with transaction.atomic():  # as the demo command loads it
        demo._load_company()
        documents_demo.load()
        changes_demo.load()
    states = set(ChangeRequest.objects.values_list("state", flat=True))

    assert states == set(State.values)
    assert ChangeRequest.objects.filter(title__contains="SHF-2209", change_type="supplier").exists()
    emergency = ChangeRequest.objects.get(urgency="emergency")
    assert emergency.state == "implementing" and emergency.approved_at is None
    count = ChangeRequest.objects.count()
    changes_demo.load()
    assert ChangeRequest.objects.count() == count
