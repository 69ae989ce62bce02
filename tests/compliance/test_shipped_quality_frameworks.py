"""The shipped ISO 9001:2015, ISO 13485:2016, 21 CFR Part 11 and 21 CFR 820 (QMSR) files.

The expected ids are written out here from the standards and the CFR, not read back from the
files, so a dropped, renumbered or invented clause fails a test.
"""

from __future__ import annotations

import pytest

from qualitas.compliance.framework_files import (
    GUIDANCE_MAX,
    FrameworkFile,
    load_shipped,
    shipped_framework_paths,
    shipped_mapping_paths,
)

# ISO 9001:2015 clauses 4-10 in the standard's order, untitled numbered paragraphs included.
ISO_9001 = [
    "4", "4.1", "4.2", "4.3", "4.4", "4.4.1", "4.4.2",
    "5", "5.1", "5.1.1", "5.1.2", "5.2", "5.2.1", "5.2.2", "5.3",
    "6", "6.1", "6.1.1", "6.1.2", "6.2", "6.2.1", "6.2.2", "6.3",
    "7", "7.1", "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.1.5.1", "7.1.5.2", "7.1.6",
    "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.3.1", "7.5.3.2",
    "8", "8.1", "8.2", "8.2.1", "8.2.2", "8.2.3", "8.2.3.1", "8.2.3.2", "8.2.4",
    "8.3", "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5", "8.3.6",
    "8.4", "8.4.1", "8.4.2", "8.4.3",
    "8.5", "8.5.1", "8.5.2", "8.5.3", "8.5.4", "8.5.5", "8.5.6",
    "8.6", "8.7", "8.7.1", "8.7.2",
    "9", "9.1", "9.1.1", "9.1.2", "9.1.3", "9.2", "9.2.1", "9.2.2",
    "9.3", "9.3.1", "9.3.2", "9.3.3",
    "10", "10.1", "10.2", "10.2.1", "10.2.2", "10.3",
]  # fmt: skip

# ISO 13485:2016 clauses 4-8 in the standard's order.
ISO_13485 = [
    "4", "4.1", "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.1.6",
    "4.2", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5",
    "5", "5.1", "5.2", "5.3", "5.4", "5.4.1", "5.4.2",
    "5.5", "5.5.1", "5.5.2", "5.5.3", "5.6", "5.6.1", "5.6.2", "5.6.3",
    "6", "6.1", "6.2", "6.3", "6.4", "6.4.1", "6.4.2",
    "7", "7.1", "7.2", "7.2.1", "7.2.2", "7.2.3",
    "7.3", "7.3.1", "7.3.2", "7.3.3", "7.3.4", "7.3.5", "7.3.6", "7.3.7", "7.3.8", "7.3.9",
    "7.3.10",
    "7.4", "7.4.1", "7.4.2", "7.4.3",
    "7.5", "7.5.1", "7.5.2", "7.5.3", "7.5.4", "7.5.5", "7.5.6", "7.5.7", "7.5.8",
    "7.5.9", "7.5.9.1", "7.5.9.2", "7.5.10", "7.5.11",
    "7.6",
    "8", "8.1", "8.2", "8.2.1", "8.2.2", "8.2.3", "8.2.4", "8.2.5", "8.2.6",
    "8.3", "8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.4", "8.5", "8.5.1", "8.5.2", "8.5.3",
]  # fmt: skip

PART_11 = [
    "Subpart A", "11.1", "11.2", "11.3",
    "Subpart B", "11.10",
    "11.10(a)", "11.10(b)", "11.10(c)", "11.10(d)", "11.10(e)", "11.10(f)", "11.10(g)",
    "11.10(h)", "11.10(i)", "11.10(j)", "11.10(k)",
    "11.30", "11.50", "11.50(a)", "11.50(b)", "11.70",
    "Subpart C", "11.100", "11.100(a)", "11.100(b)", "11.100(c)",
    "11.200", "11.200(a)", "11.200(b)",
    "11.300", "11.300(a)", "11.300(b)", "11.300(c)", "11.300(d)", "11.300(e)",
]  # fmt: skip

