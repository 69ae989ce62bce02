"""The contract every record type keeps, whatever module declares it.

Tests here take a `record_key` and are run once for every installed record type
(`records.RECORD_TYPES`), so a new module is held to the contract the day it registers. All
that a module adds is one entry in MAKERS below: how to raise a valid record of its type
through the module's own service. A type without an entry fails the suite, it is not skipped.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model
from django.urls import reverse

from qualitas.core import audit, permissions, records
from qualitas.core.models import AuditEvent, Site, User
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

# Known breaches of the contract, to be fixed in the product: (test name, record type key)
# or (test name, record type key, role) -> why. Each is a strict xfail, so the case turns
# red the day the product is fixed and the entry must go.
# Cases where the product breaks a contract today: (test, record type[, role]) -> why.
KNOWN_BREACHES: dict[tuple[str, ...], str] = {}

NO_ROLE = "no-role"
RAISER = "raiser"


def _marks(*case: str) -> list[Any]:
    for length in range(len(case), 1, -1):
        reason = KNOWN_BREACHES.get(case[:length])
        if reason:
            return [pytest.mark.xfail(strict=True, reason=reason)]
    return []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`record_key`: every installed record type; `role`: every system role and none."""
    if "record_key" not in metafunc.fixturenames:
        return
    name = metafunc.function.__name__
    keys = list(records.RECORD_TYPES)
    if "role" in metafunc.fixturenames:
        roles = [*permissions.SYSTEM_ROLES, NO_ROLE]
        if "with_raiser" in metafunc.function.__dict__.get("contract_roles", ()):
            roles = [RAISER, *roles]
        metafunc.parametrize(
            ("record_key", "role"),
            [
                pytest.param(key, role, id=f"{key}-{role}", marks=_marks(name, key, role))
                for key in keys
                for role in roles
            ],
        )
    else:
        metafunc.parametrize(
            "record_key", [pytest.param(key, id=key, marks=_marks(name, key)) for key in keys]
        )


def also_the_raiser(test: Any) -> Any:
    """Run a role-parametrized test for the record's raiser too."""
    test.contract_roles = ("with_raiser",)
    return test


# --- The cast -----------------------------------------------------------------------------------

# Who raises a record in the tests: the first of these roles that may (the everyday hand).
RAISING_ROLES = (
    permissions.CONTRIBUTOR,
    permissions.DOCUMENT_CONTROLLER,
    permissions.APPROVER,
    permissions.QUALITY_MANAGER,
    permissions.ADMINISTRATOR,
)
# Who changes someone else's record: the first of these that holds the edit permission.
EDITING_ROLES = (
    permissions.QUALITY_MANAGER,
    permissions.DOCUMENT_CONTROLLER,
    permissions.ADMINISTRATOR,
)


def role_holds(role: str, code: str) -> bool:
    if role not in permissions.SYSTEM_ROLES:
        return False
    grants = permissions.DEFAULT_GRANTS[role]
    return code in grants or permissions.ALL in grants


@dataclass
class Cast:
    """Two plants, one person per system role (held at every site), and one with no role."""

    hq: Site
    branch: Site
    people: dict[str, User]

    def person(self, role: str, record_type: records.RecordType | None = None) -> User:
        if role == RAISER:
            assert record_type is not None
            return self.raiser(record_type)
        return self.people[role]

    def raiser(self, record_type: records.RecordType) -> User:
        return next(
            self.people[r] for r in RAISING_ROLES if role_holds(r, record_type.permissions.create)
        )

    def editor(self, record_type: records.RecordType) -> User:
        return next(
            self.people[r] for r in EDITING_ROLES if role_holds(r, record_type.permissions.edit)
        )


def new(factory: Any, **values: Any) -> Any:
    """A factory_boy object, typed as what it makes (the factories carry no type hints)."""
    return factory(**values)


@pytest.fixture
def cast(db: None) -> Cast:
    hq: Site = new(SiteFactory, code="HQ", name="Headquarters")
    branch: Site = new(SiteFactory, code="BR", name="Branch plant")
    people: dict[str, User] = {}
    for code, spec in permissions.SYSTEM_ROLES.items():
        person = new(UserFactory, username=code, first_name=spec.name, last_name="Tester", site=hq)
        people[code] = with_role(person, code)
    people[NO_ROLE] = new(
        UserFactory, username="norole", first_name="No", last_name="Role", site=hq
    )
    return Cast(hq=hq, branch=branch, people=people)


# --- How to raise a valid record of each type ---------------------------------------------------


