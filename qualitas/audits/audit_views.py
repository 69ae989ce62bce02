"""An audit's own pages beyond the generic record pages: the panel on its page (criteria,
auditee departments, team with each auditor's qualification and independence, the quality
manager's signed exception, the report's distribution and PDF), the plan page that edits
criteria, departments, team and distribution, the independence exception and the report PDF.
The checklist's and the findings' panels are other parts of the module, shown below."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape

from qualitas.audits import readiness, report, services, workflows as w
from qualitas.audits.models import Audit, TeamRole
from qualitas.core import exports, permissions, records, signatures
from qualitas.core.errors import InvalidInput, PermissionDenied, QualitasError
from qualitas.core.forms import StyledForm
from qualitas.core.forms_signing import add_otp_code
from qualitas.core.models import Department, User
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url

# Blank team rows offered on the plan page beyond the current members.
SPARE_TEAM_ROWS = 3
PEOPLE_SHOWN = 500  # a picker longer than this is not a picker


def _audit(request: HttpRequest, pk: int) -> Audit:
    found: Audit = records.get_visible(
        signed_in_user(request), services.record_type(), pk, related=("lead_auditor", "site")
    )
    return found


class OverrideForm(StyledForm):
    """The quality manager's signed exception to auditor independence."""

    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why independence cannot be kept for this audit, and how objectivity is.",
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign the exception.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def override_form(user: User, audit: Audit, data: Any = None) -> OverrideForm:
    form = OverrideForm(data, initial={"version": audit.version})
    add_otp_code(form, user)
    return form


def _requirement_url(pk: int) -> str:
    try:
        return reverse("compliance:requirement", args=[pk])
    except NoReverseMatch:  # the compliance pages are not mounted
        return ""


def _departments(audit: Audit) -> tuple[list[Department], dict[int, Department]]:
    """The audited departments, and every department the panel names (the lead auditor's
    too), in one query."""
    through = Audit.auditee_departments.through
    audited = through.objects.filter(audit_id=audit.pk, department_id=OuterRef("pk"))
    lead = audit.lead_auditor
    wanted = Q(Exists(audited))
    if lead is not None and lead.department_id:
        wanted |= Q(pk=lead.department_id)
    found = list(Department.objects.filter(wanted).annotate(audited=Exists(audited)))
    return [d for d in found if d.audited], {d.pk: d for d in found}


def _team_rows(
    audit: Audit, known: dict[int, Department], audited: set[int]
) -> list[dict[str, Any]]:
    """The lead auditor and members, each with their qualification and independence."""
    roles = dict(TeamRole.choices)
    # (person, their department, role shown, judges conformity)
    people: list[tuple[User, Department | None, str, bool]] = []
    # A certification body's or customer's auditors keep their own qualification and
    # independence: nobody on such an audit is judged here.
    ours = readiness.led_by_us(audit.audit_type)
    lead = audit.lead_auditor
    if lead is not None:
        department = known.get(lead.department_id) if lead.department_id else None
        people.append((lead, department, "Lead auditor", ours))
    for member in audit.team.filter(removed_at__isnull=True).select_related("person__department"):
        judges = ours and member.role in readiness.AUDITING_ROLES
        role = roles.get(member.role, member.role)
        people.append((member.person, member.person.department, role, judges))
    not_qualified = set(readiness.unqualified(audit.site, [p for p, _, _, j in people if j]))
    return [
        {
            "person": person,
            "role": role,
            "department": department,
            "judges": judges,
            "qualified": person.printed_name not in not_qualified,
            # Technical experts and observers do not judge conformity: independence is
            # asked of auditors only.
            "own_department": judges and person.department_id in audited,
        }
        for person, department, role, judges in people
    ]


def _other_panels(request: HttpRequest, audit: Audit) -> list[str]:
    """The checklist's and the findings' panels, when those parts are installed."""
    parts: list[str] = []
    for module_name, function_name in (
        ("checklist_views", "panel"),
        ("finding_views", "audit_panel"),
    ):
        function = _panel_function(module_name, function_name)
        if function is None:
            continue
        # Either order of (request, audit): a part written as a record type's detail_panel
        # takes (record, request).
        first = next(iter(inspect.signature(function).parameters), "")
        parts.append(function(request, audit) if first == "request" else function(audit, request))
    return parts


def _panel_function(module_name: str, function_name: str) -> Callable[..., str] | None:
    import importlib

    try:
        module = importlib.import_module(f"qualitas.audits.{module_name}")
    except ModuleNotFoundError:
        return None
    found = getattr(module, function_name, None)
    return found if callable(found) else None


