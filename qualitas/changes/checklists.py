"""What each type of change is assessed for, and who sits on its change control board:
data, read by the services, the workflow's guards, the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from qualitas.core import permissions as p

# The impact assessment's items: code -> (question, hint shown with it).
ITEMS: dict[str, tuple[str, str]] = {
    "documents": ("Documents", "Procedures, instructions, drawings or forms to revise"),
    "training": ("Training", "Who must be trained before the change takes effect"),
    "risk": ("Risk", "Risk analysis or FMEA to update"),
    "validation": ("Validation / verification", "Process, design or software validation"),
    "notify": ("Customers and regulators", "Who must be told or asked before the change"),
    "suppliers": ("Suppliers", "Supplier approvals, agreements or specifications"),
    "stock": ("Stock and work in progress", "Material made or bought to the old state"),
    "it_systems": ("IT systems", "Systems, interfaces, data or access rights affected"),
    "cost": ("Cost", "Cost of the change and who pays"),
}

# Items that must name what they affect when answered "yes".
NAMES_DOCUMENTS = "documents"
NAMES_AUDIENCES = "training"

_EVERY_CHANGE = ("documents", "training", "risk")

CHECKLISTS: dict[str, tuple[str, ...]] = {
    "document": (*_EVERY_CHANGE, "cost"),
    "process": (*_EVERY_CHANGE, "validation", "stock", "it_systems", "cost"),
    "product_design": tuple(ITEMS),
    "supplier": (*_EVERY_CHANGE, "validation", "notify", "suppliers", "stock", "cost"),
    "equipment": (*_EVERY_CHANGE, "validation", "stock", "it_systems", "cost"),
    "it_release": (*_EVERY_CHANGE, "validation", "notify", "it_systems", "cost"),
    "organisation": (*_EVERY_CHANGE, "notify", "cost"),
}


@dataclass(frozen=True)
class Board:
    """A change control board: each role must approve (one person each, all different),
    and at least `minimum` approvals in all; members vote in parallel."""

    roles: tuple[str, ...]
    minimum: int


BOARDS: dict[str, Board] = {
    "document": Board((p.QUALITY_MANAGER,), 1),
    "process": Board((p.QUALITY_MANAGER,), 1),
    "product_design": Board((p.QUALITY_MANAGER, p.APPROVER), 2),
    "supplier": Board((p.QUALITY_MANAGER, p.APPROVER), 2),
    "equipment": Board((p.QUALITY_MANAGER,), 1),
    "it_release": Board((p.ADMINISTRATOR, p.QUALITY_MANAGER), 2),
    "organisation": Board((p.QUALITY_MANAGER, p.APPROVER), 2),
}


def checklist(change_type: str) -> tuple[str, ...]:
    return CHECKLISTS.get(change_type, ())


def board(change_type: str) -> Board:
    return BOARDS[change_type]


def role_name(code: str) -> str:
    spec = p.SYSTEM_ROLES.get(code)
    return spec.name if spec else code
