"""Demo compliance at Aldermoor: certified to ISO 9001 and ISO 13485 at Sheffield (the
machining plant) and to ISO/IEC 27001 at the Leeds software office; design is the customers'
(ISO 9001 8.3 and ISO 13485 7.3 excluded, with the reason); the procedures, a closed CAPA and
an SPC study as evidence, one piece of it the calibration policy made obsolete in the
documents demo; real gaps left where the demo company has nothing to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qualitas.compliance import services
from qualitas.compliance.models import Framework, Requirement, Scope
from qualitas.core import records
from qualitas.core.models import Site, User
from qualitas.documents import queries as documents

BODY = "Northern Certification Ltd"

# (framework key, site code, certificate number, scope statement)
SCOPES = (
    (
        "iso-9001-2015",
        "SHF",
        "NCL-QMS-20417",
        "Contract machining, cleaning, passivation and packaging of stainless steel and "
        "titanium components, including implant components, to customers' drawings.",
    ),
    (
        "iso-13485-2016",
        "SHF",
        "NCL-MD-08812",
        "Manufacture of implant components (class IIb and III) to customers' designs; "
        "no design, installation or servicing.",
    ),
    (
        "iso-27001-2022",
        "LDS",
        "NCL-ISMS-3120",
        "The Leeds software office: development and operation of the plant's ERP "
        "integrations, the MES and the customer portal.",
    ),
)

# (framework key, site code, ref_id, justification)
EXCLUSIONS = (
    (
        "iso-9001-2015",
        "SHF",
        "8.3",
        "Aldermoor makes parts to its customers' drawings; design responsibility stays with "
        "the customer (scope statement, quality manual section 1).",
    ),
    (
        "iso-13485-2016",
        "SHF",
        "7.3",
        "Design and development of the devices is the legal manufacturers'; Aldermoor "
        "manufactures to their design history files.",
    ),
    ("iso-13485-2016", "SHF", "7.5.3", "The components are not installed by Aldermoor."),
    ("iso-13485-2016", "SHF", "7.5.4", "Aldermoor services no device."),
    (
        "iso-27001-2022",
        "LDS",
        "A.8.30",
        "No development is outsourced: every change is made by the Leeds team.",
    ),
)

# Controlled documents (by title) that show requirements are met: (framework, ref_ids, title).
DOCUMENTS = (
    ("iso-9001-2015", ("4.3", "4.4.1"), "Quality manual"),
    ("iso-9001-2015", ("5.2.1", "5.2.2"), "Quality policy"),
    ("iso-9001-2015", ("7.5.1", "7.5.2", "7.5.3.1"), "Control of documents"),
    ("iso-9001-2015", ("7.5.3.2",), "Control of records"),
    ("iso-9001-2015", ("9.2.1", "9.2.2"), "Internal audit procedure"),
    ("iso-9001-2015", ("9.3.1", "9.3.2", "9.3.3"), "Management review procedure"),
    ("iso-9001-2015", ("8.7.1", "8.7.2"), "Control of nonconforming product"),
    ("iso-9001-2015", ("10.2.1", "10.2.2"), "Corrective and preventive action procedure"),
    ("iso-9001-2015", ("8.4.1", "8.4.2"), "Supplier evaluation and monitoring procedure"),
    ("iso-9001-2015", ("8.4.3",), "Purchasing procedure"),
    ("iso-9001-2015", ("7.1.5.1", "7.1.5.2"), "Calibration and control of measuring equipment"),
    # Withdrawn in the documents demo (merged into the calibration procedure): not evidence.
    ("iso-9001-2015", ("7.1.5.2",), "Calibration policy"),
    ("iso-9001-2015", ("7.2",), "Training and competence procedure"),
    ("iso-9001-2015", ("9.1.2",), "Customer complaints and feedback procedure"),
    ("iso-9001-2015", ("6.3",), "Change control procedure"),
    ("iso-9001-2015", ("6.1.1", "6.1.2"), "Risk management procedure"),
    ("iso-9001-2015", ("8.5.2",), "Product identification and traceability procedure"),
    ("iso-9001-2015", ("8.5.1",), "Torque setting of threaded fasteners"),
    ("iso-13485-2016", ("4.2.2",), "Quality manual"),
    ("iso-13485-2016", ("4.2.4",), "Control of documents"),
    ("iso-13485-2016", ("4.2.5",), "Control of records"),
    ("iso-13485-2016", ("8.2.4",), "Internal audit procedure"),
    ("iso-13485-2016", ("5.6.1", "5.6.2", "5.6.3"), "Management review procedure"),
    ("iso-13485-2016", ("8.3.1", "8.3.2"), "Control of nonconforming product"),
    ("iso-13485-2016", ("8.5.2", "8.5.3"), "Corrective and preventive action procedure"),
    ("iso-13485-2016", ("7.4.1",), "Supplier evaluation and monitoring procedure"),
    ("iso-13485-2016", ("7.4.2", "7.4.3"), "Purchasing procedure"),
    ("iso-13485-2016", ("7.6",), "Calibration and control of measuring equipment"),
    ("iso-13485-2016", ("6.2",), "Training and competence procedure"),
    ("iso-13485-2016", ("8.2.2",), "Customer complaints and feedback procedure"),
    ("iso-13485-2016", ("7.1",), "Risk management procedure"),
    (
        "iso-13485-2016",
        ("7.5.8", "7.5.9.1", "7.5.9.2"),
        "Product identification and traceability procedure",
    ),
    ("iso-13485-2016", ("7.5.6",), "Passivation of stainless steel implant components"),
    ("iso-13485-2016", ("6.4.2",), "Clean-room gowning"),
    ("iso-27001-2022", ("5.2", "A.5.1"), "Information security policy"),
    ("iso-27001-2022", ("7.5.1", "7.5.2", "7.5.3", "A.5.33"), "Control of documents"),
    ("iso-27001-2022", ("A.8.32", "6.3"), "Change control procedure"),
    ("iso-27001-2022", ("7.2", "7.3", "A.6.3"), "Training and competence procedure"),
    ("iso-27001-2022", ("9.2.1", "9.2.2"), "Internal audit procedure"),
    ("iso-27001-2022", ("9.3.1", "9.3.2", "9.3.3"), "Management review procedure"),
    ("iso-27001-2022", ("10.2",), "Corrective and preventive action procedure"),
    ("iso-27001-2022", ("A.5.19", "A.5.20"), "Supplier evaluation and monitoring procedure"),
)

# Written justifications: (framework, site, ref_id, text).
JUSTIFICATIONS = (
    (
        "iso-27001-2022",
        "LDS",
        "A.7.1",
        "The Leeds office is one floor behind a badge door; visitors sign in at reception and "
        "are escorted (checked at the 2026 surveillance audit).",
    ),
    (
        "iso-27001-2022",
        "LDS",
        "4.3",
        "The ISMS scope is the Leeds software office and the systems it runs (scope statement "
        "on the certificate).",
    ),
)


def _document_numbers(viewer: User) -> dict[str, str]:
    found = documents.visible_documents(viewer).values_list("title", "number")
    return dict(found)


def _first_record(resource: str, **where: Any) -> Any:
    record_type = next((t for t in records.RECORD_TYPES.values() if t.resource == resource), None)
    if record_type is None:
        return None
    return record_type.model.objects.filter(**where).order_by("pk").first()


def load() -> None:
    if not Scope.objects.exists():
        load_scopes()
    load_statement_and_checks()


def load_scopes() -> None:
    people = {u.username: u for u in User.objects.filter(username__in=["hmarsh", "elund"])}
    sites = {s.code: s for s in Site.objects.all()}
    qm = people.get("hmarsh")
    if qm is None or "SHF" not in sites or "LDS" not in sites:
        return  # not the demo company
    owner_it = people.get("elund", qm)
    frameworks = {f.key: f for f in Framework.objects.all()}
    today = timezone.localdate()
    scopes: dict[tuple[str, str], Scope] = {}
    for key, site, certificate, statement in SCOPES:
        scopes[(key, site)] = services.create_scope(
            actor=qm,
            framework=frameworks[key],
            site=sites[site],
            statement=statement,
            certified=True,
            certification_body=BODY,
            certificate_number=certificate,
            certified_until=today + timedelta(days=540),
        )

    def requirement(key: str, ref_id: str) -> Requirement:
        return Requirement.objects.get(framework=frameworks[key], ref_id=ref_id)

    for key, site, ref_id, why in EXCLUSIONS:
        services.set_applicability(
            scopes[(key, site)], requirement(key, ref_id), actor=qm, applicable=False,
            justification=why,
        )  # fmt: skip
    numbers = _document_numbers(qm)
    site_of = {key: site for key, site, _, _ in SCOPES}
    for key, ref_ids, title in DOCUMENTS:
        number = numbers.get(title)
        if number is None:
            continue
        for ref_id in ref_ids:
            services.add_evidence(
                requirement(key, ref_id),
                actor=qm,
                kind="document",
                scope=scopes[(key, site_of[key])],
                reference=number,
            )
    for key, site, ref_id, text in JUSTIFICATIONS:
        services.add_evidence(
            requirement(key, ref_id),
            actor=qm,
            kind="justification",
            scope=scopes[(key, site)],
            note=text,
        )
    # Records as evidence: a closed CAPA shows corrective action works, an SPC study that
    # processes are monitored.
    capa = _first_record("capas", state="closed")
    study = _first_record("spc-studies")
    for found, key, ref_ids in (
        (capa, "iso-9001-2015", ("10.2.1",)),
        (capa, "iso-13485-2016", ("8.5.2",)),
        (study, "iso-9001-2015", ("9.1.1", "8.5.1")),
        (study, "iso-13485-2016", ("8.2.5",)),
    ):
        if found is None:
            continue
        for ref_id in ref_ids:
            services.add_evidence(
                requirement(key, ref_id),
                actor=qm,
                kind="record",
                scope=scopes[(key, site_of[key])],
                reference=found.number,
            )
    # Owners and implementation of a few Annex A controls (what the SoA reads).
    for ref_id, state in (("A.5.1", "implemented"), ("A.8.32", "implemented"),
                          ("A.5.15", "partly"), ("A.8.5", "planned")):  # fmt: skip
        services.set_applicability(
            scopes[("iso-27001-2022", "LDS")],
            requirement("iso-27001-2022", ref_id),
            actor=qm,
            applicable=True,
            justification="Required by the risk treatment plan.",
            implementation=state,
            owner=owner_it,
        )


# The Leeds ISMS's risk treatment plan in a word per theme: why each Annex A control is in.
THEME_REASON = {
    "A.5": "Organisational control chosen in the risk treatment plan (RTP-2026).",
    "A.6": "People control chosen in the risk treatment plan (RTP-2026).",
    "A.7": "Physical control for the Leeds office, chosen in the risk treatment plan.",
    "A.8": "Technological control for the ERP integrations, MES and customer portal (RTP-2026).",
}
# Controls not yet (fully) in place at Leeds; every other applicable control is implemented.
UNDER_WAY = {
    "A.5.7": "planned",
    "A.5.23": "partly",
    "A.5.30": "partly",
    "A.8.11": "planned",
    "A.8.12": "planned",
    "A.8.16": "partly",
    "A.8.28": "partly",
}

# Results pipelines post for the Leeds office (external checks): (key, name, requirements).
EXTERNAL = (
    (
        "cis-benchmark-leeds",
        "CIS benchmark scan of the Leeds servers",
        ("iso-27001-2022:A.8.9", "nist-csf-2.0:PR.PS-01"),
        "214 of 214 benchmark rules pass (CIS Ubuntu 22.04 level 1).",
    ),
    (
        "backup-restore-test",
        "Monthly restore test of the ERP database backup",
        ("iso-27001-2022:A.8.13", "nist-csf-2.0:PR.DS-11"),
        "Restored the 03:00 backup to the test server in 41 minutes; row counts match.",
    ),
)


# key, name, template, parameters, requirements, owner ("it" or the QM), at Leeds?
CONFIGURED = (
    (
        "annex-a-evidence-leeds",
        "Each Annex A control at Leeds has current evidence",
        "requirements-covered",
        {"framework": "iso-27001-2022", "site": "LDS", "ref_prefix": "A."},
        ("iso-27001-2022:6.1.3", "iso-27001-2022:9.1"),
        "it",
        True,
    ),
    (
        "audit-findings-on-time",
        "No audit finding past its due date",
        "records-not-overdue",
        {"record_type": "auditfinding", "days": 0},
        ("iso-9001-2015:9.2.2", "iso-13485-2016:8.2.4"),
        "qm",
        False,
    ),
)


def load_statement_and_checks() -> None:
    """The Leeds SoA (every Annex A control justified, prepared by the quality manager and
    approved by the managing director) and two pipelines' checks reporting in."""
    from qualitas.compliance import checks, soa
    from qualitas.core import signatures, workflow

    people = {
        u.username: u for u in User.objects.filter(username__in=["hmarsh", "rmensah", "elund"])
    }
    qm, director = people.get("hmarsh"), people.get("rmensah")
    scope = Scope.objects.filter(framework__key="iso-27001-2022", site__code="LDS").first()
    if qm is None or director is None or scope is None or scope.statements.exists():
        return
    it_owner = people.get("elund", qm)
    said = {a.requirement_id: a for a in scope.applicability.all()}
    for control in Requirement.objects.filter(
        framework=scope.framework, ref_id__regex=r"^A\.[5-8]\.\d+$"
    ).order_by("order"):
        held = said.get(control.pk)
        if held is not None and not held.applicable:
            continue
        theme = control.ref_id.rsplit(".", 1)[0]
        services.set_applicability(
            scope,
            control,
            actor=qm,
            applicable=True,
            justification=held.justification
            if held and held.justification
            else THEME_REASON[theme],
            implementation=held.implementation
            if held
            else UNDER_WAY.get(control.ref_id, "implemented"),
            owner=it_owner if theme == "A.8" else qm,
        )
    statement = soa.prepare_soa(scope, actor=qm)
    # The loader vouches for the director's password, as the other demo loaders do.
    workflow.fire(
        statement,
        "approve",
        actor=director,
        signature=signatures.SignatureToken(director.pk, timezone.now()),
        comment="Approved at the ISMS management review.",
    )
    for key, name, requirements, summary in EXTERNAL:
        checks.create_external_check(
            actor=qm,
            key=key,
            name=name,
            requirements=requirements,
            owner=it_owner,
            site=scope.site,
            interval_hours=24 * 31,
        )
        checks.record_external_result(key, passed=True, summary=summary, actor=qm)
    # Two configured checks: the ISMS's own "every Annex A control has current evidence"
    # (it fails while controls are planned or partly done: the gaps the coverage page shows),
    # and audit findings answered on time across the company.
    for key, name, template, parameters, requirements, owner, site in CONFIGURED:
        checks.create_configured_check(
            actor=qm,
            key=key,
            name=name,
            template=template,
            parameters=parameters,
            requirements=requirements,
            owner=it_owner if owner == "it" else qm,
            site=scope.site if site else None,
            interval_hours=24 * 7,
            raises_as="it_incident" if owner == "it" else "internal_audit",
        )
