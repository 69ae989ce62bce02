"""Demo controlled documents for Aldermoor Precision: a quality system's documents, in every state.

The quality manual, policies, procedures, work instructions, forms, two specifications, a
drawing and an external standard, written in the app (Markdown; a drawing, a form, a standard
summary and a checklist are files). Most are effective; some carry superseded revisions (one
is at C), two have a revision in review (one with a reviewer's comment, one waiting for Ana
Costa's approval), two are drafts, one is approved for a date two weeks ahead, one was sent
back to draft and one is obsolete. Read-and-understood is partly signed (Jamal Okafor still has
reading to do), two periodic reviews are overdue and one was recorded.

The texts are data in `demo_content/`: `documents.json` lists the documents in the order they
are registered (so each type numbers from 0001), `<key>.md` is a document's first issue and
`<key>.<revision>.md` a later revision, whose reason and summary are in `revisions.json`.
`{{key}}` in a text stands for that document's number. This module tells the story.

Everything goes through the services, as the people of the demo company. No randomness: the
same documents and numbers every time. Loading is skipped when any document exists.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from django.utils import timezone

from qualitas.core import signatures, workflow
from qualitas.core.models import Department, Site, User
from qualitas.documents import demo_files, reading, reviews, services, signoffs
from qualitas.documents.models import Document, DocumentRevision, DocumentType

CONTENT = resources.files(__package__) / "demo_content"


@dataclass(frozen=True)
class Doc:
    """One demo document as first registered (a row of `documents.json`)."""

    key: str
    kind: str  # DocumentType code
    title: str
    author: str
    owner: str
    department: str
    clauses: str
    sites: tuple[str, ...] = ()


def _json(name: str) -> Any:
    return json.loads(CONTENT.joinpath(name).read_text(encoding="utf-8"))


def markdown(key: str, label: str = "") -> str:
    """The Markdown of a document's first issue, or of its revision `label`."""
    name = f"{key}.{label}.md" if label else f"{key}.md"
    return CONTENT.joinpath(name).read_text(encoding="utf-8")


DOCS = [
    Doc(
        key=row["key"],
        kind=row["type"],
        title=row["title"],
        author=row["author"],
        owner=row["owner"],
        department=row["department"],
        clauses=row["clauses"],
        sites=tuple(row.get("sites", ())),
    )
    for row in _json("documents.json")
]
# Later revisions: {key: {label: {"reason": ..., "summary": ...}}}, texts in <key>.<label>.md.
REVISIONS: dict[str, dict[str, dict[str, str]]] = _json("revisions.json")


# --- Loading -----------------------------------------------------------------------------------

REF = re.compile(r"\{\{([a-z0-9-]+)\}\}")
LEGACY_REVIEW_REASON = "Demo data: review date from the legacy system"


def load() -> None:
    """Called by `qualitas demo` after the company is created; nothing when documents exist."""
    if Document.objects.exists():
        return
    _Loader().run()