def _nc_fields(cast: Cast) -> dict[str, Any]:
    from qualitas.nonconformance.models import DefectCategory, DefectCode

    with audit.context(actor=None, actor_name="test fixture"):
        category, _ = DefectCategory.objects.get_or_create(
            code="dimensional", defaults={"name": "Dimensional"}
        )
        code, _ = DefectCode.objects.get_or_create(
            code="DIM-01", defaults={"category": category, "name": "Diameter out"}
        )
    return {
        "title": "Bore oversize on HSG-4471",
        "source": "in_process",
        "part_number": "HSG-4471",
        "quantity_affected": Decimal(50),
        "quantity_nonconforming": Decimal(10),
        "defect_code": code,
        "severity": "major",
        "finding": "Ø74.041 measured, 74.035 max",
        "site": cast.hq,
    }


def _capa_fields(cast: Cast) -> dict[str, Any]:
    return {
        "title": "Recurring bore oversize",
        "capa_type": "corrective",
        "problem_statement": "Three lots of HSG-4471 with oversize bores in May",
        "site": cast.hq,
    }


def _change_request_fields(cast: Cast) -> dict[str, Any]:
    return {
        "title": "Second machining source for shaft SHF-2209",
        "change_type": "supplier",
        "reason_for_change": "The only source is on allocation",
        "site": cast.hq,
    }


def _deviation_fields(cast: Cast) -> dict[str, Any]:
    return {
        "title": "Use alternate torque wrench",
        "description": "Calibrated spare in use",
        "impact": "Low",
        "site": cast.hq,
    }


def _revision(cast: Cast, actor: User, n: int) -> Any:
    """A document and its first revision, through the documents service."""
    from qualitas.documents import services
    from qualitas.documents.models import DocumentType

    document = services.create_document(
        actor=actor,
        document_type=DocumentType.objects.get(code="procedure"),
        title=f"Control of nonconforming product {n}",
        content_text="# Purpose\n\nSegregate and label nonconforming parts.",
    )
    return document.revisions.get()


def _study(cast: Cast, actor: User, n: int) -> Any:
    from qualitas.studies import services

    values = [74.01, 74.02, 74.0, 74.03, 74.02, 74.01, 74.0, 74.02, 74.01, 74.03]
    return services.record_study(
        actor=actor,
        title=f"Bore diameter, line {n}",
        characteristic="Bore diameter",
        unit="mm",
        site=cast.hq,
        measurements=services.Measurements(chart_type="imr", values=values, lsl=73.95, usl=74.05),
    )


def _inspected_part(cast: Cast) -> Any:
    """A part revision with one variable characteristic (master data, not a record)."""
    from qualitas.inspection.models import Characteristic, Part, PartRevision

    with audit.context(actor=None, actor_name="test fixture"):
        part, _ = Part.objects.get_or_create(number="HSG-4471", defaults={"name": "Housing"})
        revision, _ = PartRevision.objects.get_or_create(part=part, revision="C")
        Characteristic.objects.get_or_create(
            revision=revision,
            number="10",
            defaults={"name": "Bore Ø74", "kind": "variable", "lsl": 73.95, "usl": 74.05},
        )
    return revision


def _plan_fields(cast: Cast) -> dict[str, Any]:
    return {
        "title": "Final inspection HSG-4471",
        "part_revision": _inspected_part(cast),
        "stage": "final",
        "site": cast.hq,
    }


def _approved_plan(cast: Cast) -> Any:
    from qualitas.core import signatures, workflow
    from qualitas.inspection import services
    from qualitas.inspection.models import InspectionPlan

    found = InspectionPlan.objects.filter(state="approved").first()
    if found is not None:
        return found
    author, approver = cast.people["approver"], cast.people["quality-manager"]
    plan = services.create_plan(actor=author, **_plan_fields(cast))
    services.set_item(
        plan, actor=author, characteristic=plan.part_revision.characteristics.get(), aql=1.0
    )
    token = signatures.authenticate(approver, PASSWORD, subject=plan)
    return workflow.fire(plan, "approve", actor=approver, signature=token)


def _lot_fields(cast: Cast) -> dict[str, Any]:
    return {
        "title": "Lot 2611 of HSG-4471",
        "plan": _approved_plan(cast),
        "lot_number": "2611",
        "quantity": 500,
        "site": cast.hq,
    }


