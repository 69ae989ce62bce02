"""Every write of the compliance module's frameworks: loading a framework file (shipped with
Qualitas after each migrate, or the organisation's own from the UI, the API or the CLI) and
the correspondences between frameworks.

Loading is an idempotent upgrade: requirements are matched by `ref_id`, so whatever points at
a requirement (evidence, audit criteria, mappings) keeps pointing at it across versions; a
requirement a newer file leaves out is retired, never deleted; the same file loaded twice
changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from qualitas.compliance import framework_files as files
from qualitas.compliance.models import (
    Applicability,
    Evidence,
    EvidenceKind,
    Framework,
    Implementation,
    Requirement,
    RequirementMapping,
    Scope,
)
from qualitas.core import audit, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import Site, User
from qualitas.core.services import system_user
from qualitas.core.validation import clean_or_raise
from qualitas.documents import queries as documents

VIEW = "compliance.view"
MANAGE = "compliance.manage"
# Coverage, applicability and evidence show where the organisation is weak.
VIEW_COVERAGE = "compliance.view_coverage"

# The fields of a requirement a file sets; a change to any of them is an upgrade.
FROM_FILE = ("title", "guidance", "auditable", "depth", "order")


@dataclass
class Loaded:
    """What loading one framework file did."""

    framework: Framework
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: bool = False


def sha256_of(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


@audit.service
def load_framework(
    parsed: files.FrameworkFile, *, actor: User, sha256: str, shipped: bool = False
) -> Loaded:
    """Create the framework, or upgrade it to this file's version (see the module's doc)."""
    framework = Framework.objects.select_for_update().filter(key=parsed.key).first()
    if framework is not None and framework.shipped and not shipped:
        raise InvalidInput.for_field(
            "key",
            f"'{parsed.key}' is a framework shipped with Qualitas; give your own framework "
            "a key of its own.",
        )
    if framework is not None and framework.file_sha256 == sha256:
        return Loaded(framework, unchanged=True)
    header = {
        "name": parsed.name,
        "title": parsed.title,
        "version": parsed.version,
        "publisher": parsed.publisher,
        "kind": parsed.kind,
        "shipped": shipped,
        "file_sha256": sha256,
        "loaded_at": timezone.now(),
        "loaded_by": actor,
    }
    if framework is None:
        framework = Framework.objects.create(key=parsed.key, **header)
    else:
        for name, value in header.items():
            setattr(framework, name, value)
        framework.save()
    result = Loaded(framework)
    held = {r.ref_id: r for r in Requirement.objects.filter(framework=framework)}
    placed: dict[str, Requirement] = {}
    for entry in parsed.requirements:
        wanted: dict[str, Any] = {
            "title": entry.title,
            "guidance": entry.guidance,
            "auditable": entry.auditable,
            "depth": entry.depth,
            "order": entry.order,
        }
        parent = placed[entry.parent] if entry.parent is not None else None
        requirement = held.get(entry.ref_id)
        if requirement is None:
            requirement = Requirement.objects.create(
                framework=framework, ref_id=entry.ref_id, parent=parent, **wanted
            )
            result.created.append(entry.ref_id)
        else:
            differs = [n for n in FROM_FILE if getattr(requirement, n) != wanted[n]]
            moved = requirement.parent_id != (parent.pk if parent else None)
            if differs or moved or requirement.retired:
                for name in FROM_FILE:
                    setattr(requirement, name, wanted[name])
                requirement.parent = parent
                requirement.retired = False
                requirement.save()
                result.changed.append(entry.ref_id)
        placed[entry.ref_id] = requirement
    for ref_id, requirement in held.items():
        if ref_id not in placed and not requirement.retired:
            requirement.retired = True
            requirement.save()
            result.retired.append(ref_id)
    return result


@audit.service
def load_mappings(
    parsed: files.MappingFile, *, actor: User, shipped: bool = False
) -> list[RequirementMapping]:
    """Add the file's correspondences not yet held (and correct a changed relation)."""
    ends = {
        (r.framework.key, r.ref_id): r
        for r in Requirement.objects.filter(
            framework__key__in=[parsed.from_key, parsed.to_key]
        ).select_related("framework")
    }
    held = {
        (m.source_id, m.target_id): m
        for m in RequirementMapping.objects.filter(
            source__framework__key=parsed.from_key, target__framework__key=parsed.to_key
        )
    }
    made = []
    for pair in parsed.pairs:
        source = ends.get((parsed.from_key, pair.from_ref))
        target = ends.get((parsed.to_key, pair.to_ref))
        if source is None or target is None:
            missing = pair.from_ref if source is None else pair.to_ref
            raise InvalidInput.for_field(
                "file", f"line {pair.line}: no requirement {missing} is loaded."
            )
        mapping = held.get((source.pk, target.pk))
        if mapping is None:
            made.append(
                RequirementMapping.objects.create(
                    source=source,
                    target=target,
                    relation=pair.relation,
                    shipped=shipped,
                    created_by=actor,
                )
            )
        elif mapping.relation != pair.relation:
            mapping.relation = pair.relation
            mapping.save()
    return made