def panel(audit: Audit, request: HttpRequest) -> str:
    """On the audit's page: its plan, team and report; then the checklist and findings."""
    viewer = signed_in_user(request)
    departments, known = _departments(audit)
    audited = {d.pk for d in departments}
    if audit.department_id:
        audited.add(audit.department_id)
    team = _team_rows(audit, known, audited)
    conflicts = [row for row in team if row["own_department"]]
    override = (
        report.signature_of(audit, readiness.EXCEPTION) if audit.independence_signature_id else None
    )
    holds = override is not None and readiness.exception_holds(audit)
    # Offered before the team is named too: the services refuse a conflicting auditor until
    # the exception is signed; and again once the audited departments changed under it.
    may_override = (
        not holds
        and audit.state in (*w.PLANNING, w.State.IN_PROGRESS)
        and permissions.has_perm(viewer, w.OVERRIDE_INDEPENDENCE, site=audit.site)
    )
    context = {
        "audit": audit,
        "criteria": [
            {
                "name": group.name,
                "criteria": [
                    {"ref_id": c.ref_id, "title": c.title, "url": _requirement_url(c.pk)}
                    for c in group.criteria
                ],
            }
            for group in report.criteria_by_framework(audit)
        ],
        "departments": sorted(str(d) for d in departments),
        "team": team,
        "independence_reason": readiness.independence_reason(
            [f"{row['person'].printed_name} ({row['department']})" for row in conflicts]
        )
        + ("" if override is None else " The signed exception was for other departments.")
        if conflicts and not holds
        else "",
        "override": override,
        "override_holds": holds,
        "may_override": may_override,
        "may_plan": services.may_plan(viewer, audit),
        "may_distribute": audit.state not in w.WORKFLOW.locked_states
        and records.may_edit(viewer, audit),
        "may_write_report": audit.state == w.State.REPORTING and records.may_edit(viewer, audit),
        "distribution": sorted(p.printed_name for p in audit.distribution.all()),
        "external": [
            line.strip() for line in audit.distribution_external.splitlines() if line.strip()
        ],
        "resource": services.record_type().resource,
    }
    # Without the request: the page has run the context processors already; the forms'
    # token is all the panel needs of it.
    context["csrf_token"] = get_token(request)
    html = render_to_string("audits/audit_panel.html", context)
    # Rendered templates added one to another stay safe strings ("".join would not); a part
    # that is plain text is escaped.
    for part in _other_panels(request, audit):
        html = html + conditional_escape(part)
    return html


def _plan_context(
    audit: Audit,
    viewer: User,
    post: Any = None,
    errors: dict[str, list[str]] | None = None,
    *,
    framework_key: str = "",
) -> dict[str, Any]:
    chosen_framework = framework_key or (post.get("framework", "") if post else "")
    current_criteria = list(audit.criterion_rows.values_list("requirement_id", flat=True))
    frameworks = services.frameworks()
    if not chosen_framework:
        chosen_framework = frameworks[0].key if frameworks else ""
    framework = next((f for f in frameworks if f.key == chosen_framework), None)
    requirements = (
        list(framework.requirements.filter(retired=False).order_by("order", "pk"))
        if (framework is not None)
        else []
    )
    members = list(audit.team.filter(removed_at__isnull=True).order_by("id"))
    team_rows = [{"person": m.person_id, "role": m.role} for m in members]
    team_rows += [{"person": None, "role": TeamRole.AUDITOR}] * SPARE_TEAM_ROWS
    people = User.objects.filter(is_active=True).select_related("department")
    return {
        "title": f"Plan of {audit.number}",
        "audit": audit,
        "errors": errors or {},
        "in_planning": services.may_plan(viewer, audit),
        "may_distribute": audit.state not in w.WORKFLOW.locked_states
        and records.may_edit(viewer, audit),
        "frameworks": frameworks,
        "framework": framework,
        "requirements": requirements,
        "chosen_criteria": {int(i) for i in post.getlist("requirements") if i.isdigit()}
        if post and post.get("part") == "criteria"
        else set(current_criteria),
        "ref_ids": post.get("ref_ids", "") if post else "",
        "departments": Department.objects.filter(is_active=True).order_by("name"),
        "chosen_departments": {int(i) for i in post.getlist("departments") if i.isdigit()}
        if post and post.get("part") == "departments"
        else set(audit.auditee_departments.values_list("pk", flat=True)),
        "people": people.order_by("last_name", "first_name")[:PEOPLE_SHOWN],
        "team_rows": team_rows,
        "roles": TeamRole.choices,
        "chosen_distribution": {int(i) for i in post.getlist("distribution") if i.isdigit()}
        if post and post.get("part") == "distribution"
        else set(audit.distribution.values_list("pk", flat=True)),
        "external": post.get("external", "")
        if post and post.get("part") == "distribution"
        else audit.distribution_external,
        "record_url": detail_url(audit),
    }


def _version(post: Any) -> int | None:
    version = post.get("version", "")
    return int(version) if version.isdigit() else None


