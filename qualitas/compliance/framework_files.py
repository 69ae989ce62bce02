"""Compliance framework files: a standard's requirement tree, and mappings between frameworks.

A framework (ISO 9001:2015, 21 CFR Part 11, a customer's requirements …) is one YAML file; a
mapping between two frameworks is another. Both are read here into plain frozen dataclasses,
and anything wrong is refused with a `FrameworkFileError` that names the file, the line and the
field, so that whoever wrote the file can correct it. Uploads come from users: only
`yaml.SafeLoader` is used, anchors and aliases are refused, and size and nesting are bounded.

Pure Python (the standard library and PyYAML): the Django layer builds on this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Uploads come from users: bound the work a file can ask for.
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 8  # levels of requirements, the top level being the first
MAX_REQUIREMENTS = 10_000
MAX_PAIRS = 20_000

KEY_MAX = 60
NAME_MAX = 120
TITLE_MAX = 300
VERSION_MAX = 40
PUBLISHER_MAX = 120
REF_ID_MAX = 60
GUIDANCE_MAX = 1000

KINDS = ("standard", "regulation", "framework", "customer", "internal")
RELATIONS = ("equivalent", "related")
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]*\Z")

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
MAPPINGS_DIR = FRAMEWORKS_DIR / "mappings"

# A requirement level is a mapping inside a list: two YAML levels each, plus the file's own.
_YAML_DEPTH = 2 * MAX_DEPTH + 4
_TAG = "tag:yaml.org,2002:"
# Tags the YAML core schema gives plain values; anything else (!!python/…, !custom) is refused.
_PLAIN_TAGS = frozenset(
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_MAP_TAG = _TAG + "map"
_SEQ_TAG = _TAG + "seq"


class FrameworkFileError(ValueError):
    """A framework or mapping file that cannot be loaded.

    `str(error)` reads "iso-9001-2015.yaml line 41, requirements[3].children[0].title: must not
    be empty"; `problem` is the part after the colon, `line` is 1-based.
    """

    def __init__(self, message: str, *, source: str, line: int | None, field: str | None) -> None:
        self.problem = message
        self.source = source
        self.line = line
        self.field = field
        where = source if line is None else f"{source} line {line}"
        if field:
            where = f"{where}, {field}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class RequirementEntry:
    ref_id: str
    title: str
    guidance: str
    auditable: bool
    parent: str | None  # the parent's ref_id
    depth: int  # 0 for the top level
    order: int  # position in document order over the whole file (its index in `requirements`)
    line: int  # 1-based line where the entry starts


@dataclass(frozen=True)
class FrameworkFile:
    key: str
    name: str
    title: str
    version: str
    publisher: str
    kind: str
    requirements: tuple[RequirementEntry, ...]  # document order (a pre-order walk)
    source: str = "<upload>"

    def ref_ids(self) -> frozenset[str]:
        return frozenset(entry.ref_id for entry in self.requirements)


@dataclass(frozen=True)
class MappingPair:
    from_ref: str
    to_ref: str
    relation: str
    line: int


@dataclass(frozen=True)
class MappingFile:
    from_key: str
    to_key: str
    pairs: tuple[MappingPair, ...]
    source: str = "<upload>"


# --- Reading YAML into nodes that remember their lines ---------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases and deep nesting while composing.

    Aliases would let a small file expand into a huge tree ("billion laughs"); frameworks never
    need them. Nesting is counted here so a hostile file fails before Python's recursion limit.
    """

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.nesting = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # PyYAML's stubs leave the event stream untyped.
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        line = int(event.start_mark.line) + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise FrameworkFileError(
                "anchors and aliases (&name, *name) are not allowed; write the value out",
                source=self.source,
                line=line,
                field=None,
            )
        if not isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            return super().compose_node(parent, index)
        self.nesting += 1
        try:
            if self.nesting > _YAML_DEPTH:
                raise FrameworkFileError(
                    f"the file nests more than {_YAML_DEPTH} levels deep",
                    source=self.source,
                    line=line,
                    field=None,
                )
            return super().compose_node(parent, index)
        finally:
            self.nesting -= 1


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise _too_large(source)
        try:
            decoded = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = text.count(b"\n", 0, error.start) + 1
            raise FrameworkFileError(
                f"is not UTF-8 text (byte {text[error.start]:#04x})",
                source=source,
                line=line,
                field=None,
            ) from None
        return decoded
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _too_large(source)
    return text.removeprefix("\ufeff")


