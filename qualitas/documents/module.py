"""Document control: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from django.urls import reverse

from qualitas.core import events, kpis, permissions as p
from qualitas.core.modules import (
    Api,
    Audited,
    Job,
    Menu,
    Module,
    Moved,
    Pages,
    Permission,
    Subscription,
)
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import HomePanel, MenuItem, SearchSource
from qualitas.documents import (
    api,
    api_identity,
    api_revisions,
    copies,
    demo,
    jobs,
    panels,
    queries,
    reading,
    search,
    services,
    setup,
    workflows as w,
)
from qualitas.documents.checks import CHECKS as COMPLIANCE_CHECKS
from qualitas.documents.events import RevisionBecameEffective
from qualitas.documents.models import (
    Acknowledgement,
    Document,
    DocumentRevision,
    DocumentType,
    PeriodicReview,
    ReviewComment,
    SignOff,
)

GROUP = "Documents"

DOCUMENT_REVISION = RecordType(
    model=DocumentRevision,
    key="docrevision",
    label="Document revision",
    prefix="REV",
    workflow=w.WORKFLOW,
    update_service=services.edit_revision,
    entails=services.ENTAILS,
    permissions=RecordPermissions(view=w.VIEW, create=w.AUTHOR, edit=w.CONTROL),
    resource="document-revisions",
    editable_fields=(
        "title",
        "content_text",
        "change_summary",
        "change_reason",
        "training_impact",
        "effective_on",
    ),
    relations={"reviewer": queries.reviewers_of, "approver": queries.approvers_of},
    # Dates the system sets after approval; the approved content is the rest.
    unsigned_fields=("effective_on", "superseded_on", "withdrawn_on"),
    signed_extra=panels.signed_audience,
    # A revision belongs to a document: raised with it, or as its next revision.
    generic_create=False,
    site_required=False,
    sites_of=lambda revision: revision.document.sites.all(),
    visibility=queries.visible_revisions,
    presentation=RecordPresentation(
        menu_group=None,
        display_fields=(
            "document",
            "label",
            "owner",
            "effective_on",
            "change_summary",
            "change_reason",
            "training_impact",
            "superseded_on",
            "withdrawn_on",
        ),
        create_url_name="documents:create",
        detail_panel=panels.revision_panel,
        # Files leave as controlled copies, from the record page and its API too.
        serve_file=copies.serve_attachment,
    ),
)

MODULE = Module(
    name="documents",
    permissions=(
        Permission(w.VIEW, "Read effective controlled documents.", roles=p.EVERYONE),
        Permission(
            w.AUTHOR,
            "Write new documents and revisions (drafts).",
            roles=(p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER, p.APPROVER, p.CONTRIBUTOR),
        ),
        Permission(
            w.CONTROL,
            "Control documents: see drafts, send for review, withdraw, periodic review.",
            roles=(p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER),
        ),
        Permission(
            w.APPROVE,
            "Approve document revisions by electronic signature.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(
            w.HISTORY,
            "Read superseded and obsolete revisions.",
            roles=(p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER, p.APPROVER, p.AUDITOR),
        ),
    ),
    audited=tuple(
        Audited(model)
        for model in (
            DocumentType,
            Document,
            SignOff,
            ReviewComment,
            Acknowledgement,
            PeriodicReview,
        )
    ),
    record_types=(DOCUMENT_REVISION,),
    menu=(
        Menu(
            GROUP,
            MenuItem(
                "Document register", "documents:register", "journal-text", w.VIEW, any_site=True
            ),
            group_order=5,
        ),
        Menu(
            GROUP,
            MenuItem("Search documents", "documents:search", "search", w.VIEW, any_site=True),
            group_order=5,
        ),
        Menu(GROUP, MenuItem("My reading", "documents:reading", "book", w.VIEW, any_site=True), 5),
        Menu(
            GROUP,
            MenuItem("Document types", "documents:types", "sliders", w.VIEW, any_site=True),
            group_order=5,
        ),
    ),
    # The register at /documents/, a revision's own pages at /document-revisions/<pk>/.
    pages=(Pages("", "qualitas.documents.urls"),),
    api=(
        Api("/documents", api.router),
        Api("/documents", api_identity.router),
        Api("/document-revisions", api_revisions.router),
    ),
    moved=(
        Moved("/api/v1/documents/revisions/", "/api/v1/document-revisions/"),
        Moved("/documents/revisions/", "/document-revisions/"),
    ),
    compliance_checks=COMPLIANCE_CHECKS,
    kpis=(
        kpis.Indicator(
            "documents.review_overdue",
            "Documents overdue for review",
            queries.overdue_reviews,
            url=lambda: reverse("documents:register") + "?review=overdue",
            order=400,
        ),
        kpis.Indicator(
            "documents.read_and_understood",
            "Read and understood",
            queries.reading_completion,
            unit="%",
            lower_is_better=False,
            order=410,
        ),
    ),
    search=(
        SearchSource(
            "Documents", search.global_search, search.describe, record_type=DOCUMENT_REVISION.key
        ),
    ),
    home_panels=(
        HomePanel("document-reading", panels.reading_panel, order=4),
        HomePanel("document-reviews", panels.reviews_panel, order=8),
    ),
    subscriptions=(
        Subscription(events.RecordChanged, panels.reindex_on_change),
        # Read and understood lives here until the training module takes it over: it will
        # subscribe to the same event, and this line moves there.
        Subscription(RevisionBecameEffective, reading.on_revision_effective, in_transaction=True),
    ),
    jobs=(
        Job(
            "documents-effective",
            "Make approved revisions effective on their date.",
            jobs.make_revisions_effective,
        ),
        Job(
            "documents-review-due",
            "Remind owners of periodic reviews due or overdue.",
            jobs.remind_periodic_reviews,
        ),
        Job(
            "documents-reading-audience",
            "Ask newcomers to a role or department to read the effective revisions that "
            "concern them.",
            jobs.assign_new_readers,
        ),
    ),
    demo=demo.load,
    after_migrate=setup.after_migrate,
)
