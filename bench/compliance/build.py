"""Build a compliance-coverage bench on PostgreSQL: a 3,000-requirement customer framework
and ISO 27001 in scope at one site, with about five pieces of evidence per requirement.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/compliance/build.py            # about 70 s, most of it migrate
    .venv/bin/python bench/compliance/build.py --fresh    # drop the database first

The database (DATABASE_URL, default qualitas_bench_compliance on the local server) is
created and migrated when missing (the shipped frameworks and the modules' checks load after
migrate). A build that already holds the bench's scopes is kept.

What is real and what is bulk:

- Real, through the services (audit trail, numbering, signatures): the quality manager, the
  document controller and the approver; six procedures taken to effective with signed
  approvals (one then withdrawn); three nonconformances and two CAPAs; the customer
  framework (3,000 requirements in three levels, imported from a generated YAML file through
  `compliance.services.import_framework`); the two scopes.
- Bulk (a plain `bulk_create`, past the audited managers' guard): 400 controlled documents
  with one revision each (most effective, some obsolete, some never released), 1,500
  nonconformances and 500 CAPAs copied from the real ones in mixed states (a tenth
  cancelled), applicability for about 10 % of the requirements (exclusions, some of whole
  headings, partly implemented, implemented), about five pieces of evidence per requirement
  (documents, records, justifications; within the scope or everywhere; a few withdrawn, a
  few naming documents no longer in the register) and 50 compliance checks mapped to 40-150
  requirements each, passing on time, passing late, failing, never run.
  **Shortcut of the bench, said plainly:** these rows carry no audit events (and the bulk
  documents no signatures or search entries); coverage, its export and its API never read
  either.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common
from bench.common import bulk, configure, prepare_database, release

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_compliance"
PREFIX = "bench-"
CUSTOMER_KEY = "bench-customer-csr"
ISO_27001_KEY = "iso-27001-2022"
SITE = ("BEN", "Bench Works")
# The customer framework: 20 clauses x 10 sections x 13-14 requirements = 3,000 in all.
CLAUSES = 20
SECTIONS = 10
DOCUMENTS = 400
NONCONFORMANCES = 1500
CAPAS = 500
CHECKS = 50
EVIDENCE_MEAN = 5

DOCUMENT_STATES = [("effective", "effective")] * 17 + [("obsolete", "obsolete"), ("new", "draft")]
NC_STATES = ["open", "containment", "review", "disposition", "verification", "closed"]
CAPA_STATES = ["initiated", "investigation", "action_plan", "implementation", "closed"]


def database_url(given: str | None = None) -> str:
    return common.database_url(DEFAULT_URL, "compliance", given)


def manager_username() -> str:
    return f"{PREFIX}qm"


def framework_yaml(rng: random.Random) -> str:
    """The customer's requirements: clauses and sections are headings (a tenth of the
    sections audited themselves, as some customers word a section as a requirement)."""
    lines = [
        f"key: {CUSTOMER_KEY}",
        "name: Bench customer CSR",
        "title: Customer-specific requirements of the bench's largest customer",
        'version: "7"',
        "kind: customer",
        "requirements:",
    ]
    leaves = 2780  # + 20 clauses + 200 sections = 3,000
    sections = CLAUSES * SECTIONS
    for c in range(1, CLAUSES + 1):
        lines += [f'  - ref_id: "{c}"', f"    title: Clause {c} of the customer manual"]
        lines += ["    auditable: false", "    children:"]
        for s in range(1, SECTIONS + 1):
            index = (c - 1) * SECTIONS + (s - 1)
            count = leaves // sections + (1 if index < leaves % sections else 0)
            lines += [f'      - ref_id: "{c}.{s}"', f"        title: Section {c}.{s}"]
            if rng.random() >= 0.1:
                lines.append("        auditable: false")
            lines.append("        children:")
            for r in range(1, count + 1):
                lines += [
                    f'          - ref_id: "{c}.{s}.{r}"',
                    f"            title: Requirement {c}.{s}.{r} on lots, labels and records",
                    "            guidance: Ask for the record that shows it for the last lot.",
                ]
    return "\n".join(lines) + "\n"


# --- Real: officers, documents, records, the framework, the scopes -------------------------


@dataclass
class Org:
    manager: Any
    site: Any
    documents: list[tuple[int, str]]  # (id, number) of every controlled document
    records: list[tuple[str, int, str]]  # (record type key, id, number)
    # Those no longer evidence: obsolete or never released; cancelled.
    stale_documents: list[tuple[int, str]]
    void_records: list[tuple[str, int, str]]


def _fields(template: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(template, f.attname)
        for f in template._meta.concrete_fields
        if not f.primary_key
    }


def officers() -> tuple[Any, Any, Any, Any]:
    from qualitas.core import permissions
    from tests.factories import SiteFactory, UserFactory, with_role

    site = SiteFactory(code=SITE[0], name=SITE[1])
    manager = with_role(
        UserFactory(username=manager_username(), site=site, job_title="Quality Manager"),
        permissions.QUALITY_MANAGER,
    )
    author = with_role(
        UserFactory(username=f"{PREFIX}dc", site=site), permissions.DOCUMENT_CONTROLLER
    )
    approver = with_role(UserFactory(username=f"{PREFIX}appr", site=site), permissions.APPROVER)
    return site, manager, author, approver


def documents(
    author: Any, approver: Any, rng: random.Random
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Six procedures released for real, then 400 copies of them in bulk."""
    from django.db import connection

    from qualitas.documents import services
    from qualitas.documents.models import Document, DocumentRevision, DocumentType

    procedure = DocumentType.objects.get(code="procedure")
    real = []
    for n in range(6):
        document = services.create_document(
            actor=author,
            document_type=procedure,
            title=f"Customer procedure {n + 1}",
            content_text=f"# Purpose\n\nProcedure {n + 1} of the bench.",
        )
        release(document.revisions.get(), approver)
        document.refresh_from_db()
        real.append(document)
    services.withdraw_document(real[-1], actor=author, reason="Merged into procedure 1")
    template = Document.objects.get(pk=real[0].pk)
    revision = DocumentRevision.objects.get(document=template, state="effective")
    made = []
    for n in range(DOCUMENTS):
        copy = Document(**_fields(template))
        copy.number = f"BCP-{n + 1:04d}"
        copy.title = f"Bench control plan {n + 1}"
        copy.status, _ = rng.choice(DOCUMENT_STATES)
        copy.current_revision_id = None
        made.append(copy)
    made = bulk(Document, made)
    revisions = []
    for copy in made:
        state = "effective" if copy.status == "effective" else "obsolete"
        if copy.status == "new":
            state = "draft"
        fields = _fields(revision)
        fields.update(document_id=copy.pk, number=f"{copy.number}-A", title=copy.title, state=state)
        revisions.append(DocumentRevision(**fields))
    bulk(DocumentRevision, revisions)
    with connection.cursor() as cursor:  # each document points at its revision
        cursor.execute(
            "UPDATE documents_document d SET current_revision_id = r.id "
            "FROM documents_documentrevision r "
            "WHERE r.document_id = d.id AND d.number LIKE 'BCP-%%'"
        )
    every = list(Document.objects.order_by("pk").values_list("pk", "number"))
    stale = Document.objects.exclude(status="effective").order_by("pk")
    return every, list(stale.values_list("pk", "number"))