def _parse(data: bytes, name: str) -> files.FrameworkFile:
    try:
        return files.parse_framework(data, source=name)
    except files.FrameworkFileError as error:
        raise InvalidInput([FieldError("file", str(error))]) from None


@audit.service
def import_framework(data: bytes, *, actor: User, filename: str = "<upload>") -> Loaded:
    """The organisation's own framework (customer requirements, an internal policy), or a
    newer version of one, from a YAML file in the shipped files' format."""
    permissions.require(actor, MANAGE)
    if not data:
        raise InvalidInput.for_field("file", "Choose a framework file (YAML).")
    parsed = _parse(data, filename)
    return load_framework(parsed, actor=actor, sha256=sha256_of(data), shipped=False)


@audit.service
def load_shipped(*, actor: User, reason: str = "") -> list[Loaded]:
    """Every framework and mapping file shipped in the package; unchanged files are skipped."""
    results = []
    parsed: dict[str, files.FrameworkFile] = {}
    for path in files.shipped_framework_paths():
        data = path.read_bytes()
        framework = files.parse_framework(data, source=path.name)
        parsed[framework.key] = framework
        results.append(load_framework(framework, actor=actor, sha256=sha256_of(data), shipped=True))
    if any(not r.unchanged for r in results):
        for path in files.shipped_mapping_paths():
            mapping = files.parse_mappings(path.read_bytes(), parsed, source=path.name)
            load_mappings(mapping, actor=actor, shipped=True)
    return results


def load_after_migrate(**kwargs: Any) -> None:
    """After each migrate: the shipped frameworks, new or upgraded (quick when unchanged)."""
    from django.db import connection

    if "compliance_requirement" not in connection.introspection.table_names():
        return
    load_shipped(actor=system_user(), reason="Frameworks shipped with Qualitas")


def requirements_of(framework: Framework, ref_ids: Iterable[str]) -> dict[str, Requirement]:
    found = Requirement.objects.filter(framework=framework, ref_id__in=list(ref_ids))
    return {r.ref_id: r for r in found}


# --- Scopes, applicability and evidence ----------------------------------------------------


def may_manage(actor: User, site: Site | None) -> bool:
    if site is None:
        return permissions.holds_everywhere(actor, MANAGE)
    return permissions.has_perm(actor, MANAGE, site=site)


def require_manage(actor: User, site: Site | None) -> None:
    """Compliance at a site is managed by those holding compliance.manage there; the whole
    organisation's by those holding it everywhere."""
    if site is None:
        permissions.require_everywhere(actor, MANAGE)
    else:
        permissions.require(actor, MANAGE, site=site)


SCOPE_FIELDS = (
    "statement",
    "certified",
    "certification_body",
    "certificate_number",
    "certified_until",
    "active",
)


@audit.service
def create_scope(
    *, actor: User, framework: Framework, site: Site | None = None, **fields: Any
) -> Scope:
    """The framework is worked to at this site (or everywhere)."""
    require_manage(actor, site)
    unknown = set(fields) - set(SCOPE_FIELDS)
    if unknown:
        raise InvalidInput.for_field(sorted(unknown)[0], "Not a field of a scope.")
    if Scope.objects.filter(framework=framework, site=site).exists():
        where = site.name if site else "the whole organisation"
        raise Conflict(f"{framework.name} already has a scope for {where}.")
    scope = Scope(framework=framework, site=site, created_by=actor, **fields)
    clean_or_raise(scope, exclude=["created_by"])
    scope.save()
    return scope


