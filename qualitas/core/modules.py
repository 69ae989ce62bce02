"""A module's one declaration: everything it adds to the platform, in one `Module(...)`.

Each app has a `module.py` with `MODULE = Module(...)`; its AppConfig derives from
`ModuleConfig`, whose `ready()` installs that declaration into the core's registries
(permissions, audit, record types, navigation, search, home panels, pages, API, events,
jobs, reports, demo data, set-up after migrate). Nothing else registers anything:
`undeclared()` lists whatever reached a registry without a declaration, and a test keeps
that list empty — so reading a module's `module.py` tells the whole story of what it adds.

The shape, with the nonconformance module as the worked example, is in
docs/architecture.md ("Adding a module").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from django.db.models import Model

    from qualitas.core.compliance_checks import Check
    from qualitas.core.events import Event
    from qualitas.core.records import RecordType
    from qualitas.core.registry import (
        ActionNotes,
        HomePanel,
        MenuItem,
        RecordButton,
        RecordDocument,
        SearchSource,
    )


@dataclass(frozen=True)
class Permission:
    """A permission code, what it allows, and the system roles that carry it by default."""

    code: str
    description: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audited:
    """A model whose every change is on the audit trail (record types are audited anyway)."""

    model: type[Model]
    exclude: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    protect_delete: bool = True


@dataclass(frozen=True)
class Menu:
    """A navigation entry in a group (the group is created by its first entry)."""

    group: str
    item: MenuItem
    group_order: int = 100


@dataclass(frozen=True)
class Pages:
    """A URLconf mounted at `prefix` (a record type's resource: `nonconformances/`)."""

    prefix: str
    urlconf: str


@dataclass(frozen=True)
class Api:
    """A django-ninja Router mounted under /api/v1 at `prefix` (`/nonconformances`)."""

    prefix: str
    router: Any


@dataclass(frozen=True)
class Moved:
    """An old path prefix that now answers 308 Permanent Redirect to `new` (same rest)."""

    old: str
    new: str


@dataclass(frozen=True)
class Subscription:
    """Call `handler(event)` for every event of this type: after commit, or inside the
    publishing transaction when the reaction must stand or fall with the change."""

    event: type[Event]
    handler: Callable[[Any], None]
    in_transaction: bool = False


@dataclass(frozen=True)
class Job:
    """A periodic job: idempotent, returns a one-line summary of what it did."""

    name: str
    description: str
    run: Callable[[], str]


@dataclass(frozen=True)
class Module:
    """Everything one app adds to Qualitas."""

    name: str
    permissions: tuple[Permission, ...] = ()
    audited: tuple[Audited, ...] = ()
    record_types: tuple[RecordType, ...] = ()
    menu: tuple[Menu, ...] = ()
    pages: tuple[Pages, ...] = ()
    api: tuple[Api, ...] = ()
    moved: tuple[Moved, ...] = ()
    search: tuple[SearchSource, ...] = ()
    home_panels: tuple[HomePanel, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    jobs: tuple[Job, ...] = ()
    # Printable documents of a record (an 8D report), linked from the record's page.
    reports: tuple[RecordDocument, ...] = ()
    # Quality indicators (qualitas.core.kpis.Indicator): the strip on My work now, the KPI
    # dashboard of issue "Quality objectives, KPIs…" later.
    kpis: tuple[Any, ...] = ()
    # Automated compliance checks (qualitas.core.compliance_checks.Check) over the module's
    # own records; the compliance module runs them and keeps their history.
    compliance_checks: tuple[Check, ...] = ()
    # Idempotent demo data, loaded after the core's demo company.
    demo: Callable[[], None] | None = None
    # Reference data every installation needs (document types), after each migrate.
    after_migrate: Callable[..., None] | None = None
    # Which procedures a person is not currently trained on (qualitas.core.training_gate):
    # workflow steps declared `works_under` them are refused until they are.
    training_gate: Callable[..., list[Any]] | None = None
    # How training is assigned when another module asks (qualitas.core.training_requests:
    # the people a change request's training impact names).
    training_assigner: Callable[..., Any] | None = None
    # Who has read which revision, kept for the documents module (training_requests.Reading…).
    reading_register: Any = None
    # Controls on other modules' record pages, and notes beside their actions.
    record_buttons: tuple[RecordButton, ...] = ()
    action_notes: tuple[ActionNotes, ...] = ()


INSTALLED: dict[str, Module] = {}


def install(module: Module, app_config: AppConfig | None = None) -> None:
    """Put one module's declaration into the core's registries (once per process)."""
    from django.db.models.signals import post_migrate

    from qualitas.core import (
        audit,
        compliance_checks,
        events,
        jobs,
        permissions,
        records,
        training_gate,
        training_requests,
    )
    from qualitas.core.registry import registry

    if module.name in INSTALLED:
        return
    INSTALLED[module.name] = module
    for permission in module.permissions:
        permissions.register_permission(
            permission.code, permission.description, roles=permission.roles
        )
    for audited in module.audited:
        audit.register(
            audited.model,
            exclude=audited.exclude,
            secret=audited.secret,
            protect_delete=audited.protect_delete,
        )
    for record_type in module.record_types:
        records.register(record_type)
    for entry in module.menu:
        registry.add_menu_item(entry.group, entry.item, order=entry.group_order)
    registry.url_includes.extend((p.prefix, p.urlconf) for p in module.pages)
    registry.api_routers.extend((a.prefix, a.router) for a in module.api)
    registry.moved.extend((m.old, m.new) for m in module.moved)
    registry.search.extend(searched_by(module))
    registry.home_panels.extend(module.home_panels)
    registry.kpis.extend(module.kpis)
    for check in module.compliance_checks:
        compliance_checks.register(check)
    registry.record_documents.extend(module.reports)
    registry.record_buttons.extend(module.record_buttons)
    registry.action_notes.extend(module.action_notes)
    for subscription in module.subscriptions:
        events.subscribe(
            subscription.event, subscription.handler, in_transaction=subscription.in_transaction
        )
    for job in module.jobs:
        jobs.JOBS[job.name] = jobs.PeriodicJob(job.name, job.run, job.description)
    if module.demo is not None:
        registry.demo_loaders.append(module.demo)
    if module.training_gate is not None:
        training_gate.register(module.training_gate)
    if module.training_assigner is not None:
        training_requests.register(module.training_assigner)
    if module.reading_register is not None:
        training_requests.register_reading(module.reading_register)
    if module.after_migrate is not None:
        post_migrate.connect(module.after_migrate, sender=app_config)


class ModuleConfig(AppConfig):
    """An AppConfig whose whole start-up is installing the `MODULE` of its `module.py`.

    Subclass it as `modules.ModuleConfig` (not imported by name): Django picks the one
    AppConfig class found in apps.py, and an imported base would be a second one.
    """

    def ready(self) -> None:
        declaration = importlib.import_module(f"{self.name}.module")
        install(declaration.MODULE, self)


def searched_by(module: Module) -> list[SearchSource]:
    """What the global search box finds of a module: the sources it declares, and each of
    its record types by the fields its list searches (`search.record_source`) unless a
    declared source finds that type already (documents search their text too)."""
    from qualitas.core import search

    own = {source.record_type for source in module.search}
    return list(module.search) + [
        search.record_source(rt) for rt in module.record_types if rt.key not in own
    ]


def undeclared() -> list[str]:
    """What reached a registry without being declared by an installed module (should be
    nothing): one line per stray entry, naming the registry and the entry."""
    from qualitas.core import (
        audit,
        compliance_checks,
        events,
        jobs,
        permissions,
        records,
        training_gate,
        training_requests,
    )
    from qualitas.core.registry import registry

    declared = list(INSTALLED.values())
    strays: list[str] = []

    def check(kind: str, present: Any, known: set[Any], name: Callable[[Any], str]) -> None:
        strays.extend(f"{kind}: {name(item)}" for item in present if item not in known)

    check(
        "permission",
        permissions.PERMISSIONS,
        {p.code for m in declared for p in m.permissions},
        str,
    )
    record_models = {rt.model for m in declared for rt in m.record_types}
    check(
        "audited model",
        audit.REGISTRY,
        {a.model for m in declared for a in m.audited} | record_models,
        lambda model: model._meta.label,
    )
    check(
        "record type",
        [id(rt) for rt in records.RECORD_TYPES.values()],
        {id(rt) for m in declared for rt in m.record_types},
        lambda ident: next(rt.key for rt in records.RECORD_TYPES.values() if id(rt) == ident),
    )
    record_menu = {rt.label_plural for m in declared for rt in m.record_types}
    check(
        "menu item",
        [(g.label, i) for g in registry.menu for i in g.items if i.label not in record_menu],
        {(e.group, e.item) for m in declared for e in m.menu},
        lambda entry: f"{entry[0]} > {entry[1].label}",
    )
    check(
        "pages",
        registry.url_includes,
        {(p.prefix, p.urlconf) for m in declared for p in m.pages},
        str,
    )
    check("api", registry.api_routers, {(a.prefix, a.router) for m in declared for a in m.api}, str)
    check("moved", registry.moved, {(x.old, x.new) for m in declared for x in m.moved}, str)
    check(
        "search",
        [s.label for s in registry.search],
        {s.label for m in declared for s in searched_by(m)},
        str,
    )
    check("kpi", registry.kpis, {k for m in declared for k in m.kpis}, lambda k: k.key)
    check(
        "compliance check",
        list(compliance_checks.REGISTRY.values()),
        {c for m in declared for c in m.compliance_checks},
        lambda c: c.key,
    )
    check(
        "home panel",
        registry.home_panels,
        {p for m in declared for p in m.home_panels},
        lambda p: p.name,
    )
    check(
        "report",
        registry.record_documents,
        {r for m in declared for r in m.reports},
        lambda r: r.label,
    )
    check(
        "demo loader",
        registry.demo_loaders,
        {m.demo for m in declared if m.demo},
        lambda f: f.__qualname__,
    )
    check(
        "event subscriber",
        [(t, h) for t, handlers in events.subscribers().items() for h in handlers],
        {(s.event, s.handler) for m in declared for s in m.subscriptions},
        lambda entry: f"{entry[0].__name__} → {entry[1].__qualname__}",
    )
    check(
        "periodic job",
        [(j.name, j.run) for j in jobs.JOBS.values()],
        {(j.name, j.run) for m in declared for j in m.jobs},
        lambda entry: entry[0],
    )
    check(
        "training gate",
        training_gate.CHECKERS,
        {m.training_gate for m in declared if m.training_gate},
        lambda f: f.__qualname__,
    )
    check(
        "training assigner",
        training_requests.ASSIGNERS,
        {m.training_assigner for m in declared if m.training_assigner},
        lambda f: f.__qualname__,
    )
    check(
        "reading register",
        training_requests.REGISTERS,
        {m.reading_register for m in declared if m.reading_register is not None},
        lambda r: type(r).__qualname__,
    )
    check(
        "record button",
        registry.record_buttons,
        {b for m in declared for b in m.record_buttons},
        lambda b: b.label,
    )
    check(
        "action notes",
        registry.action_notes,
        {n for m in declared for n in m.action_notes},
        lambda n: n.notes.__qualname__,
    )
    return strays
