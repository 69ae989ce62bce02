"""Configurable compliance checks: queries the organisation sets up without code, each a
template with parameters ("each Annex A control at Leeds has current evidence", "no CAPA
overdue more than 30 days at Sheffield").

A template is code we ship and test; what the organisation configures is only its
parameters, validated here (each error names `parameters.<name>`). No query text is ever
taken from a person: a configurable check can read only what its template reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from qualitas.compliance import coverage as coverages
from qualitas.compliance.models import Framework, Scope
from qualitas.core import compliance_checks as declared, records
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import Site


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    # framework (a key), site (a code), record_type (a key), days (0-3650), text
    kind: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class QueryTemplate:
    key: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    run: Callable[[dict[str, Any], declared.CheckContext], declared.Outcome]


def _scope(params: dict[str, Any]) -> Scope | None:
    return (
        Scope.objects.select_related("framework", "site")
        .filter(framework__key=params["framework"], site__code=params["site"])
        .first()
    )


def requirements_covered(
    params: dict[str, Any], context: declared.CheckContext
) -> declared.Outcome:
    """Every applicable requirement of a framework at a site (those whose ref id starts with
    the prefix, when one is given) has current evidence: covered, not partly."""
    scope = _scope(params)
    if scope is None:
        return declared.Outcome.failed(
            f"{params['framework']} is not in scope at {params['site']} any more."
        )
    prefix = str(params.get("ref_prefix") or "")
    found = coverages.coverage(scope)
    rows = [
        row
        for row in found.rows
        if row.requirement.auditable
        and row.requirement.ref_id.startswith(prefix)
        and row.state != coverages.NOT_APPLICABLE
    ]
    gaps = [row for row in rows if row.state != coverages.COVERED]
    measured = {"applicable": len(rows), "covered": len(rows) - len(gaps)}
    which = f"{scope.framework.name}{' ' + prefix if prefix else ''} at {params['site']}"
    if not gaps:
        return declared.Outcome.ok(
            f"All {len(rows)} applicable requirements of {which} have current evidence.", measured
        )
    return declared.Outcome.failed(
        f"{len(gaps)} of {len(rows)} applicable requirements of {which} lack current evidence.",
        declared.capped(
            [
                f"{row.requirement.ref_id} {row.requirement.title}: "
                f"{coverages.LABELS.get(row.state, row.state)}"
                + (f" ({row.reason})" if row.reason else "")
                for row in gaps
            ]
        ),
        measured,
    )


def records_not_overdue(params: dict[str, Any], context: declared.CheckContext) -> declared.Outcome:
    """No open record of a type is more than N days past its due date (at one site, or
    everywhere)."""
    record_type = records.RECORD_TYPES.get(params["record_type"])
    if record_type is None:
        return declared.Outcome.failed(
            f"No installed module declares the record type '{params['record_type']}' any more."
        )
    days = int(params.get("days") or 0)
    limit = context.today - timedelta(days=days)
    found = records.with_status(record_type, record_type.model.objects.all(), "open").filter(
        due_on__lt=limit
    )
    if params.get("site"):
        found = found.filter(site__code=params["site"])
    rows = list(found.order_by("due_on", "number").values_list("number", "title", "due_on")[:51])
    total = found.count() if len(rows) > 50 else len(rows)
    plural = record_type.label_plural
    measured = {"overdue": total, "days": days}
    where = f" at {params['site']}" if params.get("site") else ""
    if not rows:
        return declared.Outcome.ok(
            f"No open {plural.lower()}{where} more than {days} days past due.", measured
        )
    return declared.Outcome.failed(
        f"{total} open {plural.lower()}{where} more than {days} days past due.",
        declared.capped(
            [f"{number} {title}: due {due:%Y-%m-%d}" for number, title, due in rows[:50]], total
        ),
        measured,
    )


TEMPLATES: dict[str, QueryTemplate] = {
    t.key: t
    for t in (
        QueryTemplate(
            "requirements-covered",
            "Requirements have current evidence",
            "Every applicable requirement of a framework in scope at a site — or those whose "
            "id starts with a prefix, e.g. A. for ISO 27001's Annex A controls — is covered by "
            "current evidence (an obsolete document or an overdue check is not).",
            (
                Parameter("framework", "Framework", "framework"),
                Parameter("site", "Site", "site", help="The framework must be in scope there."),
                Parameter(
                    "ref_prefix",
                    "Requirement ids starting with",
                    "text",
                    required=False,
                    help="e.g. A. (Annex A controls) or 8.5; empty: every requirement.",
                ),
            ),
            requirements_covered,
        ),
        QueryTemplate(
            "records-not-overdue",
            "No record long overdue",
            "No open record of a type (CAPAs, nonconformances, change requests, audit "
            "findings …) is more than a number of days past its due date.",
            (
                Parameter("record_type", "Record type", "record_type"),
                Parameter("days", "Days past due allowed", "days"),
                Parameter("site", "Site", "site", required=False, help="Empty: every site."),
            ),
            records_not_overdue,
        ),
    )
}


def clean(template_key: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """The template's parameters, checked: unknown names, missing or wrong values are
    refused, each naming `parameters.<name>`."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise InvalidInput.for_field(
            "template", f"One of: {', '.join(sorted(TEMPLATES))}; not '{template_key}'."
        )
    given = dict(given or {})
    errors: list[FieldError] = []
    known = {p.name for p in template.parameters}
    for name in sorted(set(given) - known):
        errors.append(FieldError(f"parameters.{name}", f"'{template_key}' takes no {name}."))
    cleaned: dict[str, Any] = {}
    for parameter in template.parameters:
        field = f"parameters.{parameter.name}"
        value = given.get(parameter.name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if parameter.required:
                errors.append(FieldError(field, f"Give the {parameter.label.lower()}."))
            continue
        problem = _problem(parameter, value)
        if problem:
            errors.append(FieldError(field, problem))
            continue
        cleaned[parameter.name] = int(value) if parameter.kind == "days" else str(value)
    if not errors and template_key == "requirements-covered" and not _in_scope(cleaned):
        errors.append(
            FieldError(
                "parameters.site",
                f"{cleaned['framework']} is not in scope at {cleaned['site']}: add the scope "
                "first.",
            )
        )
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _in_scope(params: dict[str, Any]) -> bool:
    return Scope.objects.filter(
        framework__key=params["framework"], site__code=params["site"]
    ).exists()


def _problem(parameter: Parameter, value: Any) -> str:
    if parameter.kind == "framework":
        if not Framework.objects.filter(key=str(value)).exists():
            return f"There is no framework '{value}'."
    elif parameter.kind == "site":
        if not Site.objects.filter(code=str(value)).exists():
            return f"There is no site '{value}'."
    elif parameter.kind == "record_type":
        if str(value) not in records.RECORD_TYPES:
            return f"One of: {', '.join(sorted(records.RECORD_TYPES))}."
    elif parameter.kind == "days":
        try:
            days = int(value)
        except (TypeError, ValueError):
            return "A whole number of days."
        if not 0 <= days <= 3650:
            return "Between 0 and 3650 days."
    elif len(str(value)) > 60:
        return "At most 60 characters."
    return ""


def run(template_key: str, params: dict[str, Any], context: declared.CheckContext) -> Any:
    template = TEMPLATES.get(template_key)
    if template is None:
        return declared.Outcome.failed(f"The query template '{template_key}' no longer exists.")
    return template.run(params, context)
