"""A document's identity has the same sub-paths as every record, gathered over the
revisions the reader may see; its own steps say why one is not open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qualitas.core import actions, links
from qualitas.core.models import User
from qualitas.documents import services
from qualitas.documents.events import RevisionBecameEffective

pytestmark = pytest.mark.django_db

SUB_PATHS = ("history", "signatures", "attachments", "links", "actions", "transitions")


@pytest.fixture
def effective_sop(new_document: Any, release: Any, author: User) -> Any:
    document = new_document()
    release(document.revisions.get())
    document.refresh_from_db()
    return document


def test_every_sub_path_answers_for_a_document(
    effective_sop: Any, api_for: Any, controller: User
) -> None:
    api = api_for(controller)
    for sub in SUB_PATHS:
        response = api.get(f"/documents/{effective_sop.pk}/{sub}")
        assert response.status_code == 200, (sub, response.content)


def test_signatures_of_every_visible_revision_in_one_answer(
    effective_sop: Any, api_for: Any, controller: User, approver: User
) -> None:
    rows = api_for(controller).get(f"/documents/{effective_sop.pk}/signatures").json()
    revision = effective_sop.revisions.get()
    approvals = [r for r in rows if r["meaning"] == "approved"]
    assert [(r["signer"], r["revision"], r["revision_number"]) for r in approvals] == [
        (approver.pk, revision.pk, revision.number)
    ]
    assert all(r["valid"] for r in approvals)


def test_files_links_and_actions_carry_their_revision(
    effective_sop: Any, api_for: Any, controller: User, author: User, quality_manager: User
) -> None:
    revision = services.new_revision(effective_sop, actor=controller)  # actions go on drafts
    actions.assign(
        revision,
        actor=controller,
        assignee=author,
        title="Brief the night shift",
        due_on=timezone.localdate() + timedelta(days=7),
    )
    other = services.create_document(
        actor=author, document_type=effective_sop.document_type, title="Labels", content_text="x"
    )
    links.add(revision, actor=controller, target=other.revisions.get(), kind="references")
    api = api_for(controller)

    listed = api.get(f"/documents/{effective_sop.pk}/actions").json()
    linked = api.get(f"/documents/{effective_sop.pk}/links").json()

    assert [(a["title"], a["revision"]) for a in listed] == [("Brief the night shift", revision.pk)]
    assert [(link["record_number"], link["revision"]) for link in linked] == [
        (other.revisions.get().number, revision.pk)
    ]


def test_a_reader_sees_only_what_they_may_read(
    effective_sop: Any, new_document: Any, api_for: Any, viewer: User
) -> None:
    services.new_revision(effective_sop, actor=effective_sop.owner)  # a draft: not for readers
    rows = api_for(viewer).get(f"/documents/{effective_sop.pk}/signatures").json()
    assert {r["revision_number"] for r in rows} == {effective_sop.revisions.get(sequence=1).number}
    draft_only = new_document()
    assert api_for(viewer).get(f"/documents/{draft_only.pk}/signatures").status_code == 404


def test_the_steps_say_why_one_is_not_open(
    effective_sop: Any, api_for: Any, controller: User, viewer: User
) -> None:
    steps = {
        s["name"]: s
        for s in api_for(controller).get(f"/documents/{effective_sop.pk}/transitions").json()
    }
    assert all(steps[name]["allowed"] for name in ("new_revision", "periodic_review", "withdraw"))
    assert steps["withdraw"]["method_path"] == f"POST /api/v1/documents/{effective_sop.pk}/withdraw"

    services.new_revision(effective_sop, actor=controller)
    busy = {
        s["name"]: s
        for s in api_for(controller).get(f"/documents/{effective_sop.pk}/transitions").json()
    }
    assert not busy["new_revision"]["allowed"]
    assert "still in progress" in busy["new_revision"]["refusals"][-1]

    read_only = {
        s["name"]: s
        for s in api_for(viewer).get(f"/documents/{effective_sop.pk}/transitions").json()
    }
    assert not any(step["allowed"] for step in read_only.values())
    assert "document control" in read_only["withdraw"]["refusals"][0]


def test_becoming_effective_is_announced_with_the_revision_it_replaced(
    effective_sop: Any, release: Any, controller: User
) -> None:
    from qualitas.core import events

    heard: list[RevisionBecameEffective] = []
    events.subscribe(RevisionBecameEffective, heard.append, in_transaction=True)
    try:
        first = effective_sop.revisions.get()
        draft = services.new_revision(effective_sop, actor=controller)
        draft = services.edit_revision(
            draft, actor=controller, expected_version=draft.version, change_summary="Step 4 added"
        )
        second = release(draft)
    finally:
        events._in_transaction[RevisionBecameEffective].remove(heard.append)
    assert [(e.revision_id, e.superseded_id) for e in heard] == [(second.pk, first.pk)]


def test_a_stale_write_to_a_document_names_who_changed_it(
    effective_sop: Any, api_for: Any, controller: User
) -> None:
    api = api_for(controller)
    read = api.get(f"/documents/{effective_sop.pk}").json()
    first = api.patch(
        f"/documents/{effective_sop.pk}",
        {"version": read["version"], "clause_references": "ISO 9001 8.7"},
    )
    stale = api.patch(
        f"/documents/{effective_sop.pk}", {"version": read["version"], "clause_references": "x"}
    )
    assert first.status_code == 200, first.content
    assert stale.status_code == 409
    assert controller.printed_name in stale.json()["detail"]
    effective_sop.refresh_from_db()
    assert effective_sop.clause_references == "ISO 9001 8.7"