def quality_records(
    manager: Any, site: Any, rng: random.Random
) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """Three nonconformances and two CAPAs for real, then copies of them in bulk."""
    from qualitas.capa import services as capas
    from qualitas.capa.models import Capa
    from qualitas.nonconformance import services as ncs
    from qualitas.nonconformance.models import Nonconformance

    raised = [
        ncs.raise_nonconformance(
            actor=manager,
            title=f"Label missing on lot L{n}",
            site=site,
            source="final_inspection",
            quantity_affected=Decimal(50),
            quantity_nonconforming=Decimal(5),
        )
        for n in range(3)
    ]
    opened = [
        capas.open_capa(actor=manager, title=f"Labels at final inspection {n}", site=site)
        for n in range(2)
    ]
    found: list[tuple[str, int, str]] = []
    void: list[tuple[str, int, str]] = []
    for model, key, templates, count, states, prefix in (
        (Nonconformance, "nonconformance", raised, NONCONFORMANCES, NC_STATES, "NC-B"),
        (Capa, "capa", opened, CAPAS, CAPA_STATES, "CAPA-B"),
    ):
        rows = [model.objects.get(pk=t.pk) for t in templates]
        copies = []
        for n in range(count):
            copy = model(**_fields(rng.choice(rows)))
            copy.number = f"{prefix}{n + 1:05d}"
            copy.state = "cancelled" if rng.random() < 0.1 else rng.choice(states)
            copies.append(copy)
        bulk(model, copies)
        found += [(key, pk, number) for pk, number in model.objects.values_list("pk", "number")]
        cancelled = model.objects.filter(state="cancelled").values_list("pk", "number")
        void += [(key, pk, number) for pk, number in cancelled]
    return found, void


