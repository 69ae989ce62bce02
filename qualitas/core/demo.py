"""Demo data: Aldermoor Precision, a fictional company a newcomer can explore.

Two sites: a precision-parts plant in Sheffield with a medical-device line (ISO 9001 and
ISO 13485), and a software office in Leeds that ships the plant's MES and a customer portal
(ISO 27001). Loading is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from qualitas.core import audit, notifications, permissions, services
from qualitas.core.models import Department, Role, Site, User

DEMO_MARKER_SITE = "SHF"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    name: str
    role: str


SITES = [
    (
        "SHF",
        "Sheffield Works",
        "Unit 4, Don Valley Park, Sheffield S9 3XX, United Kingdom",
        "Precision machining of aerospace and industrial parts; clean-room line for orthopaedic "
        "implant components (ISO 13485).",
    ),
    (
        "LDS",
        "Leeds Digital",
        "12 Wellington Place, Leeds LS1 4AP, United Kingdom",
        "Software team: the plant's MES, the customer portal and internal IT (ISO 27001).",
    ),
]

DEPARTMENTS = [
    ("QA", "Quality Assurance", None),
    ("MGT", "Management", None),
    ("OPS", "Operations", "SHF"),
    ("MED", "Medical Device Line", "SHF"),
    ("ENG", "Engineering", "SHF"),
    ("SCM", "Supply Chain", "SHF"),
    ("IT", "IT and Software", "LDS"),
]

# username, first, last, job title, department, site, role, role site (None = all), password
PEOPLE = [
    (
        "hmarsh",
        "Helen",
        "Marsh",
        "Quality Manager",
        "QA",
        "SHF",
        permissions.QUALITY_MANAGER,
        None,
        "Harbour-Sextant-42",
    ),
    (
        "pnair",
        "Priya",
        "Nair",
        "Document Controller",
        "QA",
        "SHF",
        permissions.DOCUMENT_CONTROLLER,
        None,
        "Lantern-Meadow-17",
    ),
    (
        "tbecker",
        "Tom",
        "Becker",
        "Lead Internal Auditor",
        "QA",
        "LDS",
        permissions.AUDITOR,
        None,
        "Compass-Orchard-58",
    ),
    (
        "acosta",
        "Ana",
        "Costa",
        "Head of Engineering",
        "ENG",
        "SHF",
        # Approves the company-wide procedures: approval authority must cover every site
        # a document applies at.
        permissions.APPROVER,
        None,
        "Granite-Willow-93",
    ),
    (
        "jokafor",
        "Jamal",
        "Okafor",
        "Production Supervisor",
        "OPS",
        "SHF",
        permissions.CONTRIBUTOR,
        "SHF",
        "Copper-Thistle-26",
    ),
    (
        "lchen",
        "Lucy",
        "Chen",
        "CNC Operator",
        "OPS",
        "SHF",
        permissions.VIEWER,
        "SHF",
        "Maple-Beacon-71",
    ),
    (
        "spatel",
        "Sam",
        "Patel",
        "IT Systems Administrator",
        "IT",
        "LDS",
        permissions.ADMINISTRATOR,
        None,
        "Falcon-Riverbank-35",
    ),
    (
        "mkowalski",
        "Marta",
        "Kowalski",
        "Supply Chain Manager",
        "SCM",
        "SHF",
        permissions.CONTRIBUTOR,
        "SHF",
        "Juniper-Anchor-64",
    ),
    (
        "elund",
        "Erik",
        "Lund",
        "Software Release Manager",
        "IT",
        "LDS",
        permissions.CONTRIBUTOR,
        "LDS",
        "Quartz-Harvest-19",
    ),
    (
        "rmensah",
        "Rachel",
        "Mensah",
        "Managing Director",
        "MGT",
        "SHF",
        permissions.APPROVER,
        None,
        "Summit-Lighthouse-82",
    ),
    (
        "dfischer",
        "David",
        "Fischer",
        "Medical Line Quality Engineer",
        "MED",
        "SHF",
        permissions.CONTRIBUTOR,
        "SHF",
        "Cobalt-Prairie-47",
    ),
    (
        # Sheffield's deputy for quality: signs the quality approval of a concession when
        # Helen raised the nonconformance herself (separation of duties).
        "oprice",
        "Owen",
        "Price",
        "Deputy Quality Manager",
        "QA",
        "SHF",
        permissions.QUALITY_MANAGER,
        "SHF",
        "Birch-Signal-38",
    ),
]


def demo_logins() -> list[DemoLogin]:
    roles = {spec.code: spec.name for spec in permissions.SYSTEM_ROLES.values()}
    return [
        DemoLogin(username, password, f"{first} {last}", roles[role])
        for username, first, last, _title, _dept, _site, role, _where, password in PEOPLE
    ]


def is_loaded() -> bool:
    return Site.objects.filter(code=DEMO_MARKER_SITE).exists()


@transaction.atomic
def load() -> bool:
    """Create the demo company and each module's demo records; False when already there."""
    from qualitas.core.registry import registry

    if is_loaded():
        return False
    _load_company()
    for loader in registry.demo_loaders:
        loader()
    _settle_notifications()
    return True


def _settle_notifications(keep: int = 6) -> None:
    """Generated history leaves hundreds of notifications: keep each person's newest unread."""
    from django.utils import timezone

    from qualitas.core.models import Notification

    for user_id in Notification.objects.values_list("recipient_id", flat=True).distinct():
        newest = Notification.objects.filter(recipient_id=user_id).order_by("-id")[:keep]
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).exclude(
            pk__in=list(newest.values_list("pk", flat=True))
        ).update(read_at=timezone.now())


def _load_company() -> None:
    actor = services.system_user()
    sites = {
        code: services.create_site(
            actor=actor, code=code, name=name, address=address, description=about
        )
        for code, name, address, about in SITES
    }
    departments: dict[str, Department] = {
        code: services.create_department(
            actor=actor, code=code, name=name, site=sites[site] if site else None
        )
        for code, name, site in DEPARTMENTS
    }
    people: dict[str, User] = {}
    for username, first, last, title, dept, site, role, where, password in PEOPLE:
        person = services.create_user(
            actor=actor,
            username=username,
            password=password,
            first_name=first,
            last_name=last,
            email=f"{username}@aldermoor.example",
            job_title=title,
            department=departments[dept],
            site=sites[site],
        )
        # Demo accounts keep their printed passwords (a real administrator's choice would not).
        person.must_change_password = False
        with audit.context(actor=actor, reason="Demo account keeps its printed password"):
            person.save(update_fields=["must_change_password"])
        services.grant_role(
            person,
            actor=actor,
            role=Role.objects.get(code=role),
            site=sites[where] if where else None,
        )
        people[username] = person
    heads = {
        "QA": "hmarsh",
        "ENG": "acosta",
        "OPS": "jokafor",
        "SCM": "mkowalski",
        "IT": "spatel",
        "MGT": "rmensah",
        "MED": "dfischer",
    }
    for dept_code, username in heads.items():
        services.update_department(departments[dept_code], actor=actor, head=people[username])
    notifications.notify(
        people["hmarsh"],
        title="Welcome to Qualitas",
        body="Your quality system is ready. Start with the people and roles of Aldermoor Precision.",
        url="/people/",
    )
