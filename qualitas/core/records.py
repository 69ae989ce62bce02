"""Record types: what a module declares, and the core services every record type gets.

A module declares its record type once, in its `module.py`:

    MODULE = Module(name="nonconformance", record_types=(RecordType(model=Nonconformance,
                    key="nonconformance", prefix="NC", workflow=WORKFLOW, ...),), ...)

and from then on numbering, the audit trail, optimistic locking, workflow transitions,
signatures, attachments, links and actions work for it the same way in the UI, the API
and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, events, numbering, permissions
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from qualitas.core.validation import clean_or_raise

if TYPE_CHECKING:
    from qualitas.core.models import QualityRecord, User
    from qualitas.core.workflow import Workflow


M = TypeVar("M", bound=Model)


class RecordLocked(Conflict):
    """The record is approved, effective or closed: a change needs a new revision or record."""


@dataclass(frozen=True)
class RecordPermissions:
    """Permission codes for seeing, raising and editing records of one type."""

    view: str
    create: str
    edit: str


@dataclass(frozen=True)
class RecordPresentation:
    """How the pages show one record type; the domain half is `RecordType`."""

    menu_group: str | None = "Quality records"
    menu_order: int = 100
    icon: str = "journal-check"
    # Fields shown on the detail page, in order (default: the editable fields).
    display_fields: tuple[str, ...] = ()
    # A module's own page for raising records of this type (default: the generic form).
    create_url_name: str | None = None
    # Extra HTML on the detail page, above the tabs (a chart, a diagram): (record, request) -> str.
    detail_panel: Callable[[Any, Any], str] | None = None
    # The list page's django-tables2 Table and django-filter FilterSet (default: generic ones).
    table_class: Any = None
    filterset_class: Any = None
    # Related objects the list shows, fetched with the rows (no N+1).
    list_select_related: tuple[str, ...] = ()
    # How a file of this record type is served (controlled copies of documents):
    # (record, attachment, reader) -> HttpResponse. Default: the verified original.
    serve_file: Callable[[Any, Any, Any], Any] | None = None


@dataclass(frozen=True)
class RecordType:
    """Everything the core needs to know about one kind of quality record."""

    model: type[QualityRecord]
    key: str
    label: str
    prefix: str
    workflow: Workflow
    permissions: RecordPermissions
    resource: str
    editable_fields: tuple[str, ...]
    number_pattern: str = "{prefix}-{year}-{seq:04}"
    regulated: bool = False
    # Who stands in which relation to a record, beyond owner and creator (assignee, approver…).
    relations: dict[str, Callable[[Any], Iterable[int]]] = field(default_factory=dict)
    # Fields left out of the signed content (derived or bookkeeping fields).
    unsigned_fields: tuple[str, ...] = ()
    # More content a signature covers, beyond the record's fields and files (e.g. disposition
    # lines): record -> JSON-able value. Changing it afterwards invalidates the signature.
    signed_extra: Callable[[Any], Any] | None = None
    # Fields that belong to a later step than some signatures: transition -> the fields first
    # entered for that step. A signature made at a transition covers the fields declared for
    # it and for the transitions before it (in the workflow's order), never those declared for
    # later ones: a CAPA's plan approval does not cover its effectiveness check. Undeclared
    # fields are covered by every signature.
    fields_signed_from: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Relations whose members change the record as its owner does (an audit's lead auditor
    # plans it and writes its report without holding the planners' permission).
    edited_by: tuple[str, ...] = ()
    # Signatures on one decision about a record, outside its workflow's steps (an audit's
    # signed exception to auditor independence): their name -> the content they cover
    # instead of the whole record. Such a signature stays valid while the record moves on,
    # and stops being valid when what it decided on changes.
    signed_for: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    label_plural_text: str = ""
    # Who sees which records, when site scoping is not the whole story (drafts of controlled
    # documents): (user, queryset of every record) -> the visible ones.
    visibility: Callable[[Any, QuerySet[Any]], QuerySet[Any]] | None = None
    # False when records are raised only through the module's own service and pages (a
    # revision belongs to a document): the generic form and API endpoint are not offered.
    generic_create: bool = True
    # Records belong to a site, which decides who sees and handles them; a record type whose
    # records concern the whole organisation (a document revision: its document says where it
    # applies) declares itself site-less.
    site_required: bool = True
    # For a site-less type, where a record applies, for permission checks (a revision: where
    # its document applies): record -> sites; none means the whole organisation.
    sites_of: Callable[[Any], Iterable[Any]] | None = None
    # The permission a person needs (at the record's site) to be made its owner.
    owner_permission: str | None = None
    # The module's service that raises a record of this type (its defaults and guards):
    # (actor=…, **fields) -> record. The generic page and API call it through `raise_record`,
    # so a record is raised the same way from the page, the API, the CLI, the demo and tests.
    create_service: Callable[..., Any] | None = None
    # Fields that service fills when they are left empty (an NC's detection date and
    # detector): the create form and API do not require them.
    defaulted_on_create: tuple[str, ...] = ()
    # The module's service that changes a record of this type (its guards and derived
    # fields): (record, actor=…, expected_version=…, reason=…, **changes) -> record. The
    # generic edit page and PATCH call it through `change_record`.
    update_service: Callable[..., Any] | None = None
    # What a step brings with it beyond the change of state (sign-offs opened, a fresh
    # effectiveness check): transition name -> the module's service function (record,
    # actor, comment). workflow.fire runs it in the same transaction, whoever fires the
    # step (page, API, service, test), so no path can skip it.
    entails: dict[str, Callable[[Any, Any, str], None]] = field(default_factory=dict)
    # What a text search of the list looks in (any case, anywhere in the text): a trigram
    # index on PostgreSQL, an FTS5 trigram table on SQLite (core.search.TrigramIndexes in a
    # migration; the core repairs the SQLite side after every migrate).
    search_fields: tuple[str, ...] = ("number", "title")
    # How the pages show it: list columns and filters, detail panel, menu entry.
    presentation: RecordPresentation = field(default_factory=lambda: RecordPresentation())

    @property
    def label_plural(self) -> str:
        return self.label_plural_text or f"{self.label}s"

    @property
    def model_name(self) -> str:
        return str(self.model._meta.model_name)


RECORD_TYPES: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    """Declare a record type; the core audits it and serves it from then on."""
    from qualitas.core.registry import MenuItem, registry

    numbering.validate_pattern(record_type.number_pattern)
    RECORD_TYPES[record_type.key] = record_type
    record_type.model.record_type = record_type
    audit.register(record_type.model, regulated=record_type.regulated)
    shown = record_type.presentation
    if shown.menu_group:
        item = MenuItem(
            record_type.label_plural,
            "core:record_list",
            shown.icon,
            record_type.permissions.view,
            url_args=(record_type.resource,),
            any_site=True,
        )
        registry.add_menu_item(shown.menu_group, item, order=shown.menu_order)
    return record_type


def type_of(record_or_model: Any) -> RecordType:
    model = record_or_model if isinstance(record_or_model, type) else type(record_or_model)
    for record_type in RECORD_TYPES.values():
        if record_type.model is model:
            return record_type
    raise LookupError(f"{model.__name__} is not a registered record type")


def by_resource(resource: str) -> RecordType:
    for record_type in RECORD_TYPES.values():
        if record_type.resource == resource:
            return record_type
    raise NotFound(f"No record type at /{resource}.")


# --- Who sees what -----------------------------------------------------------------------------


def visible_to(user: User, record_type: RecordType) -> QuerySet[Any]:
    """Records of this type the user may see: in the sites where they hold the view
    permission, plus those they own or raised."""
    records = record_type.model.objects.select_related("owner", "site", "department")
    if record_type.visibility is not None:
        return record_type.visibility(user, records)
    sites = permissions.sites_with_perm(user, record_type.permissions.view)
    if sites is None:
        return records
    return records.filter(Q(site_id__in=sites) | Q(owner=user) | Q(created_by=user))


# Where a record stands for lists and indicators: not closed (not in a locked state),
# overdue (not closed and past its due date), closed.
STATUSES = (("live", "Not closed"), ("overdue", "Overdue"), ("closed", "Closed"))


def with_status(record_type: RecordType, queryset: QuerySet[Any], status: str) -> QuerySet[Any]:
    """The records of `queryset` in one of STATUSES: the list's Status filter and the KPI
    strip's figures count the same rows."""
    locked = record_type.workflow.locked_states
    if status == "closed":
        return queryset.filter(state__in=locked)
    queryset = queryset.exclude(state__in=locked)
    if status == "overdue":
        return queryset.filter(due_on__lt=timezone.localdate())
    return queryset


