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
from qualitas.compliance.models import Framework, Requirement, RequirementMapping
from qualitas.core import audit, permissions
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.core.services import system_user

VIEW = "compliance.view"
MANAGE = "compliance.manage"

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
