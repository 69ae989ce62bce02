"""Framework and mapping files: a good file becomes a requirement tree in document order, and
every bad one is refused with the file, the line and the field that need correcting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from qualitas.compliance import framework_files
from qualitas.compliance.framework_files import (
    MAX_BYTES,
    MAX_DEPTH,
    FrameworkFile,
    FrameworkFileError,
    parse_framework,
    parse_mappings,
)

# A customer's requirements for a supplier, three levels deep. Line numbers matter below.
GOOD = textwrap.dedent(
    """\
    # Acme supplier quality manual
    key: acme-sqm-2024
    name: Acme SQM
    title: Acme supplier quality manual
    version: "2024"
    publisher: Acme Ltd
    kind: customer
    requirements:
      - ref_id: "1"
        title: Quality system
        auditable: false
        children:
          - ref_id: "1.1"
            title: Certification
            guidance: >-
              Suppliers hold ISO 9001
              certification.
          - ref_id: 1.10
            title: Ten
            children:
              - ref_id: 1.10.1
                title: Deep
                auditable: no
      - ref_id: "2"
        title: Delivery
    """
)


def _error(text: str | bytes, *, source: str = "acme.yaml") -> FrameworkFileError:
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(text, source=source)
    return caught.value


def _bad(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


# --- a good file ----------------------------------------------------------------------------


def test_a_good_file_becomes_entries_in_document_order_with_parents_and_depths() -> None:
    framework = parse_framework(GOOD, source="acme.yaml")

    assert (framework.key, framework.name, framework.version) == (
        "acme-sqm-2024",
        "Acme SQM",
        "2024",
    )
    assert (framework.title, framework.publisher, framework.kind) == (
        "Acme supplier quality manual",
        "Acme Ltd",
        "customer",
    )
    assert framework.source == "acme.yaml"
    rows = [
        (e.ref_id, e.parent, e.depth, e.order, e.line, e.auditable) for e in framework.requirements
    ]
    assert rows == [
        ("1", None, 0, 0, 9, False),
        ("1.1", "1", 1, 1, 13, True),
        # A plain 1.10 is the text "1.10", never the number 1.1.
        ("1.10", "1", 1, 2, 18, True),
        ("1.10.1", "1.10", 2, 3, 21, False),
        ("2", None, 0, 4, 24, True),
    ]
    assert framework.requirements[1].guidance == "Suppliers hold ISO 9001 certification."
    assert framework.requirements[0].guidance == ""
    assert framework.ref_ids() == frozenset({"1", "1.1", "1.10", "1.10.1", "2"})


def test_bytes_with_a_byte_order_mark_read_as_text() -> None:
    framework = parse_framework(b"\xef\xbb\xbf" + GOOD.encode(), source="acme.yaml")

    assert framework.key == "acme-sqm-2024"


def test_title_and_publisher_are_optional() -> None:
    text = GOOD.replace("title: Acme supplier quality manual\n", "").replace(
        "publisher: Acme Ltd\n", ""
    )

    framework = parse_framework(text)

    assert (framework.title, framework.publisher, framework.source) == ("Acme SQM", "", "<upload>")


# --- refusals, each naming the line and the field ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            _bad("title: Deep", "title: ''"),
            "acme.yaml line 22, requirements[0].children[1].children[0].title: must not be empty",
            id="empty title",
        ),
        pytest.param(
            _bad("title: Deep", "title:"),
            "acme.yaml line 22, requirements[0].children[1].children[0].title: must not be empty",
            id="null title",
        ),
        pytest.param(
            _bad("    title: Delivery", "    title: Delivery\n    colour: red"),
            "acme.yaml line 26, requirements[1].colour: is not a known field (known: ref_id, "
            "title, auditable, guidance, children)",
            id="unknown requirement key",
        ),
        pytest.param(
            _bad("kind: customer", "kind: customer\nowner: me"),
            "acme.yaml line 8, owner: is not a known field (known: key, name, version, kind, "
            "requirements, title, publisher)",
            id="unknown top-level key",
        ),
        pytest.param(
            _bad('version: "2024"\n', ""),
            "acme.yaml line 2, version: is required",
            id="missing version",
        ),
        pytest.param(
            _bad('  - ref_id: "2"\n    title: Delivery', '  - ref_id: "2"'),
            "acme.yaml line 24, requirements[1].title: is required",
            id="missing title",
        ),
        pytest.param(
            _bad('  - ref_id: "2"', '  - ref_id: "1.1"'),
            "acme.yaml line 24, requirements[1].ref_id: '1.1' is used twice (lines 13 and 24)",
            id="duplicate ref_id",
        ),
        pytest.param(
            _bad("key: acme-sqm-2024", "key: Acme_SQM"),
            "acme.yaml line 2, key: 'Acme_SQM' must be lower-case letters, digits, dots and "
            "hyphens, starting with a letter or digit",
            id="bad key slug",
        ),
        pytest.param(
            _bad("key: acme-sqm-2024", "key: " + "a" * 61),
            "acme.yaml line 2, key: is 61 characters long; the most is 60",
            id="over-long key",
        ),
        pytest.param(
            _bad("kind: customer", "kind: law"),
            "acme.yaml line 7, kind: 'law' is not one of standard, regulation, framework, "
            "customer, internal",
            id="unknown kind",
        ),
        pytest.param(
            _bad("auditable: no", "auditable: sometimes"),
            "acme.yaml line 23, requirements[0].children[1].children[0].auditable: must be true "
            "or false",
            id="auditable not a boolean",
        ),
        pytest.param(
            _bad("    title: Delivery", "    title: Delivery\n    children: none"),
            "acme.yaml line 26, requirements[1].children: must be a list",
            id="children not a list",
        ),
        pytest.param(
            _bad("title: Certification", "title: [Certification]"),
            "acme.yaml line 14, requirements[0].children[0].title: must be text, not a list or "
            "mapping",
            id="title a list",
        ),
        pytest.param(
            _bad("title: Certification", "title: " + "x" * 301),
            "acme.yaml line 14, requirements[0].children[0].title: is 301 characters long; the "
            "most is 300",
            id="over-long title",
        ),
        pytest.param(
            _bad("Suppliers hold ISO 9001", "x" * 1001),
            "acme.yaml line 15, requirements[0].children[0].guidance: is 1016 characters long; "
            "the most is 1000",
            id="over-long guidance",
        ),
        pytest.param(
            _bad('  - ref_id: "2"\n    title: Delivery', "  - Delivery"),
            "acme.yaml line 24, requirements[1]: must be a mapping with ref_id, title",
            id="requirement not a mapping",
        ),
        pytest.param(
            _bad("name: Acme SQM", "name: Acme SQM\nname: Acme"),
            "acme.yaml line 4, name: is given twice (lines 3 and 4)",
            id="duplicate key",
        ),
        pytest.param(
            _bad("requirements:\n", "requirements: []\n").split("  - ref_id")[0],
            "acme.yaml line 8, requirements: must list at least one requirement",
            id="no requirements",
        ),
        pytest.param(
            _bad("title: Delivery", "title: !!python/object:os.system Delivery"),
            "acme.yaml line 25, requirements[1].title: the YAML tag "
            "tag:yaml.org,2002:python/object:os.system is not allowed",
            id="python tag",
        ),
        pytest.param(
            _bad("title: Delivery", "title: &name Delivery"),
            "acme.yaml line 25: anchors and aliases (&name, *name) are not allowed; write the "
            "value out",
            id="anchor",
        ),
        pytest.param(
            _bad("title: Ten", "title: *name"),
            "acme.yaml line 19: anchors and aliases (&name, *name) are not allowed; write the "
            "value out",
            id="alias",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_its_line_and_field(text: str, expected: str) -> None:
    assert str(_error(text)) == expected


def test_the_error_carries_source_line_field_and_problem_apart() -> None:
    error = _error(_bad("title: Deep", "title: ''"))

    assert error.source == "acme.yaml"
    assert error.line == 22
    assert error.field == "requirements[0].children[1].children[0].title"
    assert error.problem == "must not be empty"
    assert isinstance(error, ValueError)


def test_yaml_syntax_errors_name_the_line_from_the_parser() -> None:
    error = _error(_bad("    title: Delivery", "    title: [Delivery"))

    assert error.line == 26  # where the parser found the unclosed list: the end of the file
    assert error.field is None
    assert str(error).startswith("acme.yaml line 26: is not valid YAML: ")


def test_bad_indentation_is_a_syntax_error_on_its_line() -> None:
    error = _error(_bad("        title: Certification", "       title: Certification"))

    assert error.line == 14
    assert "is not valid YAML" in str(error)


NOT_YAML = "is not valid YAML: "
NOT_A_FRAMEWORK = "must be a mapping with key, name, version, kind, requirements"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "acme.yaml: is empty"),
        ("# only a comment\n", "acme.yaml: is empty"),
        ("- just\n- a list\n", f"acme.yaml line 1: {NOT_A_FRAMEWORK}"),
        ("plain text\n", f"acme.yaml line 1: {NOT_A_FRAMEWORK}"),
        (
            "key: a\n---\nkey: b\n",
            f"acme.yaml line 2: {NOT_YAML}expected a single document in the stream, "
            "but found another document",
        ),
        ("key: a\x07\n", f"acme.yaml line 1: {NOT_YAML}the character U+0007 is not allowed"),
    ],
)  # fmt: skip
def test_files_that_are_not_one_yaml_mapping_are_refused(text: str, expected: str) -> None:
    assert str(_error(text)) == expected


def test_bytes_that_are_not_utf8_name_the_line() -> None:
    error = _error(b"key: a\nname: caf\xe9\n")

    assert str(error) == "acme.yaml line 2: is not UTF-8 text (byte 0xe9)"


# --- limits on what an upload can ask for ----------------------------------------------------


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_file_over_the_size_limit_is_refused_before_parsing(as_bytes: bool) -> None:
    text = GOOD + "#" * MAX_BYTES
    error = _error(text.encode() if as_bytes else text)

    assert str(error) == "acme.yaml: is larger than 2 MB"
    assert error.line is None


def test_multibyte_text_is_measured_in_bytes() -> None:
    # Fewer characters than the limit, more bytes.
    text = GOOD + "#" + "é" * (MAX_BYTES // 2 + 1) + "\n"

    assert str(_error(text)) == "acme.yaml: is larger than 2 MB"


def _nested(levels: int) -> str:
    lines = ["key: deep", "name: Deep", "version: '1'", "kind: internal", "requirements:"]
    for level in range(levels):
        pad = "  " * (2 * level)
        lines += [f"{pad}  - ref_id: r{level}", f"{pad}    title: Level {level}"]
        if level < levels - 1:
            lines.append(f"{pad}    children:")
    return "\n".join(lines) + "\n"


def test_requirements_may_nest_to_the_depth_limit() -> None:
    framework = parse_framework(_nested(MAX_DEPTH))

    assert [e.depth for e in framework.requirements] == list(range(MAX_DEPTH))
    assert framework.requirements[-1].parent == f"r{MAX_DEPTH - 2}"


def test_requirements_nested_past_the_limit_are_refused() -> None:
    error = _error(_nested(MAX_DEPTH + 1))

    path = "requirements[0]" + ".children[0]" * (MAX_DEPTH - 1) + ".children"
    assert error.field == path
    assert error.problem == "requirements nest deeper than 8 levels"
    assert error.line == 6 + 3 * MAX_DEPTH  # the first requirement of the ninth level


def test_deeply_nested_yaml_is_refused_before_python_recurses() -> None:
    # Well within the size limit, far beyond any framework's shape.
    text = "key: [" + "[" * 5000 + "]" * 5000 + "]\n"

    error = _error(text)

    assert error.problem == "the file nests more than 20 levels deep"
    assert error.line == 1


def test_the_number_of_requirements_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(framework_files, "MAX_REQUIREMENTS", 4)

    error = _error(GOOD)

    assert str(error) == (
        "acme.yaml line 24, requirements[1]: a framework holds at most 4 requirements"
    )


# --- mapping files ----------------------------------------------------------------------------

OTHER = textwrap.dedent(
    """\
    key: acme-internal
    name: Acme internal policy
    version: "3"
    kind: internal
    requirements:
      - {ref_id: P1, title: Supplier approval}
      - {ref_id: P2, title: Delivery performance}
    """
)

MAPPING = textwrap.dedent(
    """\
    from: acme-sqm-2024
    to: acme-internal
    pairs:
      - {from: "1.1", to: P1, relation: equivalent}
      - {from: "2", to: P2, relation: related}
      - from: 1.10
        to: P1
        relation: related
    """
)


@pytest.fixture
def loaded() -> dict[str, FrameworkFile]:
    frameworks = [
        parse_framework(GOOD, source="acme.yaml"),
        parse_framework(OTHER, source="p.yaml"),
    ]
    return {framework.key: framework for framework in frameworks}


def test_a_mapping_pairs_requirements_of_two_loaded_frameworks(
    loaded: dict[str, FrameworkFile],
) -> None:
    mapping = parse_mappings(MAPPING, loaded, source="map.yaml")

    assert (mapping.from_key, mapping.to_key, mapping.source) == (
        "acme-sqm-2024",
        "acme-internal",
        "map.yaml",
    )
    assert [(p.from_ref, p.to_ref, p.relation, p.line) for p in mapping.pairs] == [
        ("1.1", "P1", "equivalent", 4),
        ("2", "P2", "related", 5),
        ("1.10", "P1", "related", 6),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'to: P2,', "to: P9,",
            "map.yaml line 5, pairs[1].to: 'P9' is not a requirement of acme-internal (p.yaml)",
            id="unknown to ref",
        ),
        pytest.param(
            '{from: "1.1"', '{from: "1.2"',
            "map.yaml line 4, pairs[0].from: '1.2' is not a requirement of acme-sqm-2024 "
            "(acme.yaml)",
            id="unknown from ref",
        ),
        pytest.param(
            "to: acme-internal", "to: iso-9001-2015",
            "map.yaml line 2, to: no framework 'iso-9001-2015' is loaded "
            "(loaded: acme-internal, acme-sqm-2024)",
            id="unknown to framework",
        ),
        pytest.param(
            "from: acme-sqm-2024", "from: nist-csf-2.0",
            "map.yaml line 1, from: no framework 'nist-csf-2.0' is loaded "
            "(loaded: acme-internal, acme-sqm-2024)",
            id="unknown from framework",
        ),
        pytest.param(
            "relation: related}", "relation: similar}",
            "map.yaml line 5, pairs[1].relation: 'similar' is not one of equivalent, related",
            id="unknown relation",
        ),
        pytest.param(
            "to: acme-internal", "to: acme-sqm-2024",
            "map.yaml line 2, to: must name a different framework from 'from'",
            id="framework mapped to itself",
        ),
        pytest.param(
            '  - {from: "2", to: P2', '  - {from: "1.1", to: P1',
            "map.yaml line 5, pairs[1]: 1.1 → P1 is listed twice (lines 4 and 5)",
            id="duplicate pair",
        ),
        pytest.param(
            "    relation: related\n", "",
            "map.yaml line 6, pairs[2].relation: is required",
            id="missing relation",
        ),
        pytest.param(
            "relation: equivalent}", "relation: equivalent, note: x}",
            "map.yaml line 4, pairs[0].note: is not a known field (known: from, to, relation)",
            id="unknown pair key",
        ),
        pytest.param(
            "pairs:\n", "pairs: {}\nrest:\n",
            "map.yaml line 4, rest: is not a known field (known: from, to, pairs)",
            id="unknown top-level key",
        ),
    ],
)  # fmt: skip
def test_a_bad_mapping_is_refused_naming_its_line_and_field(
    loaded: dict[str, FrameworkFile], old: str, new: str, expected: str
) -> None:
    assert old in MAPPING, old
    with pytest.raises(FrameworkFileError) as caught:
        parse_mappings(MAPPING.replace(old, new, 1), loaded, source="map.yaml")

    assert str(caught.value).startswith(expected), str(caught.value)


def test_a_mapping_file_is_yaml_checked_like_a_framework(loaded: dict[str, FrameworkFile]) -> None:
    with pytest.raises(FrameworkFileError) as caught:
        parse_mappings("from: [", loaded, source="map.yaml")

    assert str(caught.value).startswith("map.yaml line 1: is not valid YAML: ")


def test_pairs_must_be_a_list(loaded: dict[str, FrameworkFile]) -> None:
    text = "from: acme-sqm-2024\nto: acme-internal\npairs: {from: '1.1'}\n"

    with pytest.raises(FrameworkFileError) as caught:
        parse_mappings(text, loaded, source="map.yaml")

    assert str(caught.value) == "map.yaml line 3, pairs: must be a list"


# --- the package's own files --------------------------------------------------------------------


@pytest.fixture
def package_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "mappings").mkdir()
    monkeypatch.setattr(framework_files, "FRAMEWORKS_DIR", tmp_path)
    monkeypatch.setattr(framework_files, "MAPPINGS_DIR", tmp_path / "mappings")
    return tmp_path


def test_load_shipped_reads_frameworks_then_their_mappings(package_dir: Path) -> None:
    (package_dir / "acme-sqm-2024.yaml").write_text(GOOD)
    (package_dir / "acme-internal.yaml").write_text(OTHER)
    (package_dir / "mappings" / "acme-sqm-2024--acme-internal.yaml").write_text(MAPPING)

    frameworks, mappings = framework_files.load_shipped()

    assert sorted(frameworks) == ["acme-internal", "acme-sqm-2024"]
    assert frameworks["acme-internal"].source == "acme-internal.yaml"
    assert [(m.source, len(m.pairs)) for m in mappings] == [
        ("mappings/acme-sqm-2024--acme-internal.yaml", 3)
    ]


def test_a_shipped_framework_must_be_named_after_its_key(package_dir: Path) -> None:
    (package_dir / "acme.yaml").write_text(GOOD)

    with pytest.raises(FrameworkFileError) as caught:
        framework_files.load_shipped()

    assert str(caught.value) == (
        "acme.yaml line 2, key: 'acme-sqm-2024' must match the file name (acme)"
    )


def test_a_shipped_mapping_must_be_named_after_its_frameworks(package_dir: Path) -> None:
    (package_dir / "acme-sqm-2024.yaml").write_text(GOOD)
    (package_dir / "acme-internal.yaml").write_text(OTHER)
    (package_dir / "mappings" / "acme.yaml").write_text(MAPPING)

    with pytest.raises(FrameworkFileError) as caught:
        framework_files.load_shipped()

    assert str(caught.value) == (
        "mappings/acme.yaml, from: the file must be named "
        "acme-sqm-2024--acme-internal.yaml for what it maps"
    )


def test_a_shipped_mapping_to_a_framework_not_shipped_is_refused(package_dir: Path) -> None:
    (package_dir / "acme-sqm-2024.yaml").write_text(GOOD)
    (package_dir / "mappings" / "acme-sqm-2024--acme-internal.yaml").write_text(MAPPING)

    with pytest.raises(FrameworkFileError) as caught:
        framework_files.load_shipped()

    assert str(caught.value) == (
        "mappings/acme-sqm-2024--acme-internal.yaml line 2, to: no framework 'acme-internal' "
        "is loaded (loaded: acme-sqm-2024)"
    )