def get_visible(
    user: User,
    record_type: RecordType,
    pk: int,
    *,
    related: tuple[str, ...] = (),
    signatures: bool = False,
) -> Any:
    """The record if the user may see it (else NotFound), with what a page reads of it:
    the `related` foreign keys joined, its `signatures` fetched along."""
    found = visible_to(user, record_type).filter(pk=pk)
    if related:
        found = found.select_related(*related)
    if signatures:
        found = found.prefetch_related("signatures")
    record = found.first()
    if record is None:
        raise NotFound(f"No {record_type.label.lower()} with id {pk}.")
    return record


def relation_members(record: QualityRecord, relation: str) -> set[int]:
    """Ids of the users who stand in `relation` to the record."""
    if relation == "owner":
        return {record.owner.pk}
    if relation == "creator":
        return {record.created_by.pk}
    resolver = type_of(record).relations.get(relation)
    if resolver is None:
        raise ValueError(f"{type_of(record).key} declares no relation {relation!r}")
    return set(resolver(record))


# --- Create and edit ---------------------------------------------------------------------------


@audit.service
def create(
    record_type: RecordType, *, actor: User, computed: dict[str, Any] | None = None, **fields: Any
) -> Any:
    """Raise a new record: numbered, in the workflow's initial state, audited.

    `fields` are what a person may set; `computed` are fields the module's own service
    derives (results of an analysis), saved in the same creation event.
    """
    unknown = sorted(set(fields) - set(record_type.editable_fields) - {"owner"})
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be set here.") for name in unknown])
    permissions.require(actor, record_type.permissions.create)  # somewhere, before asking where
    if "site" in record_type.editable_fields or fields.get("site") is not None:
        fields["site"] = _site_for_new(record_type, actor, fields.get("site"))
    site = fields.get("site")
    permissions.require(actor, record_type.permissions.create, site=site)
    if fields.get("owner") is not None:
        check_owner(record_type, fields["owner"], site)
    record = record_type.model(
        **fields,
        **(computed or {}),
        state=record_type.workflow.initial,
        created_by=actor,
        updated_by=actor,
    )
    if fields.get("owner") is None:
        record.owner = actor
    record.number = "pending"  # replaced below, after validation, so a refusal uses no number
    clean_or_raise(record, exclude=["number", *_loaded_relations(record)])
    pattern = numbering.pattern_for(record_type.key, record_type.number_pattern)
    # The number's lock serialises every creation of this type, and the chain head's every
    # audited write; both are held to the commit, so they are taken last: after the number,
    # only the record's insert and its events (appended as the service ends).
    record.number = numbering.next_number(
        record_type.key, prefix=record_type.prefix, pattern=pattern
    )
    record.save()
    events.publish(events.RecordCreated(record_type.key, record.pk, actor.pk))
    return record


