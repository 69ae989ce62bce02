"""My training (/training/my/): what the signed-in person must still sign, what they have
completed and until when it holds, and which gating procedures they may sign work under."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualitas.core import permissions
from qualitas.core.views import signed_in_user
from qualitas.training import gate, queries, services, skills, workflows as w
from qualitas.training.models import TrainingRecord

RESOURCE = "training-records"


@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    today = timezone.localdate()
    open_rows = []
    for record in queries.my_open_training(user):
        # The trainee signs an assigned record; one awaiting the trainer is the trainer's.
        sign = (
            reverse(
                "core:record_transition",
                args=[RESOURCE, record.pk, services.completing_step(record)],
            )
            if record.state == w.State.ASSIGNED
            else ""
        )
        overdue = record.due_on is not None and record.due_on < today
        open_rows.append((record, sign, overdue))
    done = (
        TrainingRecord.objects.filter(person=user, state__in=(w.State.COMPLETED, w.State.EXPIRED))
        .select_related("course")
        .order_by("-completed_on", "-pk")
    )
    finished = [
        (record, record.expires_on is not None and record.expires_on <= today) for record in done
    ]
    may, may_not = gate.standing(user)
    context = {
        "title": "My training",
        "open_rows": open_rows,
        "finished": finished,
        "may": may,
        "may_not": may_not,
        "resource": RESOURCE,
        "my_skills": [
            (skill, standing, skills.STATES[standing.state])
            for skill, standing in skills.person_skills(user)
        ],
    }
    return render(request, "training/my.html", context)
