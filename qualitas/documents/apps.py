from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DocumentsConfig(AppConfig):
    """Declares controlled documents: permissions, the revision record type, pages, API,
    search, home panels, periodic jobs and demo data."""

    name = "qualitas.documents"
    label = "documents"
    verbose_name = "Document control"

    def ready(self) -> None:
        from qualitas.core import audit, events, permissions, records
        from qualitas.core.registry import HomePanel, MenuItem, SearchSource, registry
        from qualitas.documents import api, copies, demo, jobs, panels, queries, search  # noqa: F401
        from qualitas.documents import workflows as w
        from qualitas.documents.models import (
            Acknowledgement,
            Document,
            DocumentRevision,
            DocumentType,
            PeriodicReview,
            ReviewComment,
            SignOff,
        )

        p = permissions
        p.register_permission(w.VIEW, "Read effective controlled documents.", roles=p.EVERYONE)
        p.register_permission(
            w.AUTHOR,
            "Write new documents and revisions (drafts).",
            roles=[p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER, p.APPROVER, p.CONTRIBUTOR],
        )
        p.register_permission(
            w.CONTROL,
            "Control documents: see drafts, send for review, withdraw, periodic review.",
            roles=[p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER],
        )
        p.register_permission(
            w.APPROVE,
            "Approve document revisions by electronic signature.",
            roles=[p.QUALITY_MANAGER, p.APPROVER],
        )
        p.register_permission(
            w.HISTORY,
            "Read superseded and obsolete revisions.",
            roles=[p.QUALITY_MANAGER, p.DOCUMENT_CONTROLLER, p.APPROVER, p.AUDITOR],
        )
        for model in (DocumentType, Document, SignOff, ReviewComment, Acknowledgement):
            audit.register(model)
        audit.register(PeriodicReview)
        records.register(
            records.RecordType(
                model=DocumentRevision,
                key="docrevision",
                label="Document revision",
                prefix="REV",
                workflow=w.WORKFLOW,
                permissions=records.RecordPermissions(view=w.VIEW, create=w.AUTHOR, edit=w.CONTROL),
                resource="document-revisions",
                editable_fields=(
                    "title",
                    "content_text",
                    "change_summary",
                    "change_reason",
                    "training_impact",
                    "effective_on",
                ),
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
                relations={"reviewer": queries.reviewers_of, "approver": queries.approvers_of},
                # Dates the system sets after approval; the approved content is the rest.
                unsigned_fields=("effective_on", "superseded_on", "withdrawn_on"),
                signed_extra=panels.signed_audience,
                menu_group=None,
                create_url_name="documents:create",
                generic_create=False,
                site_required=False,
                sites_of=lambda revision: revision.document.sites.all(),
                visibility=queries.visible_revisions,
                detail_panel=panels.revision_panel,
                # Files leave as controlled copies, from the record page and its API too.
                serve_file=copies.serve_attachment,
            )
        )
        events.subscribe(events.RecordChanged, panels.reindex_on_change)
        registry.add_menu_item(
            "Documents",
            MenuItem(
                "Document register", "documents:register", "journal-text", w.VIEW, any_site=True
            ),
            order=5,
        )
        registry.add_menu_item(
            "Documents",
            MenuItem("Search documents", "documents:search", "search", w.VIEW, any_site=True),
        )
        registry.add_menu_item(
            "Documents",
            MenuItem("My reading", "documents:reading", "book", w.VIEW, any_site=True),
        )
        registry.add_menu_item(
            "Documents",
            MenuItem("Document types", "documents:types", "sliders", w.VIEW, any_site=True),
        )
        registry.url_includes.append(("documents/", "qualitas.documents.urls"))
        registry.api_routers.append(("/documents", api.router))
        registry.search.append(SearchSource("Documents", search.global_search, search.describe))
        registry.home_panels.append(HomePanel("document-reading", panels.reading_panel, order=4))
        registry.home_panels.append(HomePanel("document-reviews", panels.reviews_panel, order=8))
        registry.demo_loaders.append(demo.load)
        from qualitas.documents import setup

        post_migrate.connect(setup.after_migrate, sender=self)
