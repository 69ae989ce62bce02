"""Small pieces other parts of Qualitas show: the revision panel on the record page, the
home-page panels, and what a signature covers beyond the revision's own fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from qualitas.core import events, permissions
from qualitas.core.views import signed_in_user
from qualitas.documents import queries, reading, workflows


def signed_audience(revision: Any) -> dict[str, list[int]]:
    """Who must read the revision is part of what its approvers approve."""
    return {
        "training_roles": sorted(revision.training_roles.values_list("pk", flat=True)),
        "training_departments": sorted(revision.training_departments.values_list("pk", flat=True)),
    }


def reindex_on_change(event: events.RecordChanged) -> None:
    """A draft edited through the generic record page is searchable as edited."""
    if event.record_type != "docrevision":
        return
    from qualitas.documents import indexing
    from qualitas.documents.models import DocumentRevision

    revision = DocumentRevision.objects.filter(pk=event.record_id).first()
    if revision is not None:
        indexing.index(revision)


def revision_panel(revision: Any, request: HttpRequest) -> str:
    context = {
        "revision": revision,
        "signoffs": queries.current_signoffs(revision),
    }
    return render_to_string("documents/_revision_panel.html", context, request=request)


def reading_panel(request: HttpRequest) -> str:
    """My work: revisions waiting for my read-and-understood signature."""
    user = signed_in_user(request)
    rows = reading.pending_for(user)[:10]
    if not rows:
        return ""
    return render_to_string(
        "documents/panels/_reading.html",
        {"rows": rows, "today": timezone.localdate()},
        request=request,
    )


def reviews_panel(request: HttpRequest) -> str:
    """For document control: periodic reviews overdue, and revisions waiting for me."""
    user = signed_in_user(request)
    overdue = []
    if permissions.has_perm(user, workflows.CONTROL):
        overdue = list(queries.overdue_reviews(user)[:10])
    from qualitas.documents import signoffs

    # An approval blocked by an unfinished review or by the signing order is not yet theirs.
    waiting = [
        s
        for s in queries.waiting_for(user)[:30]
        if s.kind == "review" or not signoffs.approval_refusals(s.revision, user)
    ][:10]
    if not overdue and not waiting:
        return ""
    return render_to_string(
        "documents/panels/_reviews.html",
        {"overdue": overdue, "waiting": waiting},
        request=request,
    )
