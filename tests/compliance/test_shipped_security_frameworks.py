"""The shipped ISO/IEC 27001:2022 and NIST CSF 2.0 framework files and their mapping.

The expected ids are written out here from the standards themselves, not read back from the
files, so a dropped, renumbered or invented requirement fails a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from qualitas.compliance.framework_files import (
    FRAMEWORKS_DIR,
    MAPPINGS_DIR,
    FrameworkFile,
    MappingFile,
    RequirementEntry,
    load_shipped,
    parse_framework,
    parse_mappings,
)

ISO_PATH = FRAMEWORKS_DIR / "iso-27001-2022.yaml"
CSF_PATH = FRAMEWORKS_DIR / "nist-csf-2.0.yaml"
MAPPING_PATH = MAPPINGS_DIR / "iso-27001-2022--nist-csf-2.0.yaml"

# ISO/IEC 27001:2022 clauses 4-10 in the standard's order (10.1 is continual improvement in the
# 2022 edition, 10.2 nonconformity and corrective action).
ISO_CLAUSES = [
    "4", "4.1", "4.2", "4.3", "4.4",
    "5", "5.1", "5.2", "5.3",
    "6", "6.1", "6.1.1", "6.1.2", "6.1.3", "6.2", "6.3",
    "7", "7.1", "7.2", "7.3", "7.4", "7.5", "7.5.1", "7.5.2", "7.5.3",
    "8", "8.1", "8.2", "8.3",
    "9", "9.1", "9.2", "9.2.1", "9.2.2", "9.3", "9.3.1", "9.3.2", "9.3.3",
    "10", "10.1", "10.2",
]  # fmt: skip
ISO_HEADINGS = {"4", "5", "6", "6.1", "7", "7.5", "8", "9", "9.2", "9.3", "10"}

# Annex A: four themes, 37 + 8 + 14 + 34 = 93 controls.
ANNEX_A = {
    "A.5": ("Organizational controls", [f"A.5.{n}" for n in range(1, 38)]),
    "A.6": ("People controls", [f"A.6.{n}" for n in range(1, 9)]),
    "A.7": ("Physical controls", [f"A.7.{n}" for n in range(1, 15)]),
    "A.8": ("Technological controls", [f"A.8.{n}" for n in range(1, 35)]),
}

ISO_TITLES = {
    "4.3": "Determining the scope of the information security management system",
    "6.1.2": "Information security risk assessment",
    "6.3": "Planning of changes",
    "7.5.3": "Control of documented information",
    "9.2.2": "Internal audit programme",
    "10.1": "Continual improvement",
    "10.2": "Nonconformity and corrective action",
    "A.5.1": "Policies for information security",
    "A.5.7": "Threat intelligence",
    "A.5.15": "Access control",
    "A.5.23": "Information security for use of cloud services",
    "A.5.37": "Documented operating procedures",
    "A.6.3": "Information security awareness, education and training",
    "A.7.4": "Physical security monitoring",
    "A.7.14": "Secure disposal or re-use of equipment",
    "A.8.9": "Configuration management",
    "A.8.28": "Secure coding",
    "A.8.32": "Change management",
    "A.8.34": "Protection of information systems during audit testing",
}

CSF_FUNCTIONS = [
    ("GV", "Govern"),
    ("ID", "Identify"),
    ("PR", "Protect"),
    ("DE", "Detect"),
    ("RS", "Respond"),
    ("RC", "Recover"),
]

CSF_CATEGORIES = {
    "GV.OC": "Organizational Context",
    "GV.RM": "Risk Management Strategy",
    "GV.RR": "Roles, Responsibilities, and Authorities",
    "GV.PO": "Policy",
    "GV.OV": "Oversight",
    "GV.SC": "Cybersecurity Supply Chain Risk Management",
    "ID.AM": "Asset Management",
    "ID.RA": "Risk Assessment",
    "ID.IM": "Improvement",
    "PR.AA": "Identity Management, Authentication, and Access Control",
    "PR.AT": "Awareness and Training",
    "PR.DS": "Data Security",
    "PR.PS": "Platform Security",
    "PR.IR": "Technology Infrastructure Resilience",
    "DE.CM": "Continuous Monitoring",
    "DE.AE": "Adverse Event Analysis",
    "RS.MA": "Incident Management",
    "RS.AN": "Incident Analysis",
    "RS.CO": "Incident Response Reporting and Communication",
    "RS.MI": "Incident Mitigation",
    "RC.RP": "Incident Recovery Plan Execution",
    "RC.CO": "Incident Recovery Communication",
}

# All 106 CSF 2.0 subcategories as NIST numbers them (CSWP 29). The gaps are subcategories of
# CSF 1.1 that 2.0 withdrew or moved; their numbers are not reused.
CSF_SUBCATEGORIES = [
    "GV.OC-01", "GV.OC-02", "GV.OC-03", "GV.OC-04", "GV.OC-05",
    "GV.RM-01", "GV.RM-02", "GV.RM-03", "GV.RM-04", "GV.RM-05", "GV.RM-06", "GV.RM-07",
    "GV.RR-01", "GV.RR-02", "GV.RR-03", "GV.RR-04",
    "GV.PO-01", "GV.PO-02",
    "GV.OV-01", "GV.OV-02", "GV.OV-03",
    "GV.SC-01", "GV.SC-02", "GV.SC-03", "GV.SC-04", "GV.SC-05",
    "GV.SC-06", "GV.SC-07", "GV.SC-08", "GV.SC-09", "GV.SC-10",
    "ID.AM-01", "ID.AM-02", "ID.AM-03", "ID.AM-04", "ID.AM-05", "ID.AM-07", "ID.AM-08",
    "ID.RA-01", "ID.RA-02", "ID.RA-03", "ID.RA-04", "ID.RA-05",
    "ID.RA-06", "ID.RA-07", "ID.RA-08", "ID.RA-09", "ID.RA-10",
    "ID.IM-01", "ID.IM-02", "ID.IM-03", "ID.IM-04",
    "PR.AA-01", "PR.AA-02", "PR.AA-03", "PR.AA-04", "PR.AA-05", "PR.AA-06",
    "PR.AT-01", "PR.AT-02",
    "PR.DS-01", "PR.DS-02", "PR.DS-10", "PR.DS-11",
    "PR.PS-01", "PR.PS-02", "PR.PS-03", "PR.PS-04", "PR.PS-05", "PR.PS-06",
    "PR.IR-01", "PR.IR-02", "PR.IR-03", "PR.IR-04",
    "DE.CM-01", "DE.CM-02", "DE.CM-03", "DE.CM-06", "DE.CM-09",
    "DE.AE-02", "DE.AE-03", "DE.AE-04", "DE.AE-06", "DE.AE-07", "DE.AE-08",
    "RS.MA-01", "RS.MA-02", "RS.MA-03", "RS.MA-04", "RS.MA-05",
    "RS.AN-03", "RS.AN-06", "RS.AN-07", "RS.AN-08",
    "RS.CO-02", "RS.CO-03",
    "RS.MI-01", "RS.MI-02",
    "RC.RP-01", "RC.RP-02", "RC.RP-03", "RC.RP-04", "RC.RP-05", "RC.RP-06",
    "RC.CO-03", "RC.CO-04",
]  # fmt: skip

# CSF 1.1 ids that 2.0 withdrew: they must not reappear.
CSF_WITHDRAWN = [
    "ID.AM-06", "ID.BE-01", "ID.GV-01", "ID.RM-01", "ID.SC-01", "PR.AC-01", "PR.AT-03",
    "PR.DS-03", "PR.DS-08", "PR.IP-01", "PR.MA-01", "PR.PT-01", "DE.AE-01", "DE.AE-05",
    "DE.CM-04", "DE.CM-07", "DE.CM-08", "DE.DP-01", "RS.RP-01", "RS.AN-01", "RS.CO-01",
    "RS.MI-03", "RS.IM-01", "RC.CO-01", "RC.IM-01",
]  # fmt: skip


@pytest.fixture(scope="module")
def iso() -> FrameworkFile:
    return parse_framework(ISO_PATH.read_bytes(), source=ISO_PATH.name)


@pytest.fixture(scope="module")
def csf() -> FrameworkFile:
    return parse_framework(CSF_PATH.read_bytes(), source=CSF_PATH.name)


@pytest.fixture(scope="module")
def mapping(iso: FrameworkFile, csf: FrameworkFile) -> MappingFile:
    frameworks = {iso.key: iso, csf.key: csf}
    return parse_mappings(MAPPING_PATH.read_bytes(), frameworks, source=MAPPING_PATH.name)


def by_ref(framework: FrameworkFile) -> dict[str, RequirementEntry]:
    return {entry.ref_id: entry for entry in framework.requirements}


def children(framework: FrameworkFile, parent: str | None) -> list[str]:
    return [entry.ref_id for entry in framework.requirements if entry.parent == parent]


# --- ISO/IEC 27001:2022 ----------------------------------------------------------------------


def test_iso_header(iso: FrameworkFile) -> None:
    assert (iso.key, iso.name, iso.version, iso.kind) == (
        "iso-27001-2022",
        "ISO/IEC 27001:2022",
        "2022",
        "standard",
    )
    assert iso.publisher == "ISO/IEC"


def test_iso_clauses_4_to_10_in_order(iso: FrameworkFile) -> None:
    clauses = [entry.ref_id for entry in iso.requirements if not entry.ref_id.startswith("A")]
    assert clauses == ISO_CLAUSES
    assert children(iso, None) == ["4", "5", "6", "7", "8", "9", "10", "A"]


def test_iso_clause_parents_follow_the_numbering(iso: FrameworkFile) -> None:
    entries = by_ref(iso)
    for ref_id in ISO_CLAUSES:
        expected = ref_id.rpartition(".")[0] or None
        assert entries[ref_id].parent == expected, ref_id


def test_iso_headings_are_not_auditable_and_the_rest_are(iso: FrameworkFile) -> None:
    entries = by_ref(iso)
    for ref_id in ISO_CLAUSES:
        assert entries[ref_id].auditable is (ref_id not in ISO_HEADINGS), ref_id
    assert not entries["A"].auditable
    for theme, (_title, controls) in ANNEX_A.items():
        assert not entries[theme].auditable
        assert all(entries[control].auditable for control in controls)


def test_iso_annex_a_has_exactly_93_controls_in_four_themes(iso: FrameworkFile) -> None:
    entries = by_ref(iso)
    assert entries["A"].title == "Information security controls"
    assert entries["A"].parent is None
    assert children(iso, "A") == list(ANNEX_A)
    for theme, (title, controls) in ANNEX_A.items():
        assert entries[theme].title == title
        assert children(iso, theme) == controls, theme
        assert all(not children(iso, control) for control in controls)
    annex_a = [
        e.ref_id for e in iso.requirements if e.ref_id.count(".") == 2 and e.ref_id[0] == "A"
    ]
    assert len(annex_a) == 93
    assert [len(controls) for _title, controls in ANNEX_A.values()] == [37, 8, 14, 34]


@pytest.mark.parametrize(("ref_id", "title"), sorted(ISO_TITLES.items()))
def test_iso_official_short_titles(iso: FrameworkFile, ref_id: str, title: str) -> None:
    assert by_ref(iso)[ref_id].title == title


def test_iso_auditable_requirements_carry_guidance(iso: FrameworkFile) -> None:
    missing = [e.ref_id for e in iso.requirements if e.auditable and not e.guidance]
    assert missing == []
    titles = [e.title for e in iso.requirements if e.ref_id.startswith("A.")]
    assert len(set(titles)) == len(titles), "two Annex A entries share a title"


# --- NIST CSF 2.0 ------------------------------------------------------------------------------


def test_csf_header(csf: FrameworkFile) -> None:
    assert (csf.key, csf.version, csf.publisher, csf.kind) == (
        "nist-csf-2.0",
        "2.0",
        "NIST",
        "framework",
    )


def test_csf_six_functions(csf: FrameworkFile) -> None:
    entries = by_ref(csf)
    assert children(csf, None) == [ref for ref, _name in CSF_FUNCTIONS]
    for ref_id, name in CSF_FUNCTIONS:
        assert entries[ref_id].title == name
        assert not entries[ref_id].auditable


def test_csf_22_categories_under_their_functions(csf: FrameworkFile) -> None:
    entries = by_ref(csf)
    categories = [e.ref_id for e in csf.requirements if e.depth == 1]
    assert categories == list(CSF_CATEGORIES)
    assert len(categories) == 22
    for ref_id, name in CSF_CATEGORIES.items():
        assert entries[ref_id].title == name
        assert entries[ref_id].parent == ref_id.split(".")[0]
        assert not entries[ref_id].auditable


def test_csf_all_106_subcategories_with_official_ids(csf: FrameworkFile) -> None:
    assert len(CSF_SUBCATEGORIES) == 106
    subcategories = [e for e in csf.requirements if e.depth == 2]
    assert [e.ref_id for e in subcategories] == CSF_SUBCATEGORIES
    for entry in subcategories:
        assert entry.parent == entry.ref_id.split("-")[0], entry.ref_id
        assert entry.auditable
    assert max(e.depth for e in csf.requirements) == 2


def test_csf_withdrawn_ids_are_absent(csf: FrameworkFile) -> None:
    assert csf.ref_ids().isdisjoint(CSF_WITHDRAWN)


def test_csf_titles_are_nist_outcomes(csf: FrameworkFile) -> None:
    entries = by_ref(csf)
    assert entries["GV.OC-01"].title == (
        "The organizational mission is understood and informs cybersecurity risk management"
    )
    assert entries["PR.AA-05"].title == (
        "Access permissions, entitlements, and authorizations are defined in a policy, managed,"
        " enforced, and reviewed, and incorporate the principles of least privilege and"
        " separation of duties"
    )
    assert entries["PR.DS-11"].title == (
        "Backups of data are created, protected, maintained, and tested"
    )
    assert entries["RC.CO-04"].title == (
        "Public updates on incident recovery are shared using approved methods and messaging"
    )


# --- Raw YAML, as any other reader would see it ------------------------------------------------


def _raw_ref_ids(nodes: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for node in nodes:
        out.append(node["ref_id"])
        out.extend(_raw_ref_ids(node.get("children", [])))
    return out


@pytest.mark.parametrize("path", [ISO_PATH, CSF_PATH], ids=lambda p: Path(p).name)
def test_ref_ids_are_strings_for_a_plain_yaml_reader(path: Path) -> None:
    # An unquoted 10.1 would read as the number 10.1 and 4.10 as 4.1.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    ref_ids = _raw_ref_ids(data["requirements"])
    assert all(isinstance(ref_id, str) for ref_id in ref_ids)
    assert len(ref_ids) == len(set(ref_ids))
    assert isinstance(data["version"], str)


# --- The ISO 27001 <-> CSF mapping -----------------------------------------------------------


def test_mapping_refs_exist_on_both_sides(
    mapping: MappingFile, iso: FrameworkFile, csf: FrameworkFile
) -> None:
    assert (mapping.from_key, mapping.to_key) == ("iso-27001-2022", "nist-csf-2.0")
    iso_refs, csf_refs = iso.ref_ids(), csf.ref_ids()
    for pair in mapping.pairs:
        assert pair.from_ref in iso_refs, pair
        assert pair.to_ref in csf_refs, pair


def test_mapping_has_no_duplicate_pairs() -> None:
    # Read independently of the loader, which also refuses repeats.
    data = yaml.safe_load(MAPPING_PATH.read_text(encoding="utf-8"))
    pairs = [(p["from"], p["to"]) for p in data["pairs"]]
    assert len(pairs) == len(set(pairs))
    assert {p["relation"] for p in data["pairs"]} <= {"equivalent", "related"}


def test_mapping_links_auditable_requirements_only(
    mapping: MappingFile, iso: FrameworkFile
) -> None:
    iso_entries = by_ref(iso)
    for pair in mapping.pairs:
        assert iso_entries[pair.from_ref].auditable, pair
        # CSF outcomes are stated at subcategory level; functions and categories are headings.
        assert pair.to_ref in CSF_SUBCATEGORIES, pair


def test_mapping_size_and_known_correspondences(mapping: MappingFile) -> None:
    assert 60 <= len(mapping.pairs) <= 150
    relation = {(p.from_ref, p.to_ref): p.relation for p in mapping.pairs}
    assert relation[("A.5.15", "PR.AA-05")] == "related"
    assert relation[("A.5.1", "GV.PO-01")] == "equivalent"
    assert relation[("A.8.13", "PR.DS-11")] == "equivalent"
    assert ("6.1.2", "ID.RA-04") in relation
    equivalents = sum(1 for r in relation.values() if r == "equivalent")
    assert 0 < equivalents < len(relation) / 4, "equivalent is for substantially the same ask"


def test_every_annex_a_theme_is_mapped(mapping: MappingFile) -> None:
    themes = {pair.from_ref.rpartition(".")[0] for pair in mapping.pairs}
    assert set(ANNEX_A) <= themes


def test_load_shipped_includes_these_files() -> None:
    frameworks, mappings = load_shipped()
    assert {"iso-27001-2022", "nist-csf-2.0"} <= set(frameworks)
    assert ("iso-27001-2022", "nist-csf-2.0") in {(m.from_key, m.to_key) for m in mappings}
