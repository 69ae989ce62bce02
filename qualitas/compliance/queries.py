"""Reads of the compliance module shaped for pages and the API."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q

from qualitas.compliance.models import Framework, Requirement, RequirementMapping


def tree(framework: Framework, *, retired: bool = False) -> list[Requirement]:
    """The framework's requirements in the standard's order (depth gives the indent)."""
    found = Requirement.objects.filter(framework=framework).order_by("order", "pk")
    if not retired:
        found = found.filter(retired=False)
    return list(found)


def counts(framework: Framework) -> dict[str, int]:
    return Requirement.objects.filter(framework=framework).aggregate(
        total=Count("pk", filter=Q(retired=False)),
        auditable=Count("pk", filter=Q(retired=False, auditable=True)),
        retired=Count("pk", filter=Q(retired=True)),
    )


def mappings_by_requirement(framework: Framework) -> dict[int, list[dict[str, Any]]]:
    """Per requirement of the framework, its correspondences in other frameworks (both
    directions), in one query."""
    found = RequirementMapping.objects.filter(
        Q(source__framework=framework) | Q(target__framework=framework)
    ).select_related("source__framework", "target__framework")
    shown: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for mapping in found:
        ours_is_source = mapping.source.framework_id == framework.pk
        ours, other = (
            (mapping.source, mapping.target) if ours_is_source else (mapping.target, mapping.source)
        )
        shown[ours.pk].append(
            {
                "framework": other.framework,
                "ref_id": other.ref_id,
                "title": other.title,
                "requirement_id": other.pk,
                "relation": mapping.get_relation_display(),
                "id": mapping.pk,
                "shipped": mapping.shipped,
            }
        )
    return dict(shown)


def requirement_ids(ids: list[int]) -> set[int]:
    """Of these ids, those of requirements that exist and are not retired (what another
    module may name as criteria)."""
    return set(Requirement.objects.filter(pk__in=ids, retired=False).values_list("pk", flat=True))


def requirements_by_id(ids: list[int]) -> dict[int, Requirement]:
    """The requirements, with their framework, keyed by id (for pages and reports)."""
    found = Requirement.objects.filter(pk__in=ids).select_related("framework")
    return {r.pk: r for r in found}


def requirement_ids_by_ref(refs: list[tuple[str, str]]) -> list[int]:
    """Ids of requirements named (framework key, ref id), in the order given; a name that
    matches nothing is left out."""
    keys = {key for key, _ in refs}
    found = {
        (key, ref): pk
        for key, ref, pk in Requirement.objects.filter(
            framework__key__in=keys, ref_id__in=[ref for _, ref in refs], retired=False
        ).values_list("framework__key", "ref_id", "pk")
    }
    return [found[name] for name in refs if name in found]