def frameworks(manager: Any, site: Any, rng: random.Random) -> list[Any]:
    from qualitas.compliance import services
    from qualitas.compliance.models import Framework

    services.import_framework(
        framework_yaml(rng).encode(), actor=manager, filename="bench-customer-csr.yaml"
    )
    return [
        services.create_scope(
            actor=manager, framework=Framework.objects.get(key=key), site=site, certified=True
        )
        for key in (CUSTOMER_KEY, ISO_27001_KEY)
    ]


# --- Bulk: applicability, evidence, checks -------------------------------------------------


def applicability(scope: Any, manager: Any, rng: random.Random) -> int:
    """About a tenth of the requirements said something about: exclusions (a few whole
    headings among them), partly implemented, implemented."""
    from qualitas.compliance.models import Applicability

    rows = []
    for requirement in scope.framework.requirements.filter(retired=False):
        heading = not requirement.auditable
        if rng.random() >= (0.02 if heading else 0.1):
            continue
        roll = rng.random()
        excluded = heading or roll < 0.3
        rows.append(
            Applicability(
                scope=scope,
                requirement=requirement,
                applicable=not excluded,
                justification="Not done at this site (no such process)." if excluded else "",
                implementation="partly" if 0.3 <= roll < 0.6 else "implemented",
                owner=manager if rng.random() < 0.7 else None,
                updated_by=manager,
            )
        )
    bulk(Applicability, rows)
    return len(rows)


def evidence(scope: Any, org: Org, rng: random.Random) -> int:
    """About five pieces per requirement; a tenth of the requirements have none and a tenth
    only evidence that no longer counts (documents not in force, cancelled records)."""
    from django.utils import timezone

    from qualitas.compliance.models import Evidence

    now = timezone.now()
    rows = []
    for requirement in scope.framework.requirements.filter(retired=False):
        roll = rng.random()
        if roll < 0.1:
            continue
        stale = roll < 0.2
        count = rng.randint(1, 2 * EVIDENCE_MEAN - 1)
        for _ in range(count):
            weights = (50, 50, 0) if stale else (45, 40, 15)
            kind = rng.choices(("document", "record", "justification"), weights)[0]
            piece = Evidence(
                requirement=requirement,
                scope=scope if rng.random() < 0.75 else None,
                kind=kind,
                added_by=org.manager,
            )
            if kind == "document":
                doc_id, number = rng.choice(org.stale_documents if stale else org.documents)
                if rng.random() < 0.01:  # no longer in the register
                    doc_id = 10_000_000 + doc_id
                piece.document_id, piece.reference = doc_id, number
            elif kind == "record":
                chosen = rng.choice(org.void_records if stale else org.records)
                piece.record_type, piece.record_id, piece.reference = chosen
            else:
                piece.note = "Covered by the customer's approval of our control plan."
            if rng.random() < 0.03:
                piece.removed_at, piece.removed_by = now, org.manager
                piece.removal_reason = "Given in error"
            rows.append(piece)
    bulk(Evidence, rows)
    return len(rows)