def _calibration_fields(cast: Cast) -> dict[str, Any]:
    from django.utils import timezone

    from qualitas.inspection.models import Gauge

    with audit.context(actor=None, actor_name="test fixture"):
        gauge, _ = Gauge.objects.get_or_create(
            identifier="GA-0001",
            defaults={"name": "Micrometer 25-50", "gauge_type": "Micrometer", "site": cast.hq},
        )
    return {
        "title": "Calibration GA-0001",
        "gauge": gauge,
        "calibrated_on": timezone.localdate(),
        "readings": [{"nominal": 50.0, "as_found": 50.001, "as_left": 50.0, "tolerance": 0.002}],
        "site": cast.hq,
    }


def _training_record(cast: Cast, actor: User, n: int) -> Any:
    """A one-off course assignment to the person with no role (assigned by the curriculum
    or a coordinator, never raised from the generic form)."""
    from qualitas.training import services
    from qualitas.training.models import Course

    course = Course.objects.filter(code="FA-01").first() or services.create_course(
        actor=cast.people["quality-manager"], code="FA-01", title="First aid", kind="classroom"
    )
    trainee = new(UserFactory, username=f"trainee{n}", site=cast.hq)
    return services.assign_training(actor=actor, person=trainee, course=course)


def _soa(cast: Cast, actor: User, n: int) -> Any:
    """A draft Statement of Applicability, prepared from an ISO 27001 scope (one open draft
    per scope: the n-th at a site of its own, made by a quality manager)."""
    from qualitas.compliance import services, soa
    from qualitas.compliance.models import Framework, Scope

    site = cast.hq if n == 1 else new(SiteFactory, code=f"ISMS{n}", name=f"ISMS office {n}")
    framework = Framework.objects.get(key=soa.FRAMEWORK_KEY)
    scope = Scope.objects.filter(framework=framework, site=site).first()
    if scope is None:
        scope = services.create_scope(
            actor=cast.people["quality-manager"], framework=framework, site=site
        )
    return soa.prepare_soa(scope, actor=actor)


def _audit_fields(cast: Cast) -> dict[str, Any]:
    return {"title": "Internal audit of machining", "audit_type": "internal", "site": cast.hq}


# One draft programme per site and year: each set of fields plans another year.
_PROGRAMME_YEARS = itertools.count(2027)


def _programme_fields(cast: Cast) -> dict[str, Any]:
    year = next(_PROGRAMME_YEARS)
    return {"title": f"Audit programme {year}", "year": year, "site": cast.hq}


def _withdraw_programme(programme: Any, actor: User) -> Any:
    """One draft per site and year: withdrawn, the year may be drafted again."""
    from qualitas.core import workflow

    return workflow.fire(programme, "withdraw", actor=actor, comment="Drafted again")


def _finding(cast: Cast, actor: User, n: int) -> Any:
    """A finding of an audit in progress (recorded on its audit, never from the generic
    form): an observation, so no nonconformance is raised with it."""
    from qualitas.audits import findings, services
    from qualitas.audits.models import ChecklistItem
    from qualitas.core import workflow

    lead = cast.people["quality-manager"]
    found = services.raise_audit(
        actor=lead,
        lead_auditor=lead,
        planned_start=datetime.date(2026, 3, 10),
        **_audit_fields(cast),
    )
    with audit.context(actor=None, actor_name="test fixture"):
        ChecklistItem.objects.create(audit=found, question="Is the work instruction at hand?")
    found = workflow.fire(found, "prepare", actor=lead)
    found = workflow.fire(found, "start", actor=lead)
    return findings.record_finding(
        found,
        actor=actor,
        grade="observation",
        statement=f"Work instruction {n} was a photocopy without its revision.",
    )


@dataclass(frozen=True)
class Maker:
    """How the tests raise a valid record of one type.

    `fields`: what a person gives on the generic form or to POST /api/v1/<resource>; the
    record is raised with `records.raise_record`, as the page and the API do. Types raised
    only through the module's own service and page (they need more than fields: a document,
    measurements) give `make` instead, and no `fields`.
    """

    fields: Callable[[Cast], dict[str, Any]] | None = None
    make: Callable[[Cast, User, int], Any] | None = None
    # For types that allow one open record per key (a site's draft programme for a year):
    # how the same-record contract frees the key before raising the same fields again.
    release: Callable[[Any, User], Any] | None = None

    def release_one(self, record: Any, actor: User) -> None:
        if self.release is not None:
            self.release(record, actor)

    def raise_one(self, record_type: records.RecordType, cast: Cast, actor: User, n: int) -> Any:
        if self.make is not None:
            return self.make(cast, actor, n)
        assert self.fields is not None
        values = self.fields(cast)
        values["title"] = f"{values['title']} #{n}"
        return records.raise_record(record_type, actor=actor, **values)


