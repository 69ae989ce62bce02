"""The cast of audit tests at one plant: a quality manager, two qualified auditors (one in
Production, one in Quality), the production manager who is audited, an approver for the
programme, someone with no audit role; and a planned internal audit of Production against
three ISO 9001 clauses (the shipped framework is loaded after every migrate)."""

from __future__ import annotations

import pytest

from qualitas.audits import services
from qualitas.audits.models import Audit
from qualitas.core import audit, permissions, signatures
from qualitas.core.models import Department, Site, User
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

ISO_9001 = "iso-9001-2015"
CLAUSES = ("8.5.1", "8.7", "7.1.5")


def person(
    username: str,
    role: str | None,
    *,
    site: Site | None = None,
    department: Department | None = None,
) -> User:
    user = UserFactory(
        username=username,
        first_name=username.title(),
        last_name="Tester",
        site=site,
        department=department,
    )
    return with_role(user, role, site=site) if role else user


def sign(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


def requirement_ids(framework_key: str = ISO_9001, refs: tuple[str, ...] = CLAUSES) -> list[int]:
    from qualitas.compliance.models import Requirement

    found = dict(
        Requirement.objects.filter(framework__key=framework_key, ref_id__in=refs).values_list(
            "ref_id", "pk"
        )
    )
    return [found[ref] for ref in refs]


@pytest.fixture
def plant(db: None) -> Site:
    return SiteFactory(code="SHF", name="Sheffield Works")


def _department(plant: Site, code: str, name: str) -> Department:
    with audit.context(actor=None, actor_name="test fixture"):
        return Department.objects.create(code=code, name=name, site=plant)


@pytest.fixture
def production(plant: Site) -> Department:
    return _department(plant, "PROD", "Production")


@pytest.fixture
def quality(plant: Site) -> Department:
    return _department(plant, "QA", "Quality")


@pytest.fixture
def qm(plant: Site, quality: Department) -> User:
    return person("qm", permissions.QUALITY_MANAGER, site=plant, department=quality)


@pytest.fixture
def auditor(plant: Site, quality: Department) -> User:
    """A qualified auditor from Quality: independent of Production."""
    return person("auditor", permissions.AUDITOR, site=plant, department=quality)


@pytest.fixture
def production_auditor(plant: Site, production: Department) -> User:
    """A qualified auditor who works in Production: not independent of it."""
    return person("prodauditor", permissions.AUDITOR, site=plant, department=production)


@pytest.fixture
def auditee(plant: Site, production: Department) -> User:
    """The production manager: owns what the audit finds in Production."""
    return person("auditee", permissions.CONTRIBUTOR, site=plant, department=production)


@pytest.fixture
def approver(plant: Site) -> User:
    return person("approver", permissions.APPROVER, site=plant)


@pytest.fixture
def outsider(plant: Site) -> User:
    return person("outsider", None, site=plant)


@pytest.fixture
def planned_audit(qm: User, auditor: User, auditee: User, production: Department) -> Audit:
    """AUD-…: an internal audit of Production led by the Quality auditor, against three
    ISO 9001 clauses; planned, with no checklist yet."""
    import datetime

    found = services.raise_audit(
        actor=qm,
        title="Production process audit",
        audit_type="internal",
        scope="Machining and assembly, both shifts",
        site=production.site,
        lead_auditor=auditor,
        auditee_contact=auditee,
        planned_start=datetime.date(2026, 3, 10),
        planned_end=datetime.date(2026, 3, 11),
    )
    found = services.set_auditee_departments(
        found, actor=qm, department_ids=[production.pk], expected_version=found.version
    )
    return services.set_criteria(
        found, actor=qm, requirement_ids=requirement_ids(), expected_version=found.version
    )