@audit.service
def update_scope(scope: Scope, *, actor: User, **changes: Any) -> Scope:
    require_manage(actor, scope.site)
    for name, value in changes.items():
        if name not in SCOPE_FIELDS:
            raise InvalidInput.for_field(name, "Not a field of a scope.")
        setattr(scope, name, value)
    clean_or_raise(scope, exclude=["created_by"])
    scope.save()
    return scope


def _in_framework(scope: Scope, requirement: Requirement) -> None:
    if requirement.framework_id != scope.framework_id:
        raise InvalidInput.for_field(
            "ref_id", f"{requirement.ref_id} is not a requirement of {scope.framework.name}."
        )
    if requirement.retired:
        raise InvalidInput.for_field(
            "ref_id", f"{requirement.ref_id} was retired from {scope.framework.name}."
        )


@audit.service
def set_applicability(
    scope: Scope,
    requirement: Requirement,
    *,
    actor: User,
    applicable: bool = True,
    justification: str = "",
    implementation: str = Implementation.NOT_STARTED,
    owner: User | None = None,
) -> Applicability:
    """Whether the requirement applies within the scope and why, how far it is implemented
    and who answers for it. An exclusion without a justification is refused."""
    require_manage(actor, scope.site)
    _in_framework(scope, requirement)
    if not applicable and not justification.strip():
        raise InvalidInput.for_field(
            "justification", f"Say why {requirement.ref_id} does not apply."
        )
    if implementation not in Implementation.values:
        raise InvalidInput.for_field(
            "implementation", f"Choose one of: {', '.join(Implementation.values)}."
        )
    if owner is not None and not owner.is_active:
        raise InvalidInput.for_field("owner", f"{owner.printed_name} is not active.")
    said = Applicability.objects.filter(scope=scope, requirement=requirement).first()
    said = said or Applicability(scope=scope, requirement=requirement)
    said.applicable = applicable
    said.justification = justification.strip()
    said.implementation = implementation
    said.owner = owner
    said.updated_by = actor
    said.save()
    return said


@audit.service
def add_evidence(
    requirement: Requirement,
    *,
    actor: User,
    kind: str,
    scope: Scope | None = None,
    reference: str = "",
    note: str = "",
) -> Evidence:
    """Evidence that a requirement is met: a controlled document or a quality record named
    by its number, or a written justification. Within one scope, or wherever the framework
    applies (no scope)."""
    if scope is not None:
        require_manage(actor, scope.site)
        _in_framework(scope, requirement)
    else:
        require_manage(actor, None)
        if requirement.retired:
            raise InvalidInput.for_field("ref_id", f"{requirement.ref_id} was retired.")
    evidence = Evidence(
        requirement=requirement, scope=scope, kind=kind, note=note.strip(), added_by=actor
    )
    reference = reference.strip()
    if kind == EvidenceKind.DOCUMENT:
        found = documents.controlled_documents(numbers=[reference]).get(reference)
        if found is None:
            raise InvalidInput.for_field("reference", f"No controlled document '{reference}'.")
        evidence.document_id, evidence.reference = found.id, found.number
    elif kind == EvidenceKind.RECORD:
        record = records.find_by_number(actor, reference) if reference else None
        if record is None:
            raise InvalidInput.for_field("reference", f"No record '{reference}' that you may see.")
        record_type = records.type_of(record)
        evidence.record_type, evidence.record_id = record_type.key, record.pk
        evidence.reference = record.number
    elif kind == EvidenceKind.JUSTIFICATION:
        if not evidence.note:
            raise InvalidInput.for_field("note", "Write the justification.")
    else:
        raise InvalidInput.for_field("kind", f"Choose one of: {', '.join(EvidenceKind.values)}.")
    held = Evidence.objects.filter(
        requirement=requirement, scope=scope, kind=kind, removed_at__isnull=True
    )
    if kind != EvidenceKind.JUSTIFICATION and held.filter(reference=evidence.reference).exists():
        raise Conflict(f"{evidence.reference} is already evidence for {requirement.ref_id}.")
    evidence.save()
    return evidence


@audit.service
def remove_evidence(evidence: Evidence, *, actor: User, reason: str) -> Evidence:
    """Withdraw evidence given in error or no longer relevant; it stays in the history."""
    require_manage(actor, evidence.scope.site if evidence.scope else None)
    if evidence.removed_at is not None:
        raise Conflict("This evidence was already withdrawn.")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the evidence is withdrawn.")
    evidence.removed_at = timezone.now()
    evidence.removed_by = actor
    evidence.removal_reason = reason.strip()
    evidence.save()
    return evidence
