"""Stores filled at start-up from each module's declaration (qualitas.core.modules):
navigation, search, home panels, pages, API routers, moved paths, reports, demo loaders,
and what modules add to each other's record pages (buttons, notes beside actions).

The core reads these and never imports a module; a module that is not installed is
simply absent from the navigation (no placeholder pages).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from qualitas.core.models import User


@dataclass(frozen=True)
class MenuItem:
    """One link in the navigation; shown only to users holding `permission`."""

    label: str
    url_name: str
    icon: str
    permission: str | None = None
    url_args: tuple[str, ...] = ()
    # Shown when the user holds `permission` at any site (record types are site-scoped).
    any_site: bool = False

    @property
    def href(self) -> str:
        from django.urls import get_script_prefix

        return _menu_href(self.url_name, self.url_args, get_script_prefix())


@functools.lru_cache(maxsize=1024)
def _menu_href(url_name: str, url_args: tuple[str, ...], _prefix: str) -> str:
    """The menu's links are the same on every page (every page's shell reverses them all);
    the script prefix is in the key because reverse() writes it into the link."""
    from django.urls import reverse

    return reverse(url_name, args=url_args)


@dataclass(frozen=True)
class MenuGroup:
    label: str
    items: tuple[MenuItem, ...]
    order: int = 100


@dataclass(frozen=True)
class SearchSource:
    """A kind of thing the global search box finds.

    `search(user, text)` returns what the user may see, best first: a queryset (the page
    counts it to tell whether there are more than it shows), or a list (give one more than
    the page shows, so it can tell). `describe(obj)` returns (title, subtitle, url), or
    (title, subtitle, url, snippet) where the snippet is HTML shown under the hit: the
    source must have escaped it (the page marks it safe).
    """

    label: str
    search: Callable[[User, str], QuerySet[Any] | Sequence[Any]]
    describe: Callable[[Any], tuple[str, str, str] | tuple[str, str, str, str]]
    # The record type (its key) the source finds, when it finds records: every record type
    # must be findable (the contract suite checks it).
    record_type: str | None = None


@dataclass(frozen=True)
class HomePanel:
    """A panel on the "My work" page: `render(request)` returns HTML, or "" to hide itself."""

    name: str
    render: Callable[[HttpRequest], str]
    order: int = 100


@dataclass(frozen=True)
class RecordDocument:
    """A printable document of one record type (an 8D report), linked from its page."""

    record_type: str
    label: str
    url_name: str
    # Whether this record has the document now (a certificate only for an accepted lot).
    shown: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class RecordButton:
    """A control one module puts on the page of another module's records ("Raise a change"
    on a nonconformance), so neither imports the other: `href(record, viewer)` is where it
    leads, or None to leave it off for this viewer and record."""

    record_types: tuple[str, ...]
    label: str
    icon: str
    href: Callable[[Any, User], str | None]


@dataclass(frozen=True)
class ActionNote:
    """A line one module shows beside an action item of another module's record (the change
    request that implements a CAPA action, and its state); plain text, escaped by the page."""

    text: str
    url: str = ""
    # A state shown as a badge after the text ("Implementing").
    badge: str = ""


@dataclass(frozen=True)
class ActionNotes:
    """Notes for the actions of one or more record types: `notes(record, actions, viewer)`
    returns them by action id, read for all the record's actions at once."""

    record_types: tuple[str, ...]
    notes: Callable[[Any, Sequence[Any], User], dict[int, list[ActionNote]]]


@dataclass
class Registry:
    menu: list[MenuGroup] = field(default_factory=list)
    search: list[SearchSource] = field(default_factory=list)
    home_panels: list[HomePanel] = field(default_factory=list)
    # Quality indicators of modules (qualitas.core.kpis.Indicator).
    kpis: list[Any] = field(default_factory=list)
    # Extra API routers of modules: (prefix under /api/v1, ninja Router).
    api_routers: list[tuple[str, Any]] = field(default_factory=list)
    # Extra URL includes of modules: (path prefix, URLconf module).
    url_includes: list[tuple[str, str]] = field(default_factory=list)
    # Old path prefixes answering 308 to their new place: (old, new), e.g. ("/api/v1/nc/",
    # "/api/v1/nonconformances/").
    moved: list[tuple[str, str]] = field(default_factory=list)
    # Demo data of modules, loaded after the core's demo company (idempotent callables).
    demo_loaders: list[Callable[[], None]] = field(default_factory=list)
    # Documents printed from a record (registered by qualitas.reports, shown by the core).
    record_documents: list[RecordDocument] = field(default_factory=list)
    # What modules add to each other's record pages.
    record_buttons: list[RecordButton] = field(default_factory=list)
    action_notes: list[ActionNotes] = field(default_factory=list)

    def add_menu_item(self, group_label: str, item: MenuItem, *, order: int = 100) -> None:
        """Add an item to a group, creating the group on first use."""
        for index, group in enumerate(self.menu):
            if group.label == group_label:
                self.menu[index] = MenuGroup(group.label, (*group.items, item), group.order)
                return
        self.menu.append(MenuGroup(group_label, (item,), order))


registry = Registry()