def _loaded_relations(record: Model) -> list[str]:
    """Relations set to people, sites and other objects the service has just read: their
    existence needs no query each (model validation asks one per field). Only relations no
    uniqueness or constraint involves, so validation skips nothing else for them."""
    meta = record._meta
    constrained = {name for names in meta.unique_together for name in names}
    for constraint in meta.constraints:
        fields = getattr(constraint, "fields", None)
        if not fields:  # a check or an expression: leave validation whole
            return []
        constrained.update(fields)
        condition = getattr(constraint, "condition", None)
        if condition is not None:
            constrained.update(condition.referenced_base_fields)
    loaded = []
    for model_field in meta.concrete_fields:
        if not model_field.many_to_one or model_field.unique or model_field.name in constrained:
            continue
        if model_field.remote_field.limit_choices_to:  # type: ignore[union-attr]
            continue
        related = record._state.fields_cache.get(model_field.name)
        if (
            related is not None
            and not related._state.adding
            and related._state.db is not None
            and related.pk == getattr(record, model_field.attname)
        ):
            loaded.append(model_field.name)
    return loaded


def raise_record(record_type: RecordType, *, actor: User, **fields: Any) -> Any:
    """Raise a record from a page or the API: through the module's own service when it
    declares one, else the core's `create`."""
    if record_type.create_service is not None:
        return record_type.create_service(actor=actor, **fields)
    return create(record_type, actor=actor, **fields)


