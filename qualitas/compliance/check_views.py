"""Compliance check pages (/compliance/checks/…): the dashboard of every check, failing ones
first, with CSV/XLSX export; a check's page with its requirements, the nonconformance its
failure raised and its run history; "Run now" and the form adding an external check, both
for holders of compliance.manage."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from qualitas.compliance import check_queries, check_trend, checks, services
from qualitas.compliance.check_models import CheckKind, CheckState, ComplianceCheck
from qualitas.compliance.models import Framework
from qualitas.core import permissions, records
from qualitas.core.errors import InvalidInput
from qualitas.core.filters import ANY
from qualitas.core.forms import style_fields
from qualitas.core.models import Site, User
from qualitas.core.pagination import CappedPaginator, requested_page
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView, _query_without

BADGES = {
    CheckState.PASS: "text-bg-success",
    CheckState.FAIL: "text-bg-danger",
    CheckState.ERROR: "text-bg-warning",
    CheckState.NEVER: "text-bg-secondary",
}
HISTORY_PAGE = 25
TREND_WEEKS = 12


def nonconformance_url(check: ComplianceCheck) -> str:
    return reverse("core:record_detail", args=["nonconformances", check.open_nonconformance_id])


class CheckTable(tables.Table):  # type: ignore[misc]  # django-tables2: no hints
    last_state = tables.Column(verbose_name="State", order_by=("state_order", "name"))
    name = tables.Column(linkify=("compliance:check", {"key": tables.A("key")}))
    key = tables.Column()
    kind = tables.Column()
    requirements = tables.Column(empty_values=(), orderable=False, verbose_name="Requirements")
    last_run_at = tables.DateTimeColumn(verbose_name="Last run", format="Y-m-d H:i")
    last_summary = tables.Column(verbose_name="Result", orderable=False)
    open_nonconformance_number = tables.Column(verbose_name="Nonconformance")
    run = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "check-table"}
        empty_text = "No compliance checks match these filters."
        order_by = ("last_state",)

    def render_last_state(self, record: ComplianceCheck) -> Any:
        badge = BADGES.get(CheckState(record.last_state), "text-bg-secondary")
        return format_html(
            '<span class="badge {}">{}</span>', badge, record.get_last_state_display()
        )

    def value_last_state(self, record: ComplianceCheck) -> str:
        return str(record.get_last_state_display())

    def render_requirements(self, record: ComplianceCheck) -> Any:
        return format_html_join(
            " ",
            '<span class="badge text-bg-light border" title="{}">{} {}</span>',
            ((r.title, r.framework.name, r.ref_id) for r in record.requirements.all()),
        )

    def value_requirements(self, record: ComplianceCheck) -> str:
        return "; ".join(f"{r.framework.key}:{r.ref_id}" for r in record.requirements.all())

    def render_open_nonconformance_number(self, record: ComplianceCheck) -> Any:
        return format_html(
            '<a href="{}">{}</a>', nonconformance_url(record), record.open_nonconformance_number
        )

    def render_run(self, record: ComplianceCheck) -> Any:
        if record.kind != CheckKind.CODE or not record.active:
            return ""
        request = getattr(self, "request", None)
        if request is None:
            return ""
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><button class="btn btn-sm btn-outline-primary" type="submit">'
            '<i class="bi bi-play" aria-hidden="true"></i> Run now</button></form>',
            reverse("compliance:check_run", args=[record.key]),
            get_token(request),
        )


def _framework_filter(
    queryset: QuerySet[ComplianceCheck], name: str, value: Framework | None
) -> QuerySet[ComplianceCheck]:
    if value is None:
        return queryset
    mapped = ComplianceCheck.requirements.through.objects.filter(
        requirement__framework=value
    ).values("compliancecheck_id")
    return queryset.filter(pk__in=mapped)


class CheckFilterSet(django_filters.FilterSet):  # type: ignore[misc]  # django-filter: no hints
    last_state = django_filters.ChoiceFilter(
        choices=CheckState.choices, empty_label=ANY, label="State"
    )
    framework = django_filters.ModelChoiceFilter(
        queryset=Framework.objects.order_by("name"),
        empty_label=ANY,
        method=_framework_filter,
        label="Framework",
    )
    kind = django_filters.ChoiceFilter(choices=CheckKind.choices, empty_label=ANY)

    class Meta:
        model = ComplianceCheck
        fields = ["last_state", "framework", "kind"]


class CheckListView(ObjectListView):
    permission = services.VIEW
    table_class = CheckTable
    filterset_class = CheckFilterSet
    title = "Compliance checks"
    export_name = "compliance-checks"
    template_name = "compliance/checks.html"
    create_url_name = "compliance:check_create"
    create_permission = services.MANAGE

    def get_queryset(self) -> QuerySet[ComplianceCheck]:
        return checks.overview()

    def hidden_columns(self, user: User) -> tuple[str, ...]:
        return () if permissions.has_perm(user, services.MANAGE) else ("run",)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The generic list, with a count of the checks in each state above it."""
        if request.GET.get("export") in self.export_formats or request.htmx:  # type: ignore[attr-defined]
            return super().get(request, *args, **kwargs)
        permissions.require(signed_in_user(request), self.permission)
        table, filterset = self.filtered_table(request)
        table.paginate(
            CappedPaginator, page=request.GET.get("page", 1), per_page=self._per_page(request)
        )
        counts = state_counts()
        context = {
            "title": self.title,
            "table": table,
            "filterset": filterset,
            "create_url": self.create_url(signed_in_user(request)),
            "query_without_page": _query_without(request, "page", "export"),
            "counts": [
                (state, label, counts[state], BADGES[CheckState(state)])
                for state, label in CheckState.choices
            ],
            "trend": check_trend.trend(weeks=TREND_WEEKS),
        }
        return render(request, self.template_name, context)