# Part 820 after the QMSR: 820.10 sits in Subpart A, records and labeling in Subpart B.
PART_820 = [
    "Subpart A", "820.1", "820.3", "820.7", "820.10",
    "820.10(a)", "820.10(b)", "820.10(b)(1)", "820.10(b)(2)", "820.10(b)(3)", "820.10(b)(4)",
    "820.10(c)", "820.10(d)", "820.10(e)",
    "Subpart B", "820.35", "820.35(a)", "820.35(b)", "820.35(c)", "820.35(d)",
    "820.45", "820.45(a)", "820.45(b)", "820.45(c)",
]  # fmt: skip

QUALITY_KEYS = ("iso-9001-2015", "iso-13485-2016", "21-cfr-11", "21-cfr-820")


@pytest.fixture(scope="module")
def shipped() -> dict[str, FrameworkFile]:
    frameworks, _mappings = load_shipped()
    return frameworks


def _ids(framework: FrameworkFile) -> list[str]:
    return [entry.ref_id for entry in framework.requirements]


def test_every_shipped_file_loads_and_is_named_after_its_key() -> None:
    frameworks, mappings = load_shipped()

    assert [path.stem for path in shipped_framework_paths()] == sorted(frameworks)
    assert set(QUALITY_KEYS) <= set(frameworks)
    assert [path.stem for path in shipped_mapping_paths()] == [
        f"{mapping.from_key}--{mapping.to_key}" for mapping in mappings
    ]
    assert "iso-9001-2015--iso-13485-2016" in [path.stem for path in shipped_mapping_paths()]


def test_iso_9001_has_every_clause_from_4_1_to_10_3_in_order(
    shipped: dict[str, FrameworkFile],
) -> None:
    framework = shipped["iso-9001-2015"]

    assert _ids(framework) == ISO_9001
    assert [e.ref_id for e in framework.requirements if e.depth == 0] == [
        "4", "5", "6", "7", "8", "9", "10",
    ]  # fmt: skip
    assert (framework.name, framework.version, framework.publisher, framework.kind) == (
        "ISO 9001:2015",
        "2015",
        "ISO",
        "standard",
    )


def test_iso_13485_has_every_clause_of_4_to_8_in_order(shipped: dict[str, FrameworkFile]) -> None:
    framework = shipped["iso-13485-2016"]

    assert _ids(framework) == ISO_13485
    assert [e.ref_id for e in framework.requirements if e.depth == 0] == ["4", "5", "6", "7", "8"]


@pytest.mark.parametrize("key", ["iso-9001-2015", "iso-13485-2016"])
def test_iso_parents_follow_the_numbering_and_only_leaves_are_auditable(
    shipped: dict[str, FrameworkFile], key: str
) -> None:
    framework = shipped[key]
    parents = {entry.parent for entry in framework.requirements}

    for entry in framework.requirements:
        expected_parent = entry.ref_id.rpartition(".")[0] or None
        assert entry.parent == expected_parent, entry.ref_id
        assert entry.depth == entry.ref_id.count("."), entry.ref_id
        # Headings that hold sub-clauses are not audited themselves; every sub-clause is.
        assert entry.auditable == (entry.ref_id not in parents), entry.ref_id
        if entry.auditable:
            assert entry.guidance, f"{key} {entry.ref_id} has no guidance"


