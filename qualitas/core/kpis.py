"""Quality indicators: figures a module declares (`Module.kpis`) and the "My work" page shows
as a strip to those who steer the quality system (issue 13; the dashboard, targets and
trends of issue "Quality objectives, KPIs…" build on the same declarations).

An indicator counts what the person may see, in one query, capped like the lists (a count
of a million-row table must not cost a page its speed), and links to the list that shows
those records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from qualitas.core import permissions

if TYPE_CHECKING:
    from qualitas.core.models import User
    from qualitas.core.records import RecordType

# Who sees the strip (declared in core/module.py).
VIEW_KPIS = "kpis.view"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    # The person's figure: a queryset (counted, capped), or a number (a rate), or None
    # when there is nothing to show (no readers assigned yet).
    figure: Callable[[User], QuerySet[Any] | float | int | None]
    # Where the records behind it are listed: a URL (with the list's filters).
    url: Callable[[], str] | None = None
    unit: str = ""
    # Lower is better (overdue CAPAs), or higher is (read-and-understood completion).
    lower_is_better: bool = True
    # Whether any at all calls for attention (overdue ones do; open ones are the work).
    alert: bool = True
    order: int = 100


@dataclass(frozen=True)
class Shown:
    label: str
    value: str
    url: str
    attention: bool


def shown_to(user: User, indicators: list[Indicator]) -> list[Shown]:
    """The strip for this person: empty unless they hold VIEW_KPIS somewhere."""
    if not permissions.has_perm(user, VIEW_KPIS):
        return []
    cap = settings.QUALITAS_LIST_COUNT_CAP
    strip = []
    for indicator in sorted(indicators, key=lambda i: i.order):
        figure = indicator.figure(user)
        if figure is None:
            continue
        if isinstance(figure, QuerySet):
            count = figure[: cap + 1].count()
            value = f"{min(count, cap):,}" + ("+" if count > cap else "")
            attention = indicator.alert and indicator.lower_is_better and count > 0
        else:
            value = f"{figure:.0f}{indicator.unit}" if indicator.unit == "%" else f"{figure:,}"
            attention = not indicator.lower_is_better and figure < 100
        url = indicator.url() if indicator.url else ""
        strip.append(Shown(indicator.label, value, url, attention))
    return strip


# --- Indicators any record type can declare ---------------------------------------------------


def _counted(record_type: RecordType, user: User, status: str) -> QuerySet[Any]:
    """What the person may see in that status, as the list filtered by it shows."""
    from qualitas.core import records

    visible = records.visible_to(user, record_type).select_related(None)
    return records.with_status(record_type, visible, status)


def open_records(record_type: RecordType, *, order: int = 100) -> Indicator:
    return Indicator(
        key=f"{record_type.key}.open",
        label=f"Open {_in_a_sentence(record_type.label_plural)}",
        figure=lambda user: _counted(record_type, user, "live"),
        url=lambda: reverse("core:record_list", args=[record_type.resource]) + "?status=live",
        alert=False,
        order=order,
    )


def overdue_records(record_type: RecordType, *, order: int = 100) -> Indicator:
    return Indicator(
        key=f"{record_type.key}.overdue",
        label=f"Overdue {_in_a_sentence(record_type.label_plural)}",
        figure=lambda user: _counted(record_type, user, "overdue"),
        url=lambda: reverse("core:record_list", args=[record_type.resource]) + "?status=overdue",
        order=order,
    )


def _in_a_sentence(label: str) -> str:
    """ "Nonconformances" reads "nonconformances" mid-sentence; "CAPAs" stays "CAPAs"."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def overdue_actions(user: User) -> QuerySet[Any]:
    from qualitas.core.models import ActionItem, ActionState

    return ActionItem.objects.filter(state=ActionState.OPEN, due_on__lt=timezone.localdate())
