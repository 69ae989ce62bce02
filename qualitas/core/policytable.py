"""The published policy: who may do what to each kind of quality record, as Markdown.

Built from the live declarations (the permission registry and each record type's workflow),
so the user guide's page cannot say something the code does not enforce. `render_markdown`
is called after Django has started, when every module has declared itself; the output is
sorted and undated, so the committed page changes only when the policy does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from qualitas.core import permissions
from qualitas.core.records import RECORD_TYPES, RecordType
from qualitas.core.workflow import Transition

# Permission code -> (description, system roles carrying it), as `permissions.registered()`.
Grants = dict[str, tuple[str, frozenset[str]]]

YES = "✓"
NO = "—"

INTRO = """\
# Who may do what

*This page is generated from the code by `qualitas policy_table`; do not edit it by hand.*

Each table shows, for one kind of quality record, which system role lets a person see it,
raise it, edit it and move it through each step of its workflow. A ✓ means the role carries
the permission for that action; **Also open to** names the people who may do it without the
role because of how they stand to the record (its owner, say); **Never by** names those who
may not do it even with the role (separation of duties); **Signature** is the meaning of the
electronic signature the step asks for. Roles your administrator defines in addition to the
system roles are listed under **Organisation → Roles**.

A role is granted at one site or at every site. A right on a record applies at the record's
site: a Quality Manager for one site acts on that site's records only. Acting on a record
that applies at several sites (a controlled document's revision) needs the right at each of
them, or at every site when it applies to the whole organisation.
"""

_RELATION_WORDS = {"owner": "the record's owner", "creator": "whoever raised the record"}


def shipped(record_type: RecordType) -> bool:
    """Record types of Qualitas itself, not ones a test or a plug-in declares."""
    return str(record_type.model._meta.app_config.name).startswith("qualitas.")


def render_markdown(include: Callable[[RecordType], bool] = shipped) -> str:
    """The whole page: one section per record type (by label), then every other permission."""
    grants = permissions.registered()
    roles = list(permissions.SYSTEM_ROLES.values())
    parts = [INTRO]
    chosen = sorted((rt for rt in RECORD_TYPES.values() if include(rt)), key=lambda rt: rt.label)
    for record_type in chosen:
        parts.append(_record_section(record_type, grants, roles))
    # Codes any record type uses (shown or not) belong to that type, not to this list.
    tied: set[str] = set()
    for record_type in RECORD_TYPES.values():
        tied |= _codes_of(record_type)
    parts.append(_other_section(sorted(set(grants) - tied), grants, roles))
    return "\n".join(parts)


def _codes_of(record_type: RecordType) -> set[str]:
    declared = record_type.permissions
    codes = {declared.view, declared.create, declared.edit}
    codes |= {t.permission for t in record_type.workflow.transitions if t.permission}
    return codes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _who(relations: Iterable[str]) -> str:
    return ", ".join(_RELATION_WORDS.get(r, f"the record's {r}") for r in relations)


def _role_cells(code: str | None, grants: Grants, roles: list[permissions.RoleSpec]) -> list[str]:
    holders = grants[code][1] if code else frozenset()
    return [YES if role.code in holders else NO for role in roles]


def _field_labels(record_type: RecordType, names: Iterable[str]) -> str:
    labels = []
    for name in names:
        label = str(getattr(record_type.model._meta.get_field(name), "verbose_name", name))
        labels.append(label[:1].upper() + label[1:])
    return ", ".join(labels)


def _visibility_note(record_type: RecordType) -> str:
    """A record type with its own visibility rule says it in that rule's docstring."""
    if record_type.visibility is None:
        return ""
    doc = inspect.getdoc(record_type.visibility) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _transition_notes(record_type: RecordType, transition: Transition) -> str:
    notes = []
    if transition.automatic:
        notes.append("Happens by itself when its conditions are met (no button).")
    if transition.requires:
        notes.append(f"Needs: {_field_labels(record_type, transition.requires)}.")
    if transition.comment_required:
        notes.append("A comment is required.")
    return " ".join(notes)


def _never_by(record_type: RecordType, transition: Transition) -> str:
    never = [_who([r]) for r in transition.not_by]
    for meaning in transition.distinct_from_signers:
        never.append(f"anyone who already signed it as {_meaning_label(meaning)}")
    return ", ".join(never)


def _meaning_label(meaning: str | None) -> str:
    if not meaning:
        return ""
    from qualitas.core.models import Meaning

    return str(Meaning(meaning).label)


def _record_section(
    record_type: RecordType,
    grants: Grants,
    roles: list[permissions.RoleSpec],
) -> str:
    workflow = record_type.workflow
    declared = record_type.permissions
    header = ["Action", "From → to", *(r.name for r in roles)]
    header += ["Also open to", "Never by", "Signature", "Notes"]
    locked = ", ".join(workflow.label_of(s) for s in workflow.locked_states)
    see_also = "" if record_type.visibility else _who(["owner", "creator"])
    editable = f"any but {locked}" if locked else "any state"

    def row(action: str, span: str, code: str | None, *extra: str) -> list[str]:
        return [action, span, *_role_cells(code, grants, roles), *extra]

    rows = [
        row("See", "any state", declared.view, see_also, "", "", _visibility_note(record_type)),
        row("Raise", f"new → {workflow.label_of(workflow.initial)}", declared.create, *[""] * 4),
        row("Edit", editable, declared.edit, _who(["owner"]), "", "", ""),
    ]
    for transition in workflow.transitions:
        sources = ", ".join(workflow.label_of(s) for s in transition.sources)
        rows.append(
            row(
                transition.title,
                f"{sources} → {workflow.label_of(transition.target)}",
                transition.permission,
                _who(transition.relations),
                _never_by(record_type, transition),
                _meaning_label(transition.signature),
                _transition_notes(record_type, transition),
            )
        )
    lines = [
        f"## {record_type.label_plural}",
        "",
        _row(header),
        _row(["---"] * len(header)),
        *(_row(r) for r in rows),
        "",
    ]
    return "\n".join(lines)


def _other_section(
    codes: list[str],
    grants: Grants,
    roles: list[permissions.RoleSpec],
) -> str:
    header = ["Permission", "Code", *(r.name for r in roles)]
    lines = [
        "## Other permissions",
        "",
        "Rights that belong to no single kind of record: the organisation, the audit trail,",
        "API tokens and each module's own registers.",
        "",
        _row(header),
        _row(["---"] * len(header)),
    ]
    for code in codes:
        description = grants[code][0]
        lines.append(_row([description, f"`{code}`", *_role_cells(code, grants, roles)]))
    lines.append("")
    return "\n".join(lines)