def change_record(
    record: Any, *, actor: User, expected_version: int | None, reason: str = "", **changes: Any
) -> Any:
    """Change a record from a page or the API: through the module's own service when it
    declares one, else the core's `update`."""
    service = type_of(record).update_service or update
    return service(record, actor=actor, expected_version=expected_version, reason=reason, **changes)


def _site_for_new(record_type: RecordType, actor: User, site: Any) -> Any:
    """The site a new record belongs to. A record without one would be seen only by people
    who hold their role at every site, so one is required unless the type is site-less: the
    person's own site, or the only site where they may raise this type, serves as default."""
    if site is not None or not record_type.site_required:
        return site
    code = record_type.permissions.create
    if actor.site is not None and permissions.has_perm(actor, code, site=actor.site):
        return actor.site
    sites = permissions.sites_with_perm(actor, code)
    if sites is not None and len(sites) == 1:
        from qualitas.core.models import Site

        return Site.objects.get(pk=next(iter(sites)))
    raise InvalidInput.for_field(
        "site", f"Choose the site this {record_type.label.lower()} belongs to."
    )


def check_owner(record_type: RecordType, owner: User, site: Any) -> None:
    """Only an active person who may handle records of this type at this site can own one."""
    needed = record_type.owner_permission or record_type.permissions.edit
    if not owner.is_active or not (
        permissions.has_perm(owner, needed, site=site)
        or permissions.has_perm(owner, record_type.permissions.create, site=site)
    ):
        raise InvalidInput.for_field(
            "owner",
            f"{owner.printed_name} cannot own a {record_type.label.lower()}"
            + (f" at {site}" if site is not None else "")
            + ": they do not handle these records there.",
        )


@contextmanager
def locked(record: M, expected_version: int | None = None) -> Iterator[M]:
    """Work on the current copy of a record, its row locked until the transaction ends.

    Refuses a stale `expected_version` (409 naming who changed it and when). Save a change
    made inside with `touch`, which counts it as one new version. Use it inside the service's
    transaction (`@audit.service`): the lock lasts as long as that transaction.
    """
    # Only the record's own row: the joined updated_by (for the 409's "changed by") stays free.
    rows = type(record)._default_manager.select_for_update(of=("self",))
    current = rows.select_related("updated_by").get(pk=record.pk)
    check_version(current, expected_version)
    yield current


def touch(record: Any, actor: User) -> None:
    """Save a change to a record as one new version, made by the actor: the one place the
    version rises, so a stale copy can never overwrite the change unnoticed."""
    record.version += 1
    record.updated_by = actor
    record.save()