def _people(ids: list[str], field: str) -> list[User]:
    wanted = [int(i) for i in ids if i.isdigit()]
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted).select_related("department")}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise InvalidInput.for_field(field, f"No such person: {', '.join(missing)}.")
    return [found[i] for i in dict.fromkeys(wanted)]


def _save_part(audit: Audit, actor: User, post: Any) -> str:
    """Apply one part of the plan form; returns what to tell the planner."""
    part = post.get("part", "")
    version = _version(post)
    if part == "criteria":
        framework_key = post.get("framework", "")
        ids = [int(i) for i in post.getlist("requirements") if i.isdigit()]
        ref_ids = post.get("ref_ids", "").strip()
        if ref_ids:  # typed clauses add to those chosen in the list
            ids += services.resolve_criteria(framework_key, ref_ids)
        # The form shows one framework: criteria from the others stay as they are.
        ids += [
            row.requirement_id
            for row in audit.criterion_rows.select_related("requirement__framework")
            if row.requirement.framework.key != framework_key
        ]
        services.set_criteria(audit, actor=actor, requirement_ids=ids, expected_version=version)
        return "criteria saved"
    if part == "departments":
        services.set_auditee_departments(
            audit,
            actor=actor,
            department_ids=[int(i) for i in post.getlist("departments") if i.isdigit()],
            expected_version=version,
        )
        return "auditee departments saved"
    if part == "team":
        persons, roles = post.getlist("person"), post.getlist("role")
        chosen = [(p, r) for p, r in zip(persons, roles, strict=False) if p.isdigit()]
        found = {p.pk: p for p in _people([p for p, _ in chosen], "team")}
        members = [services.MemberInput(found[int(p)], r) for p, r in chosen]
        services.set_team(audit, actor=actor, members=members, expected_version=version)
        return "team saved"
    if part == "distribution":
        services.set_distribution(
            audit,
            actor=actor,
            people=_people(post.getlist("distribution"), "distribution"),
            external=post.get("external", ""),
            expected_version=version,
        )
        return "distribution list saved"
    raise InvalidInput.for_field("part", "Say which part of the plan to save.")


@login_required
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Criteria, auditee departments and team while planning; the distribution until the
    report is signed. Each part is saved on its own, refused whole with the reason."""
    audit = _audit(request, pk)
    actor = signed_in_user(request)
    if request.method == "POST":
        try:
            said = _save_part(audit, actor, request.POST)
        except QualitasError as exc:
            part = request.POST.get("part", "")
            errors: dict[str, list[str]] = {}
            for error in exc.errors or []:
                errors.setdefault(part, []).append(f"{error.field}: {error.message}")
            if not exc.errors:
                errors.setdefault(part, []).append(exc.detail)
            audit.refresh_from_db()
            context = _plan_context(audit, actor, request.POST, errors)
            return render(request, "audits/audit_plan.html", context, status=exc.status)
        messages.success(request, f"{audit.number}: {said}.")
        return redirect(reverse("audits:plan", args=[audit.pk]))
    context = _plan_context(audit, actor, framework_key=request.GET.get("framework", ""))
    return render(request, "audits/audit_plan.html", context)


@login_required
def independence(request: HttpRequest, pk: int) -> HttpResponse:
    """The quality manager signs the exception: an auditor may audit their own department."""
    audit = _audit(request, pk)
    actor = signed_in_user(request)
    if request.method != "POST":
        context = {
            "title": f"Independence exception for {audit.number}",
            "audit": audit,
            "form": override_form(actor, audit),
            "record_url": detail_url(audit),
            "holds": readiness.exception_holds(audit),
        }
        return render(request, "audits/audit_independence.html", context)
    form = override_form(actor, audit, request.POST)
    if not form.is_valid():
        messages.error(
            request, "Give the justification and re-enter your password to sign the exception."
        )
        return redirect(reverse("audits:independence", args=[audit.pk]))
    try:
        if not permissions.has_perm(actor, w.OVERRIDE_INDEPENDENCE, site=audit.site):
            # Say so before asking the password, which could not help.
            raise PermissionDenied(
                "Only a quality manager may allow an auditor to audit their own department."
            )
        token = signatures.authenticate_from(request, actor, form.cleaned_data, subject=audit)
        services.override_independence(
            audit,
            actor=actor,
            justification=form.cleaned_data["justification"],
            token=token,
            expected_version=form.cleaned_data.get("version"),
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
        return redirect(reverse("audits:independence", args=[audit.pk]))
    messages.success(request, f"{audit.number}: the independence exception is signed.")
    return redirect(detail_url(audit))


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit report as ISO 19011 6.5.1 lists its content: for whoever may see the audit."""
    actor = signed_in_user(request)
    audit = _audit(request, pk)
    document = report.render_pdf(audit, printed_by=actor.printed_name)
    response = HttpResponse(document, content_type="application/pdf")
    name = exports.filename(f"{audit.number}-report", "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