MAKERS: dict[str, Maker] = {
    "nonconformance": Maker(fields=_nc_fields),
    "capa": Maker(fields=_capa_fields),
    "docrevision": Maker(make=_revision),
    "spcstudy": Maker(make=_study),
    "deviation": Maker(fields=_deviation_fields),
    "inspectionplan": Maker(fields=_plan_fields),
    "inspectionlot": Maker(fields=_lot_fields),
    "calibration": Maker(fields=_calibration_fields),
    "trainingrecord": Maker(make=_training_record),
    "changerequest": Maker(fields=_change_request_fields),
    "soa": Maker(make=_soa),
    "audit": Maker(fields=_audit_fields),
    "auditprogramme": Maker(fields=_programme_fields, release=_withdraw_programme),
    "auditfinding": Maker(make=_finding),
}


def maker_for(key: str) -> Maker:
    if key not in MAKERS:
        pytest.fail(
            f"Record type '{key}' is installed, but the contract suite needs a factory for it: "
            "add an entry to MAKERS in tests/contract/conftest.py."
        )
    return MAKERS[key]


@pytest.fixture
def record_type(record_key: str) -> records.RecordType:
    return records.RECORD_TYPES[record_key]


@pytest.fixture
def maker(record_key: str) -> Maker:
    return maker_for(record_key)


@pytest.fixture
def make_record(record_type: records.RecordType, maker: Maker, cast: Cast) -> Callable[..., Any]:
    """Raise a valid record of the type under test (by its everyday raiser unless told)."""
    counter = iter(range(1, 10_000))

    def make(actor: User | None = None) -> Any:
        return maker.raise_one(record_type, cast, actor or cast.raiser(record_type), next(counter))

    return make


# --- Reading and writing the way a browser and a script would -----------------------------------


def create_url_name(record_type: records.RecordType) -> str | None:
    """The module's own page for raising records of the type, if it has one (the declaration
    is moving under `presentation`; read it wherever it is)."""
    shown = getattr(record_type, "presentation", record_type)
    return getattr(shown, "create_url_name", None)


def list_url(record_type: records.RecordType) -> str:
    return reverse("core:record_list", args=(record_type.resource,))


def detail_url(record_type: records.RecordType, pk: int) -> str:
    return reverse("core:record_detail", args=(record_type.resource, pk))


def create_page_url(record_type: records.RecordType) -> str:
    return reverse("core:record_create", args=(record_type.resource,))


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def api_payload(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(value) for name, value in fields.items()}


def form_data(record_type: records.RecordType, fields: dict[str, Any]) -> dict[str, Any]:
    """What a browser posts on the generic form: the given fields, the form's defaults for the
    rest (as they stand pre-filled), and nothing for fields the module's service fills."""
    data: dict[str, Any] = {}
    for name in record_type.editable_fields:
        if name in fields:
            value = fields[name]
        elif name in record_type.defaulted_on_create:
            continue
        else:
            field = record_type.model._meta.get_field(name)
            if not field.has_default():  # type: ignore[union-attr]
                continue
            value = field.get_default()  # type: ignore[union-attr]
        if value is None or value is False:
            continue
        if isinstance(value, list) and all(isinstance(row, dict) for row in value):
            # A list of rows is a table on the page (a calibration's points): a formset
            # prefixed with the field's name.
            data |= {f"{name}-TOTAL_FORMS": len(value), f"{name}-INITIAL_FORMS": 0}
            for index, row in enumerate(value):
                data |= {f"{name}-{index}-{key}": cell for key, cell in row.items()}
        elif isinstance(value, (list, dict)):  # a JSON field's textarea holds JSON text
            data[name] = json.dumps(value)
        else:
            data[name] = "on" if value is True else _plain(value)
    return data


def audit_count() -> int:
    return AuditEvent.objects.count()


def readable(message: str) -> bool:
    """A sentence a person can act on, not a code or a repr."""
    text = message.strip()
    return (
        len(text.split()) >= 3
        and text[-1] in ".!?"
        and not any(bad in text for bad in ("Traceback", "None", "{", "}", "<", "object at"))
    )


__all__ = [
    "NO_ROLE",
    "RAISER",
    "Cast",
    "Maker",
    "also_the_raiser",
    "api_payload",
    "audit_count",
    "create_page_url",
    "create_url_name",
    "detail_url",
    "form_data",
    "list_url",
    "maker_for",
    "new",
    "readable",
    "role_holds",
]