def check_version(current: Any, expected_version: int | None) -> None:
    """Refuse a write based on a stale copy, saying who changed the record since."""
    if expected_version is not None and current.version != expected_version:
        raise Conflict(
            f"{current.number} was changed by {current.updated_by.printed_name} at "
            f"{current.updated_at:%Y-%m-%d %H:%M} UTC (now version {current.version}, you "
            f"edited version {expected_version}). Reload it and make your change again.",
            errors=[FieldError("version", f"Stale: the record is at version {current.version}.")],
        )


def sites_of(record: QualityRecord) -> list[Any] | None:
    """Where a record belongs, for permission checks: its site; for a site-less type, where
    its module says it applies; None: the whole organisation."""
    if record.site_id is not None:
        return [record.site]
    record_type = type_of(record)
    if record_type.sites_of is not None:
        return list(record_type.sites_of(record)) or None
    return None


def has_perm_for(user: User, code: str, record: QualityRecord) -> bool:
    """May the user do `code` on this record: at its site, at every site it applies to, or
    at every site for a record of the whole organisation (never just "somewhere")."""
    sites = sites_of(record)
    if sites is None:
        return permissions.holds_everywhere(user, code)
    return all(permissions.has_perm(user, code, site=site) for site in sites)


def require_for(user: User, code: str, record: QualityRecord) -> None:
    if not has_perm_for(user, code, record):
        where = ", ".join(str(s.name) for s in sites_of(record) or []) or "every site"
        spec = permissions.PERMISSIONS[code]
        raise PermissionDenied(f"You may not do this at {where}: it needs '{spec.description}'")


def may_edit(user: User, record: QualityRecord) -> bool:
    record_type = type_of(record)
    if record.state in record_type.workflow.locked_states:
        return False
    if record.owner.pk == user.pk or any(
        user.pk in relation_members(record, relation) for relation in record_type.edited_by
    ):
        return True
    return has_perm_for(user, record_type.permissions.edit, record)


def may_link(user: User, record: QualityRecord) -> bool:
    """Links are traceability, not content: a closed record may still gain one (an NC closed
    last month escalated to a CAPA today), by its owner or an editor of its type."""
    record_type = type_of(record)
    return record.owner.pk == user.pk or has_perm_for(user, record_type.permissions.edit, record)


@audit.service
def update(
    record: QualityRecord,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> Any:
    """Change a record's fields; refused on a stale version, a locked record or a wrong hand."""
    record_type = type_of(record)
    with locked(record, expected_version) as current:
        if current.state in record_type.workflow.locked_states:
            raise RecordLocked(
                f"{current.number} is {current.get_state_display()} and can no longer be changed."
            )
        if not may_edit(actor, current):
            require_for(actor, record_type.permissions.edit, current)
        unknown = sorted(set(changes) - set(record_type.editable_fields))
        if unknown:
            raise InvalidInput(
                [FieldError(name, "This field cannot be changed.") for name in unknown]
            )
        changed = [name for name, value in changes.items() if getattr(current, name) != value]
        if not changed:
            return current
        if "site" in changed:
            # Moving a record hands it to another site's people: the mover must be able to
            # raise such records there, and a site-bound type cannot be moved to no site at all.
            if changes["site"] is None and record_type.site_required:
                raise InvalidInput.for_field("site", "A record of this type must belong to a site.")
            permissions.require(actor, record_type.permissions.create, site=changes["site"])
        if "owner" in changed:
            check_owner(record_type, changes["owner"], changes.get("site", current.site))
        for name in changed:
            setattr(current, name, changes[name])
        clean_or_raise(current)
        touch(current, actor)
    events.publish(events.RecordChanged(record_type.key, current.pk, actor.pk, tuple(changed)))
    return current


def find_by_number(user: User, number: str) -> Any:
    """The record with this number, of any type, if the user may see it."""
    for record_type in RECORD_TYPES.values():
        found = visible_to(user, record_type).filter(number__iexact=number).first()
        if found is not None:
            return found
    return None
