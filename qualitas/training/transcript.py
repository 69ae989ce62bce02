"""A person's training transcript (/training/people/<id>/transcript/, ?format=pdf): every
training record they hold (completed, due, overdue, expired) with the document revision or
course, the dates, the method, the trainer and the electronic signatures of its completion
(who, with what meaning, when). What an auditor asks for as evidence of competence (ISO 9001
7.2 d, ISO 13485 6.2 e, 21 CFR 820.25 b).

Seen by the person themself and by holders of training.view_records at the person's site
(a person of no site only by those holding it everywhere), as qualitas.training.queries
decides for the records. Cancelled assignments are no training and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualitas.core import pdf, permissions, signatures
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import Signature, User
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.documents import queries as documents
from qualitas.training import workflows as w
from qualitas.training.models import OPEN_STATES, JobRole, TrainingRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

PDF_TEMPLATE = "training/transcript_pdf.html"
RESOURCE = "training-records"

COMPLETED = "completed"
DUE = "due"
OVERDUE = "overdue"
EXPIRED = "expired"
# What each standing is called and its Bootstrap colour; open training first, as an auditor
# asks first what is missing.
STANDINGS: dict[str, tuple[str, str]] = {
    OVERDUE: ("Overdue", "text-bg-danger"),
    DUE: ("Due", "text-bg-info"),
    EXPIRED: ("Expired", "text-bg-warning"),
    COMPLETED: ("Completed", "text-bg-success"),
}


@dataclass(frozen=True)
class SignedBy:
    printed_name: str
    meaning: str
    signed_at: datetime
    # The signature row's own seal: a signer, meaning or time edited in the database shows.
    intact: bool


@dataclass(frozen=True)
class Entry:
    number: str
    url: str
    item: str
    title: str
    standing: str
    assigned_on: date
    due_on: date | None
    completed_on: date | None
    expires_on: date | None
    method: str
    trainer: str
    awaiting_trainer: bool
    superseded: bool  # a document revision read that is no longer the one in force
    signatures: list[SignedBy] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STANDINGS[self.standing][0]

    @property
    def css(self) -> str:
        return STANDINGS[self.standing][1]


@dataclass(frozen=True)
class Transcript:
    person: User
    job_roles: list[str]
    entries: list[Entry]
    printed_at: datetime
    printed_by: str

    @property
    def counts(self) -> list[tuple[str, str, str, int]]:
        found: dict[str, int] = defaultdict(int)
        for entry in self.entries:
            found[entry.standing] += 1
        return [(code, label, css, found[code]) for code, (label, css) in STANDINGS.items()]


def may_see(viewer: User, person: User) -> bool:
    """The person themself, or a holder of training.view_records where the person works."""
    if viewer.pk == person.pk:
        return viewer.is_active
    sites = permissions.sites_with_perm(viewer, w.VIEW_RECORDS)
    if sites is None:
        return True
    return person.site_id is not None and person.site_id in sites


def standing_of(record: TrainingRecord, today: date) -> str:
    if record.state in OPEN_STATES:
        return OVERDUE if record.due_on is not None and record.due_on < today else DUE
    if record.state == w.State.EXPIRED:
        return EXPIRED
    if record.expires_on is not None and record.expires_on <= today:
        return EXPIRED
    return COMPLETED


def _signatures(records: Sequence[TrainingRecord]) -> dict[int, list[SignedBy]]:
    """Every record's signatures in one query."""
    kind = ContentType.objects.get_for_model(TrainingRecord)
    found: dict[int, list[SignedBy]] = defaultdict(list)
    rows = Signature.objects.filter(
        object_type=kind, object_id__in=[record.pk for record in records]
    ).order_by("signed_at", "id")
    for row in rows:
        found[row.object_id].append(
            SignedBy(
                printed_name=row.printed_name,
                meaning=row.get_meaning_display(),
                signed_at=row.signed_at,
                intact=row.seal == signatures.seal_of(row),
            )
        )
    return found


def build(person: User, *, viewer: User) -> Transcript:
    """The transcript of `person` as `viewer` may print it (PermissionDenied otherwise). A
    fixed number of queries whatever the number of records."""
    if not may_see(viewer, person):
        raise PermissionDenied(
            "You may not see this person's training: it needs 'See people's training "
            "records, transcripts and the training matrix' where they work."
        )
    records = list(
        TrainingRecord.objects.filter(person=person)
        .exclude(state=w.State.CANCELLED)
        .select_related("course", "trainer")
        .order_by("-assigned_on", "-pk")
    )
    signed = _signatures(records)
    document_ids = {r.document_id for r in records if r.document_id is not None}
    in_force = {}
    if document_ids:
        named = documents.controlled_documents(ids=document_ids).values()
        in_force = {d.id: d.effective_revision_id for d in named}
    today = timezone.localdate()
    entries = []
    for record in records:
        if record.document_id is not None:
            item = f"{record.document_number} revision {record.revision_label}"
            current = in_force.get(record.document_id)
            superseded = current is not None and current != record.revision_id
        else:
            item = str(record.course) if record.course is not None else record.title
            superseded = False
        entries.append(
            Entry(
                number=record.number,
                url=reverse("core:record_detail", args=[RESOURCE, record.pk]),
                item=item,
                title=record.title,
                standing=standing_of(record, today),
                assigned_on=record.assigned_on,
                due_on=record.due_on,
                completed_on=record.completed_on,
                expires_on=record.expires_on,
                method=record.get_method_display() if record.method else "",
                trainer=record.trainer.printed_name if record.trainer else "",
                awaiting_trainer=record.state == w.State.AWAITING_TRAINER,
                superseded=superseded,
                signatures=signed.get(record.pk, []),
            )
        )
    order = list(STANDINGS)
    # Open training first (overdue, then due), then the history, newest first.
    entries.sort(key=lambda e: order.index(e.standing))
    roles = JobRole.objects.filter(members=person).order_by("name").values_list("name", flat=True)
    return Transcript(
        person=person,
        job_roles=list(roles),
        entries=entries,
        printed_at=timezone.now(),
        printed_by=viewer.printed_name,
    )


def filename(person: User) -> str:
    return f"training-transcript-{person.username}-{timezone.localdate():%Y%m%d}.pdf"


@login_required
def transcript_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The transcript as a page, or as PDF with ?format=pdf (403 for a reader who may not
    see the person's training, 404 for no such person)."""
    viewer = signed_in_user(request)
    person = get_or_404(User.objects.select_related("site", "department"), pk=pk)
    wanted = request.GET.get("format", "html")
    if wanted not in ("html", "pdf"):
        raise InvalidInput.for_field("format", "Ask for format=pdf, or for the page itself.")
    transcript = build(person, viewer=viewer)
    context = {"t": transcript, "title": f"Training transcript: {person.printed_name}"}
    if wanted == "pdf":
        document = pdf.pdf(PDF_TEMPLATE, context, printed_by=viewer.printed_name)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename(person)}"'
        return response
    return render(request, "training/transcript.html", context)
