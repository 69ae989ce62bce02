"""The demo's controlled documents: every state, read-and-understood, reviews, a sound trail."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from qualitas.core import auditverify, demo, signatures
from qualitas.core.models import Attachment, Signature, User
from qualitas.documents import demo as documents_demo, queries, reading
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    PeriodicReview,
    SignOff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_documents() -> None:
    """One load (it takes seconds), checked part by part."""
    assert demo.load() is True
    _every_state()
    _references_resolved()
    _work_waits_for_the_people_who_log_in()
    _files_signatures_and_the_audit_trail()
    count = Document.objects.count()
    documents_demo.load()  # a second run adds nothing
    assert Document.objects.count() == count


def _every_state() -> None:
    assert Document.objects.count() == len(documents_demo.DOCS)
    states = Counter(DocumentRevision.objects.values_list("state", flat=True))
    assert set(states) == {"draft", "in_review", "approved", "effective", "superseded", "obsolete"}
    assert Counter(Document.objects.values_list("status", flat=True)) == {
        "effective": len(documents_demo.DOCS) - 5,  # 2 drafts, 1 sent back, 1 approved, 1 obsolete
        "new": 4,
        "obsolete": 1,
    }
    # Exactly one effective revision for every effective document, and it is the current one.
    for document in Document.objects.filter(status="effective"):
        effective = document.revisions.filter(state="effective")
        assert list(effective) == [document.current_revision], document.number
    assert not DocumentRevision.objects.filter(
        state="effective", document__status__in=["new", "obsolete"]
    ).exists()

    qm = Document.objects.get(number="QM-0001")
    assert [(r.label, r.state) for r in qm.revisions.order_by("sequence")] == [
        ("A", "superseded"),
        ("B", "effective"),
    ]
    assert "Leeds Digital" in _effective("QM-0001").content_text
    assert qm.revisions.get(label="B").change_summary
    assert _effective("SOP-0001").label == "C"
    assert _effective("SPEC-0001").label == "1.1"

    future = DocumentRevision.objects.get(state="approved")
    assert future.effective_on == timezone.localdate() + timedelta(days=14)
    obsolete = Document.objects.get(status="obsolete")
    assert obsolete.withdrawn_reason and obsolete.next_review_on is None
    # Sent back to draft: the first round's sign-offs are voided, a second round waits.
    returned = SignOff.objects.filter(outcome="voided").values_list("revision", flat=True)
    assert DocumentRevision.objects.filter(pk__in=returned, state="draft").exists()


def _references_resolved() -> None:
    # Documents cite each other by number, and every number cited is in the register (but the
    # deburring instruction's legacy paper number, which the demo CAPAs mention).
    numbers = set(Document.objects.values_list("number", flat=True)) | {"WI-0108"}
    cited = re.compile(r"\b(?:QM|POL|SOP|WI|FRM|SPEC|DWG|EXT)-\d{4}\b")
    for revision in DocumentRevision.objects.all():
        assert "{{" not in revision.content_text, revision.number
        assert set(cited.findall(revision.content_text)) <= numbers, revision.number
    capa = _effective("SOP-0006").content_text
    assert "SOP-0005" in capa and "SOP-0003" in capa
    related = Document.objects.annotate(n=Count("related")).filter(n__gt=0)
    assert related.count() >= 10
    words = [len(r.content_text.split()) for r in DocumentRevision.objects.filter(sequence=1)]
    assert min(words) >= 150 and max(words) <= 600


def _work_waits_for_the_people_who_log_in() -> None:
    acosta = User.objects.get(username="acosta")
    waiting = list(queries.waiting_for(acosta))
    assert [s.kind for s in waiting] == ["approval"]
    assert waiting[0].revision.number == "SOP-0007 rev B"
    tbecker = User.objects.get(username="tbecker")
    commented = queries.waiting_for(tbecker).get()
    assert commented.outcome == "commented" and commented.comments.exists()

    jokafor = User.objects.get(username="jokafor")
    assert len(reading.pending_for(jokafor)) >= 2
    readings = [
        r for d in Document.objects.all() for v in d.revisions.all() for r in reading.readings(v)
    ]
    states = Counter(r.state for r in readings)
    assert states["acknowledged"] >= 10 and states["pending"] >= 5
    signed = [r for r in readings if r.state == "acknowledged"]
    assert all(r.signature_id is not None for r in signed)

    hmarsh = User.objects.get(username="hmarsh")
    overdue = list(queries.overdue_reviews(hmarsh))
    assert {d.number for d in overdue} == {"SOP-0003", "SOP-0013"}
    review = PeriodicReview.objects.get()
    assert review.outcome == "no_change" and review.signature is not None
    next_review = review.document.next_review_on
    assert next_review is not None and next_review > timezone.localdate()


def _files_signatures_and_the_audit_trail() -> None:
    media = Counter(Attachment.objects.values_list("media_type", flat=True))
    assert media["application/pdf"] == 3
    assert media["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] == 1
    assert "HSG-4471" in _effective("DWG-0001").search_entry.body
    # Every signature on a revision (approval, periodic review) and on a reading (read and
    # understood, on the training record that keeps it) still matches the content it
    # signed, whatever happened afterwards.
    signed = Signature.objects.filter(object_type__model="documentrevision")
    meanings = Counter(signed.values_list("meaning", flat=True))
    assert meanings["approved"] >= 40 and meanings["reviewed"] == 1
    read = Signature.objects.filter(
        object_type__model="trainingrecord", meaning="read_and_understood"
    )
    assert read.count() >= 10
    assert all(signatures.is_valid(s) for s in [*signed, *read])
    assert auditverify.verify().intact


def _effective(number: str) -> DocumentRevision:
    return DocumentRevision.objects.get(document__number=number, state="effective")