def _too_large(source: str) -> FrameworkFileError:
    return FrameworkFileError(
        f"is larger than {MAX_BYTES // (1024 * 1024)} MB", source=source, line=None, field=None
    )


def _compose(text: str | bytes, source: str) -> Node:
    decoded = _decode(text, source)
    loader: _Loader | None = None
    try:
        loader = _Loader(decoded, source)  # the reader refuses control characters here
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "is not valid YAML"
        if error.context and error.problem:
            problem = f"{error.context}, {error.problem}"
        raise FrameworkFileError(
            f"is not valid YAML: {problem}",
            source=source,
            line=mark.line + 1 if mark is not None else None,
            field=None,
        ) from None
    except yaml.reader.ReaderError as error:
        line = decoded.count("\n", 0, error.position) + 1
        raise FrameworkFileError(
            f"is not valid YAML: the character U+{error.character:04X} is not allowed",
            source=source,
            line=line,
            field=None,
        ) from None
    except RecursionError:  # pragma: no cover - the nesting bound stops this first
        raise FrameworkFileError(
            "the file nests too deeply", source=source, line=None, field=None
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise FrameworkFileError("is empty", source=source, line=None, field=None)
    return node


# --- Checking nodes -----------------------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Checker:
    """Reads typed values out of nodes; every refusal names the line and the field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: Node | int | None, field: str | None, message: str) -> FrameworkFileError:
        line = node if isinstance(node, int) or node is None else _line(node)
        return FrameworkFileError(message, source=self.source, line=line, field=field)

    def _tag(self, node: Node, field: str) -> None:
        allowed = {ScalarNode: _PLAIN_TAGS, MappingNode: {_MAP_TAG}, SequenceNode: {_SEQ_TAG}}
        if node.tag not in allowed.get(type(node), ()):
            raise self.fail(node, field, f"the YAML tag {node.tag} is not allowed")

    def fields(
        self, node: Node, path: str, *, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Node]:
        """The mapping's values by key: no duplicates, no unknown keys, nothing required missing."""
        if not isinstance(node, MappingNode):
            expected = ", ".join(required)
            raise self.fail(node, path or None, f"must be a mapping with {expected}")
        self._tag(node, path)
        known = (*required, *optional)
        values: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag != _TAG + "str":
                raise self.fail(key_node, path or None, "keys must be plain names")
            key = key_node.value
            field = _join(path, key)
            if key in values:
                raise self.fail(
                    key_node, field, f"is given twice (lines {lines[key]} and {_line(key_node)})"
                )
            if key not in known:
                raise self.fail(
                    key_node, field, f"is not a known field (known: {', '.join(known)})"
                )
            values[key] = value_node
            lines[key] = _line(key_node)
        for key in required:
            if key not in values:
                raise self.fail(node, _join(path, key), "is required")
        return values

    def text(self, node: Node, field: str, *, max_length: int, one_line: bool = True) -> str:
        """A scalar as the file writes it (so `4.10` stays "4.10", never the number 4.1)."""
        if not isinstance(node, ScalarNode):
            raise self.fail(node, field, "must be text, not a list or mapping")
        self._tag(node, field)
        value = "" if node.tag == _TAG + "null" else str(node.value).strip()
        if one_line and ("\n" in value or "\r" in value):
            raise self.fail(node, field, "must be one line")
        if len(value) > max_length:
            raise self.fail(
                node, field, f"is {len(value)} characters long; the most is {max_length}"
            )
        return value

    def required_text(self, node: Node, field: str, *, max_length: int) -> str:
        value = self.text(node, field, max_length=max_length)
        if not value:
            raise self.fail(node, field, "must not be empty")
        return value

    def slug(self, node: Node, field: str) -> str:
        value = self.required_text(node, field, max_length=KEY_MAX)
        if not KEY_PATTERN.match(value):
            raise self.fail(
                node,
                field,
                f"'{value}' must be lower-case letters, digits, dots and hyphens, "
                "starting with a letter or digit",
            )
        return value

    def choice(self, node: Node, field: str, choices: tuple[str, ...]) -> str:
        value = self.required_text(node, field, max_length=40)
        if value not in choices:
            raise self.fail(node, field, f"'{value}' is not one of {', '.join(choices)}")
        return value

    def boolean(self, node: Node, field: str) -> bool:
        if isinstance(node, ScalarNode) and node.tag == _TAG + "bool":
            return bool(yaml.constructor.SafeConstructor.bool_values[node.value.lower()])
        raise self.fail(node, field, "must be true or false")

    def sequence(self, node: Node, field: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, field, "must be a list")
        self._tag(node, field)
        return list(node.value)


# --- Framework files ----------------------------------------------------------------------------

_FRAMEWORK_REQUIRED = ("key", "name", "version", "kind", "requirements")
_FRAMEWORK_OPTIONAL = ("title", "publisher")
_REQUIREMENT_REQUIRED = ("ref_id", "title")
_REQUIREMENT_OPTIONAL = ("auditable", "guidance", "children")


def parse_framework(text: str | bytes, *, source: str = "<upload>") -> FrameworkFile:
    """The framework a YAML file describes, or a FrameworkFileError naming line and field."""
    framework, _key_line = _parse_framework(text, source)
    return framework


def _parse_framework(text: str | bytes, source: str) -> tuple[FrameworkFile, int]:
    check = _Checker(source)
    root = _compose(text, source)
    values = check.fields(root, "", required=_FRAMEWORK_REQUIRED, optional=_FRAMEWORK_OPTIONAL)
    # The file's own fields first, then the tree, so errors come roughly in reading order.
    key = check.slug(values["key"], "key")
    name = check.required_text(values["name"], "name", max_length=NAME_MAX)
    title = name
    if "title" in values:
        title = check.text(values["title"], "title", max_length=TITLE_MAX) or name
    version = check.required_text(values["version"], "version", max_length=VERSION_MAX)
    publisher = ""
    if "publisher" in values:
        publisher = check.text(values["publisher"], "publisher", max_length=PUBLISHER_MAX)
    kind = check.choice(values["kind"], "kind", KINDS)
    requirements_node = values["requirements"]
    entries = _Requirements(check)
    entries.walk(requirements_node, "requirements", parent=None, depth=0)
    if not entries.entries:
        raise check.fail(requirements_node, "requirements", "must list at least one requirement")
    framework = FrameworkFile(
        key=key,
        name=name,
        title=title,
        version=version,
        publisher=publisher,
        kind=kind,
        requirements=tuple(entries.entries),
        source=source,
    )
    return framework, _line(values["key"])


class _Requirements:
    """The pre-order walk of the requirement tree, collecting entries and refusing repeats."""

    def __init__(self, check: _Checker) -> None:
        self.check = check
        self.entries: list[RequirementEntry] = []
        self.lines: dict[str, int] = {}

    def walk(self, node: Node, path: str, *, parent: str | None, depth: int) -> None:
        items = self.check.sequence(node, path)
        if items and depth >= MAX_DEPTH:
            raise self.check.fail(node, path, f"requirements nest deeper than {MAX_DEPTH} levels")
        for index, item in enumerate(items):
            self.entry(item, f"{path}[{index}]", parent=parent, depth=depth)

    def entry(self, node: Node, path: str, *, parent: str | None, depth: int) -> None:
        check = self.check
        values = check.fields(
            node, path, required=_REQUIREMENT_REQUIRED, optional=_REQUIREMENT_OPTIONAL
        )
        ref_node = values["ref_id"]
        ref_id = check.required_text(ref_node, f"{path}.ref_id", max_length=REF_ID_MAX)
        if ref_id in self.lines:
            raise check.fail(
                ref_node,
                f"{path}.ref_id",
                f"'{ref_id}' is used twice (lines {self.lines[ref_id]} and {_line(ref_node)})",
            )
        if len(self.entries) >= MAX_REQUIREMENTS:
            raise check.fail(
                node, path, f"a framework holds at most {MAX_REQUIREMENTS} requirements"
            )
        self.lines[ref_id] = _line(ref_node)
        guidance = ""
        if "guidance" in values:
            guidance = check.text(
                values["guidance"], f"{path}.guidance", max_length=GUIDANCE_MAX, one_line=False
            )
        auditable = True
        if "auditable" in values:
            auditable = check.boolean(values["auditable"], f"{path}.auditable")
        self.entries.append(
            RequirementEntry(
                ref_id=ref_id,
                title=check.required_text(values["title"], f"{path}.title", max_length=TITLE_MAX),
                guidance=guidance,
                auditable=auditable,
                parent=parent,
                depth=depth,
                order=len(self.entries),
                line=_line(node),
            )
        )
        if "children" in values:
            self.walk(values["children"], f"{path}.children", parent=ref_id, depth=depth + 1)


# --- Mapping files ------------------------------------------------------------------------------


def parse_mappings(
    text: str | bytes,
    frameworks: Mapping[str, FrameworkFile],
    *,
    source: str = "<upload>",
) -> MappingFile:
    """Pairs of requirements between two loaded frameworks; every ref_id must exist in its own."""
    check = _Checker(source)
    root = _compose(text, source)
    values = check.fields(root, "", required=("from", "to", "pairs"), optional=())
    ends: dict[str, FrameworkFile] = {}
    for end in ("from", "to"):
        key = check.slug(values[end], end)
        if key not in frameworks:
            known = ", ".join(sorted(frameworks)) or "none"
            raise check.fail(values[end], end, f"no framework '{key}' is loaded (loaded: {known})")
        ends[end] = frameworks[key]
    if ends["from"].key == ends["to"].key:
        raise check.fail(values["to"], "to", "must name a different framework from 'from'")
    pairs: list[MappingPair] = []
    seen: dict[tuple[str, str], int] = {}
    items = check.sequence(values["pairs"], "pairs")
    if len(items) > MAX_PAIRS:
        raise check.fail(values["pairs"], "pairs", f"a mapping holds at most {MAX_PAIRS} pairs")
    for index, item in enumerate(items):
        path = f"pairs[{index}]"
        pair = check.fields(item, path, required=("from", "to", "relation"), optional=())
        refs: dict[str, str] = {}
        for end, framework in ends.items():
            ref = check.required_text(pair[end], f"{path}.{end}", max_length=REF_ID_MAX)
            if ref not in framework.ref_ids():
                raise check.fail(
                    pair[end],
                    f"{path}.{end}",
                    f"'{ref}' is not a requirement of {framework.key} ({framework.source})",
                )
            refs[end] = ref
        relation = check.choice(pair["relation"], f"{path}.relation", RELATIONS)
        both = (refs["from"], refs["to"])
        if both in seen:
            raise check.fail(
                item,
                path,
                f"{both[0]} → {both[1]} is listed twice (lines {seen[both]} and {_line(item)})",
            )
        seen[both] = _line(item)
        pairs.append(MappingPair(refs["from"], refs["to"], relation, _line(item)))
    return MappingFile(
        from_key=ends["from"].key, to_key=ends["to"].key, pairs=tuple(pairs), source=source
    )


# --- The files shipped in the package -----------------------------------------------------------


def shipped_framework_paths() -> list[Path]:
    return sorted(FRAMEWORKS_DIR.glob("*.yaml"))


def shipped_mapping_paths() -> list[Path]:
    return sorted(MAPPINGS_DIR.glob("*.yaml"))


def load_shipped() -> tuple[dict[str, FrameworkFile], list[MappingFile]]:
    """Every shipped framework and mapping, validated; file names must match their keys."""
    frameworks: dict[str, FrameworkFile] = {}
    for path in shipped_framework_paths():
        framework, key_line = _parse_framework(path.read_bytes(), path.name)
        if framework.key != path.stem:
            raise FrameworkFileError(
                f"'{framework.key}' must match the file name ({path.stem})",
                source=path.name,
                line=key_line,
                field="key",
            )
        frameworks[framework.key] = framework
    mappings: list[MappingFile] = []
    for path in shipped_mapping_paths():
        source = f"mappings/{path.name}"
        mapping = parse_mappings(path.read_bytes(), frameworks, source=source)
        expected = f"{mapping.from_key}--{mapping.to_key}"
        if path.stem != expected:
            raise FrameworkFileError(
                f"the file must be named {expected}.yaml for what it maps",
                source=source,
                line=None,
                field="from",
            )
        mappings.append(mapping)
    return frameworks, mappings