def checks(scopes: list[Any], site: Any, rng: random.Random) -> int:
    """50 checks, each declaring 40-150 requirements of the two frameworks."""
    from django.utils import timezone

    from qualitas.compliance.check_models import ComplianceCheck

    now = timezone.now()
    made = []
    for n in range(CHECKS):
        roll = rng.random()
        if roll < 0.5:
            state, ran = "pass", now - timedelta(hours=rng.randint(1, 40))
        elif roll < 0.65:
            state, ran = "pass", now - timedelta(days=rng.randint(3, 20))  # passing, late
        elif roll < 0.85:
            state, ran = "fail", now - timedelta(hours=rng.randint(1, 40))
        elif roll < 0.95:
            state, ran = "never", None
        else:
            state, ran = "error", now - timedelta(hours=2)
        made.append(
            ComplianceCheck(
                key=f"{PREFIX}check-{n + 1:02d}",
                name=f"Bench check {n + 1}",
                kind="external",
                interval_hours=24,
                last_state=state,
                last_run_at=ran,
                active=n % 10 != 9,
                site=site if rng.random() < 0.3 else None,
            )
        )
    made = bulk(ComplianceCheck, made)
    requirements = [
        pk for scope in scopes for pk in scope.framework.requirements.values_list("pk", flat=True)
    ]
    through = ComplianceCheck.requirements.through
    pairs = [
        through(compliancecheck_id=check.pk, requirement_id=requirement)
        for check in made
        for requirement in rng.sample(requirements, rng.randint(40, 150))
    ]
    bulk(through, pairs)
    return len(pairs)


def build(*, seed: int = 20261207, progress: bool = True) -> str:
    from django.db import connection

    from qualitas.compliance.models import Scope

    if Scope.objects.filter(framework__key=CUSTOMER_KEY).exists():
        return "kept the bench already built"
    import factory.random

    factory.random.reseed_random(seed)
    rng = random.Random(seed)
    started = time.perf_counter()
    site, manager, author, approver = officers()
    docs, stale_docs = documents(author, approver, rng)
    if progress:
        print(f"  {len(docs)} controlled documents", flush=True)
    recs, void = quality_records(manager, site, rng)
    if progress:
        print(f"  {len(recs)} quality records", flush=True)
    scopes = frameworks(manager, site, rng)
    if progress:
        print("  customer framework imported, scopes made", flush=True)
    org = Org(manager, site, docs, recs, stale_docs, void)
    said = sum(applicability(scope, manager, rng) for scope in scopes)
    pieces = sum(evidence(scope, org, rng) for scope in scopes)
    mapped = checks(scopes, site, rng)
    with connection.cursor() as cursor:
        for table in ("compliance_requirement", "compliance_applicability",
                      "compliance_evidence", "compliance_compliancecheck",
                      "compliance_compliancecheck_requirements", "documents_document",
                      "documents_documentrevision", "nonconformance_nonconformance",
                      "capa_capa"):  # fmt: skip
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    seconds = time.perf_counter() - started
    sizes = ", ".join(
        f"{s.framework.key} {s.framework.requirements.count():,} requirements" for s in scopes
    )
    return (
        f"{sizes}; {said} applicability rows, {pieces:,} pieces of evidence, {CHECKS} checks "
        f"declaring {mapped:,} requirements in {seconds:.0f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None, help=f"default DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)
    url = database_url(args.database)
    prepare_database(url, fresh=args.fresh)
    configure(url)
    print(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