@pytest.mark.parametrize(
    ("key", "ref_id", "title"),
    [
        ("iso-9001-2015", "4.4", "Quality management system and its processes"),
        ("iso-9001-2015", "7.1.5.2", "Measurement traceability"),
        ("iso-9001-2015", "8.5.3", "Property belonging to customers or external providers"),
        ("iso-9001-2015", "8.7", "Control of nonconforming outputs"),
        ("iso-9001-2015", "10.2", "Nonconformity and corrective action"),
        ("iso-13485-2016", "4.2.3", "Medical device file"),
        ("iso-13485-2016", "7.3.9", "Control of design and development changes"),
        ("iso-13485-2016", "7.5.6", "Validation of processes for production and service provision"),
        ("iso-13485-2016", "7.5.9.2", "Particular requirements for implantable medical devices"),
        ("iso-13485-2016", "8.2.3", "Reporting to regulatory authorities"),
        ("21-cfr-11", "11.10", "Controls for closed systems"),
        ("21-cfr-11", "11.300", "Controls for identification codes/passwords"),
        ("21-cfr-820", "820.10", "Requirements for a quality management system"),
        ("21-cfr-820", "820.45", "Device labeling and packaging controls"),
    ],
)
def test_titles_are_the_official_ones(
    shipped: dict[str, FrameworkFile], key: str, ref_id: str, title: str
) -> None:
    titles = {entry.ref_id: entry.title for entry in shipped[key].requirements}

    assert titles[ref_id] == title


def test_part_11_has_each_closed_system_control_a_to_k(shipped: dict[str, FrameworkFile]) -> None:
    framework = shipped["21-cfr-11"]

    assert _ids(framework) == PART_11
    controls = [e.ref_id for e in framework.requirements if e.parent == "11.10"]
    assert controls == [f"11.10({letter})" for letter in "abcdefghijk"]
    assert (framework.kind, framework.publisher) == (
        "regulation",
        "U.S. Food and Drug Administration",
    )


def test_part_820_is_the_qmsr_and_points_to_iso_13485(shipped: dict[str, FrameworkFile]) -> None:
    framework = shipped["21-cfr-820"]
    entries = {entry.ref_id: entry for entry in framework.requirements}

    assert _ids(framework) == PART_820
    assert entries["820.10"].parent == "Subpart A"
    assert entries["820.35"].parent == "Subpart B"
    assert "ISO 13485:2016" in entries["820.10"].guidance
    assert framework.version == "2026-02-02"


@pytest.mark.parametrize("key", QUALITY_KEYS)
def test_guidance_fits_and_is_never_just_the_title(
    shipped: dict[str, FrameworkFile], key: str
) -> None:
    for entry in shipped[key].requirements:
        assert len(entry.guidance) <= GUIDANCE_MAX, entry.ref_id
        assert entry.guidance.casefold() != entry.title.casefold(), entry.ref_id


def test_every_shipped_guidance_is_within_the_limit() -> None:
    # Covers every shipped framework, the security ones included.
    frameworks, _mappings = load_shipped()

    for framework in frameworks.values():
        for entry in framework.requirements:
            assert len(entry.guidance) <= GUIDANCE_MAX, (framework.key, entry.ref_id)


def test_the_9001_to_13485_mapping_follows_annex_b(shipped: dict[str, FrameworkFile]) -> None:
    _frameworks, mappings = load_shipped()
    (mapping,) = [m for m in mappings if m.from_key == "iso-9001-2015"]
    pairs = {(p.from_ref, p.to_ref): p.relation for p in mapping.pairs}
    auditable = {
        key: {e.ref_id for e in shipped[key].requirements if e.auditable}
        for key in ("iso-9001-2015", "iso-13485-2016")
    }

    assert mapping.to_key == "iso-13485-2016"
    # Some well-known correspondences, and their strength.
    assert pairs[("9.2.1", "8.2.4")] == "equivalent"  # internal audit
    assert pairs[("9.3.1", "5.6.1")] == "equivalent"  # management review
    assert pairs[("8.5.3", "7.5.10")] == "equivalent"  # customer property
    assert pairs[("7.1.5.2", "7.6")] == "related"  # measuring equipment
    assert pairs[("10.2.1", "8.5.2")] == "related"  # corrective action
    assert pairs[("8.3.6", "7.3.9")] == "related"  # design changes
    # The medical device file and organisational knowledge have no counterpart.
    assert not [p for p in pairs if p[1] == "4.2.3" or p[0] == "7.1.6"]
    # Pairs join requirements an auditor checks, not the headings above them.
    assert {p[0] for p in pairs} <= auditable["iso-9001-2015"]
    assert {p[1] for p in pairs} <= auditable["iso-13485-2016"]