def state_counts() -> dict[str, int]:
    """How many checks stand in each state (one query), for the dashboard's summary."""
    counted = ComplianceCheck.objects.filter(active=True).aggregate(
        **{state: Count("pk", filter=Q(last_state=state)) for state in CheckState.values}
    )
    return {state: int(counted[state]) for state in CheckState.values}


@login_required
def check_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, services.VIEW)
    check = checks.get_check(key)
    check = checks.overview().get(pk=check.pk)
    paginator = Paginator(checks.history(check), HISTORY_PAGE)
    page = paginator.get_page(requested_page(request.GET.get("page", 1)))
    context = {
        "title": check.name,
        "check": check,
        "badge": BADGES.get(CheckState(check.last_state), "text-bg-secondary"),
        "runs": page,
        "may_run": check.kind == CheckKind.CODE
        and check.active
        and permissions.has_perm(user, services.MANAGE, site=check.site),
        "nonconformance_url": nonconformance_url(check) if check.open_nonconformance_id else "",
        "results_path": f"/api/v1/compliance-checks/{check.key}/results",
    }
    return render(request, "compliance/check_detail.html", context)


@login_required
@require_POST
def run_check(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    check = checks.get_check(key)
    run = checks.run_check(check, actor=user, source="on_demand")
    refreshed = checks.get_check(key)
    text = f"{check.name}: {run.get_outcome_display().lower()}. {run.summary}"
    if refreshed.open_nonconformance_number:
        text += f" Nonconformance {refreshed.open_nonconformance_number} is open for it."
    (messages.success if run.outcome == "pass" else messages.warning)(request, text)
    return HttpResponseRedirect(reverse("compliance:check", args=[key]))


class ExternalCheckForm(forms.Form):
    key = forms.SlugField(
        max_length=60, help_text="What your pipeline posts results to, e.g. cis-linux-scan."
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    requirements = forms.CharField(
        required=False,
        help_text="framework-key:ref_id, one per line or comma-separated "
        "(e.g. iso-27001-2022:A.8.13).",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("last_name", "first_name"),
        required=False,
        help_text="Told when it fails; owns the nonconformance it raises.",
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.filter(is_active=True).order_by("name"),
        required=False,
        help_text="Empty: the whole organisation.",
    )
    interval_hours = forms.IntegerField(
        initial=24, min_value=1, max_value=24 * 366, help_text="How often a result is expected."
    )
    raises_as = forms.ChoiceField(
        choices=[("internal_audit", "Internal audit"), ("it_incident", "IT incident")],
        label="Nonconformance source",
    )
    severity = forms.ChoiceField(
        choices=[("minor", "Minor"), ("major", "Major"), ("critical", "Critical")]
    )


def _template_choices() -> list[tuple[str, str]]:
    return [(t.key, t.name) for t in check_queries.TEMPLATES.values()]


class ConfiguredCheckForm(ExternalCheckForm):
    """A query template and its parameters; each template uses some of the fields below
    (the others are left empty), and check_queries says which are wrong."""

    template = forms.ChoiceField(choices=_template_choices, label="Query")
    framework = forms.ChoiceField(
        choices=lambda: (
            [("", ANY), *list(Framework.objects.order_by("name").values_list("key", "name"))]
        ),
        required=False,
        help_text="Requirements have current evidence: the framework.",
    )
    ref_prefix = forms.CharField(
        max_length=60,
        required=False,
        label="Requirement ids starting with",
        help_text="e.g. A. for ISO 27001 Annex A; empty: every requirement.",
    )
    record_type = forms.ChoiceField(
        choices=lambda: [("", ANY), *sorted((k, t.label) for k, t in records.RECORD_TYPES.items())],
        required=False,
        help_text="No record long overdue: the record type.",
    )
    days = forms.IntegerField(
        min_value=0, max_value=3650, required=False, label="Days past due allowed"
    )
    scope_site = forms.ChoiceField(
        choices=lambda: (
            [
                ("", ANY),
                *list(
                    Site.objects.filter(is_active=True).order_by("name").values_list("code", "name")
                ),
            ]
        ),
        required=False,
        label="Site the query reads",
        help_text="Where the framework is in scope, or whose records are counted.",
    )

    field_order = ["template", "framework", "ref_prefix", "record_type", "days", "scope_site"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].help_text = "Its key, e.g. annex-a-evidence-leeds."
        self.fields["interval_hours"].help_text = "How often Qualitas runs it."
        self.fields["site"].label = "Nonconformances raised at"

    def parameters(self) -> dict[str, Any]:
        """The parameters of the chosen template, by their names in check_queries."""
        data = self.cleaned_data
        given = {
            "framework": data.get("framework"),
            "ref_prefix": data.get("ref_prefix"),
            "record_type": data.get("record_type"),
            "days": data.get("days"),
            "site": data.get("scope_site"),
        }
        template = check_queries.TEMPLATES[data["template"]]
        names = {p.name for p in template.parameters}
        return {k: v for k, v in given.items() if k in names and v not in (None, "")}


# Errors check_queries names `parameters.<name>`: shown on the form's own field.
PARAMETER_FIELDS = {"parameters.site": "scope_site"}


@login_required
def create_check(request: HttpRequest, *, configured: bool = False) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, services.MANAGE)
    form_class = ConfiguredCheckForm if configured else ExternalCheckForm
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            refs = [r.strip() for r in data["requirements"].replace(",", "\n").splitlines()]
            fields: dict[str, Any] = {
                "actor": user,
                "key": data["key"],
                "name": data["name"],
                "description": data["description"],
                "requirements": [r for r in refs if r],
                "owner": data["owner"],
                "site": data["site"],
                "interval_hours": data["interval_hours"],
                "raises_as": data["raises_as"],
                "severity": data["severity"],
            }
            try:
                if isinstance(form, ConfiguredCheckForm):
                    check = checks.create_configured_check(
                        template=data["template"], parameters=form.parameters(), **fields
                    )
                else:
                    check = checks.create_external_check(**fields)
            except InvalidInput as exc:
                for error in exc.errors:
                    name = PARAMETER_FIELDS.get(
                        error.field, error.field.removeprefix("parameters.")
                    )
                    form.add_error(name if name in form.fields else None, error.message)
            else:
                kind = "Configured" if configured else "External"
                messages.success(request, f"{kind} check {check.key} added.")
                return HttpResponseRedirect(reverse("compliance:check", args=[check.key]))
    style_fields(form)
    context = {
        "title": "Add a configured check" if configured else "Add an external check",
        "form": form,
        "configured": configured,
        "templates": check_queries.TEMPLATES.values(),
    }
    return render(request, "compliance/check_form.html", context, status=status)