class _Loader:
    """The people, sites and document types of the demo, and the story told with them."""

    def __init__(self) -> None:
        from qualitas.core.demo import PEOPLE

        self.today = timezone.localdate()
        self.people = {u.username: u for u in User.objects.all()}
        self.passwords = {row[0]: row[-1] for row in PEOPLE}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.sites = {s.code: s for s in Site.objects.all()}
        self.types = {t.code: t for t in DocumentType.objects.all()}
        self.docs: dict[str, Document] = {}
        self.numbers: dict[str, str] = {}
        self.verified: set[int] = set()

    def p(self, username: str) -> User:
        return self.people[username]

    def ps(self, usernames: Iterable[str]) -> list[User]:
        return [self.people[u] for u in usernames]

    # -- signatures -----------------------------------------------------------------------------

    def token(self, user: User) -> signatures.SignatureToken:
        """Each signer's first signature re-verifies their printed password (so the demo's
        logins are known to sign); later ones are vouched for by the loader, as the other
        demo loaders do, instead of running Argon2 dozens of times."""
        if user.pk not in self.verified:
            self.verified.add(user.pk)
            return signatures.authenticate(user, self.passwords[user.username])
        return signatures.SignatureToken(user.pk, timezone.now())

    # -- building blocks ------------------------------------------------------------------------

    def resolve(self, text: str) -> str:
        return REF.sub(lambda m: self.numbers[m.group(1)], text)

    def register(self, spec: Doc) -> Document:
        return services.create_document(
            actor=self.p(spec.author),
            document_type=self.types[spec.kind],
            title=spec.title,
            owner=self.p(spec.owner),
            department=self.departments[spec.department],
            sites=[self.sites[code] for code in spec.sites],
            clause_references=spec.clauses,
            change_reason="First issue",
        )

    def write(
        self,
        spec: Doc,
        *,
        training: Iterable[str] = (),
        effective_on: date | None = None,
    ) -> DocumentRevision:
        """The author writes the first draft, now that every document has its number."""
        revision = self.docs[spec.key].revisions.get()
        departments = [self.departments[code] for code in training]
        return services.edit_revision(
            revision,
            actor=self.p(spec.author),
            expected_version=revision.version,
            training_impact=bool(departments),
            training_departments=departments,
            content_text=self.resolve(markdown(spec.key)),
            effective_on=effective_on,
        )

    def submit(
        self, revision: DocumentRevision, *, approvers: Sequence[str], reviewers: Sequence[str] = ()
    ) -> DocumentRevision:
        author = revision.owner
        signoffs.set_signoffs(
            revision, actor=author, reviewers=self.ps(reviewers), approvers=self.ps(approvers)
        )
        submitted: DocumentRevision = workflow.fire(revision, "submit", actor=author)
        return submitted

    def release(
        self,
        revision: DocumentRevision,
        *,
        approvers: Sequence[str],
        reviewers: Sequence[str] = (),
        comments: dict[str, str] | None = None,
    ) -> DocumentRevision:
        """Review and approve: to effective (or approved, waiting for its date)."""
        revision = self.submit(revision, approvers=approvers, reviewers=reviewers)
        for name in reviewers:
            comment = (comments or {}).get(name, "")
            if comment:
                signoffs.review(revision, actor=self.p(name), accept=False, comment=comment)
            signoffs.review(revision, actor=self.p(name), accept=True)
        for name in approvers:
            approver = self.p(name)
            revision = signoffs.approve(revision, actor=approver, signature=self.token(approver))
        revision.refresh_from_db()
        return revision

    def revise(self, key: str, label: str, *, actor: str) -> DocumentRevision:
        """A new revision of `key`, written from `<key>.<label>.md`."""
        change = REVISIONS[key][label]
        revision = services.new_revision(
            self.docs[key], actor=self.p(actor), change_reason=change["reason"]
        )
        if revision.label != label:  # pragma: no cover - guards the demo content itself
            raise ValueError(f"{key}: the new revision is {revision.label}, not {label}")
        return services.edit_revision(
            revision,
            actor=self.p(actor),
            expected_version=revision.version,
            content_text=self.resolve(markdown(key, label)),
            change_summary=self.resolve(change["summary"]),
        )

    def attach(self, key: str, data: bytes, name: str, description: str) -> None:
        revision = self.docs[key].revisions.get()
        services.add_file(
            revision,
            actor=revision.owner,
            file=io.BytesIO(data),
            name=name,
            description=description,
        )

    def acknowledge(self, key: str, usernames: Iterable[str]) -> None:
        revision = DocumentRevision.objects.get(document=self.docs[key], state="effective")
        for name in usernames:
            person = self.p(name)
            reading.acknowledge(revision, actor=person, signature=self.token(person))

    def relate(self, key: str, others: Iterable[str]) -> None:
        document = self.docs[key]
        document.refresh_from_db()
        services.update_document(
            document,
            actor=self.p("pnair"),
            expected_version=document.version,
            related=[self.docs[k] for k in others],
            reason="Related documents linked",
        )

    def legacy_review_date(self, key: str, days_ago: int) -> None:
        """The next periodic review as carried over from the old paper register."""
        document = Document.objects.get(pk=self.docs[key].pk)
        services.update_document(
            document,
            actor=self.p("pnair"),
            expected_version=document.version,
            reason=LEGACY_REVIEW_REASON,
            next_review_on=self.today - timedelta(days=days_ago),
        )

    # -- the story ------------------------------------------------------------------------------

    def run(self) -> None:
        for spec in DOCS:
            self.docs[spec.key] = self.register(spec)
        self.numbers = {key: document.number for key, document in self.docs.items()}
        training = {
            "pol-quality": ["QA", "MGT", "OPS", "MED", "ENG", "SCM", "IT"],
            "sop-traceability": ["OPS", "SCM"],
            "wi-passivation": ["MED"],
            "wi-nc-label": ["OPS"],
            "wi-gowning": ["MED"],
        }
        for spec in DOCS:
            self.write(
                spec,
                training=training.get(spec.key, ()),
                effective_on=self.today + timedelta(days=14)
                if spec.key == "pol-supplier"
                else None,
            )
        self.attach_files()
        self.release_documents()
        self.work_in_progress()
        self.related_documents()
        self.reading()
        self.periodic_reviews()
        # Merged into the calibration procedure: the policy is withdrawn (obsolete).
        services.withdraw_document(
            self.docs["pol-calibration"],
            actor=self.p("pnair"),
            reason=f"Merged into {self.numbers['sop-calibration']} rev B; one document for "
            "calibration instead of two.",
        )

    def attach_files(self) -> None:
        self.attach(
            "dwg-housing",
            demo_files.housing_drawing_pdf(),
            "HSG-4471-revD.pdf",
            "Customer drawing, revision D",
        )
        self.attach(
            "ext-astm-f138",
            demo_files.astm_summary_pdf(),
            "ASTM-F138-19-summary.pdf",
            "Summary sheet of the requirements checked (not the standard)",
        )
        self.attach(
            "frm-fai",
            demo_files.fai_form_pdf(self.numbers["frm-fai"]),
            f"{self.numbers['frm-fai']}-first-article-report.pdf",
            "Form to print or fill in",
        )
        self.attach(
            "frm-receiving",
            demo_files.receiving_checklist_xlsx(self.numbers["frm-receiving"]),
            f"{self.numbers['frm-receiving']}-receiving-checklist.xlsx",
            "Checklist template",
        )

    def release_documents(self) -> None:
        docs = self.docs
        first = {key: document.revisions.get() for key, document in docs.items()}
        # The quality manual: A, then B for the Leeds Digital scope (sequential approval).
        self.release(first["qm"], approvers=["acosta", "rmensah"], reviewers=["tbecker"])
        self.release(
            self.revise("qm", "B", actor="hmarsh"),
            approvers=["acosta", "rmensah"],
            reviewers=["tbecker"],
        )
        self.release(first["pol-quality"], approvers=["rmensah"])
        self.release(first["pol-infosec"], approvers=["rmensah"], reviewers=["spatel"])
        # Approved now, effective in two weeks (suppliers are told first).
        self.release(first["pol-supplier"], approvers=["hmarsh", "rmensah"], reviewers=["acosta"])
        self.release(first["pol-calibration"], approvers=["hmarsh"])
        # Control of documents: A, B, and C after an audit finding.
        self.release(first["sop-documents"], approvers=["hmarsh"])
        self.release(self.revise("sop-documents", "B", actor="pnair"), approvers=["hmarsh"])
        self.release(
            self.revise("sop-documents", "C", actor="pnair"),
            approvers=["hmarsh"],
            reviewers=["tbecker"],
        )
        self.release(first["sop-records"], approvers=["hmarsh"])
        self.release(first["sop-audit"], approvers=["hmarsh"], reviewers=["tbecker"])
        self.release(first["sop-review"], approvers=["rmensah"])
        self.release(first["sop-nc"], approvers=["acosta"], reviewers=["jokafor", "dfischer"])
        nc_b = self.revise("sop-nc", "B", actor="hmarsh")
        nc_b = services.edit_revision(
            nc_b,
            actor=self.p("hmarsh"),
            expected_version=nc_b.version,
            training_impact=True,
            training_departments=[self.departments[c] for c in ("QA", "OPS", "MED")],
        )
        self.release(
            nc_b,
            approvers=["acosta"],
            reviewers=["jokafor"],
            comments={"jokafor": "Please add where the quarantine cage is for the night shift."},
        )
        self.release(first["sop-capa"], approvers=["rmensah"], reviewers=["tbecker"])
        self.release(first["sop-supplier"], approvers=["hmarsh"])
        self.release(first["sop-calibration"], approvers=["hmarsh"], reviewers=["jokafor"])
        self.release(
            self.revise("sop-calibration", "B", actor="pnair"),
            approvers=["acosta"],
        )
        self.release(first["sop-training"], approvers=["rmensah"])
        self.release(first["sop-complaints"], approvers=["hmarsh"])
        self.release(first["sop-purchasing"], approvers=["hmarsh"])
        self.release(first["sop-traceability"], approvers=["hmarsh"], reviewers=["dfischer"])
        self.release(first["wi-cmm"], approvers=["acosta"])
        self.release(first["wi-fai"], approvers=["acosta"], reviewers=["dfischer"])
        self.release(first["wi-passivation"], approvers=["hmarsh"])
        self.acknowledge("wi-passivation", ["dfischer"])
        self.release(
            self.revise("wi-passivation", "B", actor="dfischer"),
            approvers=["hmarsh"],
        )
        self.release(first["wi-deburr"], approvers=["acosta"])
        self.release(
            self.revise("wi-deburr", "B", actor="jokafor"),
            approvers=["acosta"],
            reviewers=["lchen"],
        )
        self.release(first["wi-nc-label"], approvers=["hmarsh"], reviewers=["lchen"])
        self.release(first["wi-receiving"], approvers=["hmarsh"])
        self.release(first["wi-gauge"], approvers=["acosta"])
        self.release(first["wi-gowning"], approvers=["hmarsh"])
        self.release(first["wi-packing"], approvers=["hmarsh"], reviewers=["dfischer"])
        self.release(first["frm-fai"], approvers=["acosta"])
        self.release(first["frm-receiving"], approvers=["hmarsh"])
        self.release(first["frm-training"], approvers=["hmarsh"])
        self.release(first["frm-gauge-log"], approvers=["acosta"])
        self.release(first["spec-bar"], approvers=["acosta", "hmarsh"])
        self.release(
            self.revise("spec-bar", "1.1", actor="dfischer"),
            approvers=["acosta", "hmarsh"],
        )
        self.release(first["spec-packaging"], approvers=["hmarsh"])
        self.release(first["dwg-housing"], approvers=["hmarsh"])
        self.release(first["ext-astm-f138"], approvers=["hmarsh"])

    def work_in_progress(self) -> None:
        # CAPA rev B: in review, the auditor has commented.
        capa_b = self.submit(
            self.revise("sop-capa", "B", actor="hmarsh"),
            approvers=["rmensah"],
            reviewers=["tbecker"],
        )
        signoffs.review(
            capa_b,
            actor=self.p("tbecker"),
            accept=False,
            comment="90 days is too short for parts we make twice a year (e.g. IMP-7720 lots). "
            "Please say who decides the period in that case and that it must be stated in the plan.",
        )
        # Supplier evaluation rev B: reviewed, waiting for Ana Costa's signature.
        supplier_b = self.submit(
            self.revise("sop-supplier", "B", actor="mkowalski"),
            approvers=["acosta"],
            reviewers=["hmarsh"],
        )
        signoffs.review(
            supplier_b,
            actor=self.p("hmarsh"),
            accept=True,
            comment="Agreed; matches the customer scorecards.",
        )
        # Change control: sent back to draft by the approver, sign-offs voided.
        change = self.submit(
            self.docs["sop-change"].revisions.get(),
            approvers=["hmarsh"],
            reviewers=["jokafor", "dfischer"],
        )
        signoffs.review(change, actor=self.p("jokafor"), accept=True)
        signoffs.review(change, actor=self.p("dfischer"), accept=True)
        workflow.fire(
            change,
            "return_to_draft",
            actor=self.p("hmarsh"),
            comment="Process validation is missing: say when a change to a validated process "
            "(passivation, cleaning, packaging) needs revalidation before release.",
        )
        # Risk management: a draft with its sign-offs chosen; torque setting: a bare draft.
        signoffs.set_signoffs(
            self.docs["sop-risk"].revisions.get(),
            actor=self.p("dfischer"),
            reviewers=self.ps(["acosta"]),
            approvers=self.ps(["hmarsh"]),
        )

    def related_documents(self) -> None:
        pairs = [
            ("sop-nc", "wi-nc-label"),
            ("sop-nc", "sop-capa"),
            ("sop-calibration", "wi-gauge"),
            ("sop-calibration", "frm-gauge-log"),
            ("sop-calibration", "wi-cmm"),
            ("sop-calibration", "pol-calibration"),
            ("wi-fai", "frm-fai"),
            ("wi-fai", "dwg-housing"),
            ("wi-receiving", "frm-receiving"),
            ("wi-receiving", "sop-purchasing"),
            ("spec-bar", "ext-astm-f138"),
            ("spec-bar", "wi-receiving"),
            ("wi-passivation", "spec-packaging"),
        ]
        # Related is symmetrical and each update sets the whole list: give each its full list.
        neighbours: dict[str, list[str]] = {}
        for a, b in pairs:
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
        for key in DOCS_ORDER:
            if key in neighbours:
                self.relate(key, neighbours[key])

    def reading(self) -> None:
        """Read-and-understood: most have signed; Jamal Okafor and a few others have not."""
        self.acknowledge(
            "pol-quality",
            ["hmarsh", "pnair", "rmensah", "acosta", "tbecker", "spatel", "mkowalski", "dfischer"],
        )
        self.acknowledge("sop-nc", ["hmarsh", "pnair", "dfischer", "lchen"])
        self.acknowledge("sop-traceability", ["mkowalski"])
        self.acknowledge("wi-nc-label", ["lchen"])
        self.acknowledge("wi-gowning", ["dfischer"])

    def periodic_reviews(self) -> None:
        # Review dates carried over from the paper register: two overdue, one done today.
        self.legacy_review_date("sop-audit", 23)
        self.legacy_review_date("sop-purchasing", 61)
        self.legacy_review_date("sop-records", 9)
        controller = self.p("pnair")
        reviews.record_periodic_review(
            self.docs["sop-records"],
            actor=controller,
            outcome="no_change",
            comment="Retention periods checked against the current customer contracts and "
            "quality agreements; still right.",
            signature=self.token(controller),
        )


DOCS_ORDER = [spec.key for spec in DOCS]
