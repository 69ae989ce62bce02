"""Generic list, detail and form views that every module declares its pages with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django_filters import FilterSet
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from qualitas.core import backgroundexports, export_plan, exports, permissions
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.forms import fetch_choices_at_once, put_errors, style_fields
from qualitas.core.models import User
from qualitas.core.pagination import CappedPaginator
from qualitas.core.views import signed_in_user


class ObjectListView(LoginRequiredMixin, View, ABC):
    """A filterable, sortable, paginated list that exports exactly what it shows."""

    # Plain attributes (not ClassVar): the record list sets them per record type.
    permission: str
    table_class: type[tables.Table]
    filterset_class: type[FilterSet] | None = None
    title: str
    export_name: str
    create_url_name: str | None = None
    create_permission: str | None = None
    template_name = "core/object_list.html"
    per_page = 25
    # A list may offer more formats (the document register as PDF) by extending `export`.
    export_formats: tuple[str, ...] = exports.FORMATS

    @abstractmethod
    def get_queryset(self) -> QuerySet[Any]:
        """The rows this user may see, before filters."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        permissions.require(signed_in_user(request), self.permission)
        table, filterset = self.filtered_table(request)
        export_format = request.GET.get("export")
        if export_format in self.export_formats:
            return self.export(table, export_format)
        table.paginate(
            CappedPaginator, page=request.GET.get("page", 1), per_page=self._per_page(request)
        )
        context = {
            "title": self.title,
            "table": table,
            "filterset": filterset,
            "create_url": self.create_url(signed_in_user(request)),
            "query_without_page": _query_without(request, "page", "export"),
        }
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "core/partials/_table.html", context)
        return render(request, self.template_name, context)

    def filtered_table(self, request: HttpRequest) -> tuple[tables.Table, FilterSet | None]:
        """The table of the rows asked for, filtered and sorted, not yet paged."""
        queryset = self.get_queryset()
        filterset = None
        if self.filterset_class is not None:
            filterset = self.filterset_class(request.GET, queryset=queryset, request=request)
            fetch_choices_at_once(style_fields(filterset.form, small=True))
            queryset = filterset.qs
        table = self.table_class(queryset, exclude=self.hidden_columns(signed_in_user(request)))
        # Sorting from the request; paging in get(), where a bad ?page= cannot raise.
        RequestConfig(request, paginate=False).configure(table)
        return table, filterset

    def hidden_columns(self, user: User) -> tuple[str, ...]:
        """Columns this user may not see (on the page and in exports)."""
        return ()

    def export(self, table: tables.Table, export_format: str) -> HttpResponseBase:
        if export_format in exports.FORMATS and backgroundexports.runs_in_background(table):
            # Too long to write before a proxy times the request out: a job writes it, and
            # its page shows the progress and then the download.
            job = backgroundexports.start(self, self.request, export_format)
            url = reverse("core:export_job", args=[job.pk])
            if self.request.htmx:  # type: ignore[attr-defined]
                return HttpResponseClientRedirect(url)
            return HttpResponseRedirect(url)
        # Streamed from values() rows: no model instances, memory flat in the row count.
        rows = export_plan.export_rows(table)
        if export_format == "csv":
            return exports.csv_stream(self.export_name, rows, neutralised=True)
        return exports.xlsx_stream(self.export_name, rows, title=self.title)

    def _per_page(self, request: HttpRequest) -> int:
        try:
            return max(1, min(int(request.GET.get("per_page", self.per_page)), 200))
        except ValueError:
            return self.per_page

    def create_url(self, user: User) -> str | None:
        """Where the New button leads, when the user may create here."""
        may_create = self.create_permission and permissions.has_perm(user, self.create_permission)
        return reverse(self.create_url_name) if may_create and self.create_url_name else None


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


class ServiceFormView(LoginRequiredMixin, View, ABC):
    """A form whose valid data is handed to one service; service errors land on the fields.

    Subclasses set `form_class` and implement `perform(form)` (call the service, return the
    object) and `success_url(obj)`.
    """

    form_class: ClassVar[type[forms.Form]]
    template_name = "core/object_form.html"
    title: ClassVar[str] = ""
    permission: ClassVar[str | None] = None
    success_message: ClassVar[str] = "Saved."

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = self.get_object()

    def get_object(self) -> Model | None:
        return None

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_form(self, data: Any = None) -> forms.Form:
        return self.form_class(data, initial=self.get_initial())

    def get_title(self) -> str:
        return self.title

    def check_permission(self) -> None:
        if self.permission:
            permissions.require(signed_in_user(self.request), self.permission)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.check_permission()
        return self.render_form(self.get_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.check_permission()
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                saved = self.perform(form)
            except (InvalidInput, Conflict) as exc:
                put_errors(form, exc)
            else:
                messages.success(request, self.success_message)
                url = self.success_url(saved)
                if request.htmx:  # type: ignore[attr-defined]
                    return HttpResponseClientRedirect(url)
                return HttpResponseRedirect(url)
        return self.render_form(form, status=422)

    def cancel_url(self) -> str | None:
        """Where Cancel leads (None: the home page)."""
        return None

    def render_form(self, form: forms.Form, *, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "title": self.get_title(),
            "object": self.object,
            "cancel_url": self.cancel_url(),
        }
        return render(self.request, self.template_name, context, status=status)

    @abstractmethod
    def perform(self, form: forms.Form) -> Any:
        """Call the service with the form's cleaned data; return what it saved."""

    @abstractmethod
    def success_url(self, saved: Any) -> str:
        """Where to go after saving."""
