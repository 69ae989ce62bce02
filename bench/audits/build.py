"""Build an audits bench on PostgreSQL: 20 sites, five years of approved audit programmes,
100,000 audits with 40 checklist questions each (4,000,000 rows) and 50,000 findings.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/audits/build.py            # several minutes: see its timings
    .venv/bin/python bench/audits/build.py --fresh    # drop the database first

The database (DATABASE_URL, default qualitas_bench_audits on the local server) is created
and migrated when missing (the shipped frameworks load after migrate). A build that already
holds the bench's audits is kept.

What is real and what is bulk:

- Real, through the services (numbering, workflow, signatures, audit trail): 20 sites, the
  quality manager (the role held at every site, one assignment each), the approver and five
  auditors; the programme of the first site for this year with its 30 lines (each with one
  to three requirements of ISO 9001, ISO 13485 or ISO 27001 as criteria), approved by a
  signature; and one audit scheduled from its first line with a lead auditor, its five
  criteria turned into a checklist of five questions by `checklists.generate` (left
  planned): the small audit the bench compares the large ones with.
- Bulk, loaded by PostgreSQL `COPY` (past the audited managers' guard, as
  `bench.common.bulk` is): the other 99 programmes (one approved per site and year for five
  years, 30 lines copied from the real one's, with their requirements), 99,999 audits
  numbered AUD-B000001 on (a quarter carrying a programme line, the rest unplanned: supplier,
  customer, product audits), their states spread by date (the years behind mostly closed,
  some cancelled, follow-up and reporting in the last months, fieldwork around today,
  planned and prepared ahead), five criteria and 40 checklist questions each (answered as
  far as the state goes: 4,000,000 rows; one audit, AUD-B-SMALL, in progress with five
  questions and one finding, the in-progress twin of the small one), and 50,000 findings on
  audits whose fieldwork has started (graded, open, under corrective action, closed or
  cancelled as their audit's state allows, each on one of its audit's questions).
  **Shortcut of the bench, said plainly:** these rows carry no audit events, the bulk
  programmes' approvals and reports no signatures, and the findings no nonconformance or
  CAPA; no departments, teams or evidence files. The lists, the detail page, the checklist
  API and the calendar read none of these.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common
from bench.common import configure, prepare_database

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_audits"
PREFIX = "bench-"
SITES = 20
YEARS = 5
LINES = 30
AUDITS = 100_000
ITEMS = 40
SMALL_ITEMS = 5
FINDINGS = 50_000
CRITERIA = 5
AUDITORS = 5
PLANNED_SHARE = 0.25  # of the audits carrying a programme line
SMALL_NUMBER = "AUD-B-SMALL"
FRAMEWORKS = ("iso-9001-2015", "iso-13485-2016", "iso-27001-2022")
AUDITS_PER_COPY = 2500  # checklist rows streamed per COPY write: 100,000

LINE_TYPES = ["process", "internal", "process", "internal", "supplier", "isms", "product"]
UNPLANNED_TYPES = ["supplier", "supplier", "customer", "product", "process", "external"]
RISKS = ["high", "medium", "medium", "low"]
ANSWERS = ["conforming"] * 180 + ["observation"] * 8 + ["ofi"] * 6 + ["minor_nc"] * 5 + ["major_nc"]
GRADES = ["minor_nc"] * 4 + ["major_nc"] + ["observation"] * 3 + ["ofi"] * 2
DAY = datetime.timedelta(days=1)


def database_url(given: str | None = None) -> str:
    return common.database_url(DEFAULT_URL, "audits", given)


def manager_username() -> str:
    return f"{PREFIX}qm"


# --- COPY, the one bulk path ---------------------------------------------------------------


def _text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value)
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_lines(model: type, columns: list[str], lines: Iterable[str]) -> None:
    """Lines already in COPY's text format (tab-separated, newline-ended), streamed."""
    from django.db import connection

    table = model._meta.db_table  # type: ignore[attr-defined]
    names = ", ".join(f'"{c}"' for c in columns)
    connection.ensure_connection()
    raw: Any = connection.connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= 20_000:
                copy.write("".join(chunk))
                chunk = []
        if chunk:
            copy.write("".join(chunk))


def copy_rows(model: type, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    copy_lines(model, columns, ("\t".join(_text(v) for v in row) + "\n" for row in rows))


def _columns(template: Any) -> dict[str, Any]:
    """A saved row's columns but its id: the copies start from them."""
    return {
        f.column: getattr(template, f.attname)
        for f in template._meta.concrete_fields
        if not f.primary_key
    }


# --- Real: the officers, one programme, one audit ----------------------------------------------


@dataclass
class Org:
    manager: Any
    sites: list[Any]
    auditors: list[Any]
    programme: Any  # the real one: first site, this year
    small: Any  # the real audit with five questions
    requirements: list[Any]  # auditable requirements in the standards' order


def organisation(rng: random.Random) -> Org:
    from django.utils import timezone

    from qualitas.audits import checklists, programmes
    from qualitas.compliance.models import Requirement
    from qualitas.core import permissions, signatures, workflow
    from tests import factories as made_by
    from tests.factories import PASSWORD, with_role

    # factory_boy's factories are untyped: they make a Site and Users.
    SiteFactory: Any = made_by.SiteFactory  # noqa: N806
    UserFactory: Any = made_by.UserFactory  # noqa: N806

    sites = [SiteFactory(code=f"S{n + 1:02d}", name=f"Bench site {n + 1}") for n in range(SITES)]
    manager = UserFactory(username=manager_username(), site=sites[0], job_title="Quality Manager")
    approver = UserFactory(username=f"{PREFIX}appr", site=sites[0], job_title="Site director")
    auditors = [
        UserFactory(username=f"{PREFIX}aud{n + 1}", site=sites[n % SITES], job_title="Auditor")
        for n in range(AUDITORS)
    ]
    for site in sites:  # the roles held at every site, one assignment each
        with_role(manager, permissions.QUALITY_MANAGER, site=site)
        for person in auditors:
            with_role(person, permissions.AUDITOR, site=site)
    with_role(approver, permissions.APPROVER, site=sites[0])
    requirements = list(
        Requirement.objects.filter(framework__key__in=FRAMEWORKS, auditable=True, retired=False)
        .exclude(children__retired=False)
        .order_by("framework__key", "order", "id")
    )
    today = timezone.localdate()
    programme = programmes.create_programme(
        actor=manager,
        title=f"{sites[0].name} audit programme {today.year}",
        year=today.year,
        site=sites[0],
        approach="Every process once a year, the high-risk ones twice; suppliers by risk.",
    )
    for n in range(LINES):
        risk = RISKS[n % len(RISKS)]
        count = {"high": 2, "medium": 1, "low": 1}[risk]
        start = rng.randint(0, len(requirements) - 3)
        programmes.add_entry(
            programme,
            actor=manager,
            subject=f"Process {n + 1:02d}: {requirements[start].title}"[:200],
            audit_type=LINE_TYPES[n % len(LINE_TYPES)],
            risk=risk,
            subject_kind="process" if n % 3 else "clause",
            planned_months=sorted(rng.sample(range(1, 13), count)),
            requirement_ids=[r.pk for r in requirements[start : start + 1 + n % 3]],
        )
    token = signatures.authenticate(approver, PASSWORD, subject=None)
    programme = workflow.fire(programme, "approve", actor=approver, signature=token)
    first = programme.entries.order_by("order", "id").first()
    # Led by an auditor, as the bulk audits are: the page then shows the same parts.
    small = programmes.schedule_audit(
        first, actor=manager, month=today.month, lead_auditor=auditors[0]
    )
    from qualitas.audits import services

    small = services.set_criteria(
        small,
        actor=manager,
        requirement_ids=[r.pk for r in requirements[:SMALL_ITEMS]],
        expected_version=small.version,
    )
    checklists.generate(small, actor=manager, expected_version=small.version)
    return Org(manager, sites, auditors, programme, small, requirements)


# --- Bulk: programmes, audits, checklists, findings ----------------------------------------


def programmes_bulk(org: Org, rng: random.Random) -> list[tuple[int, int, int, list[Any]]]:
    """The other 99 programmes and their lines, copied from the real one. Returns every
    programme as (id, site id, year, its lines as (id, audit type, planned months))."""
    from qualitas.audits.models import AuditProgramme, ProgrammeEntry

    real = AuditProgramme.objects.get(pk=org.programme.pk)
    base = _columns(real)
    this_year = real.year
    entries = list(ProgrammeEntry.objects.filter(programme=real).order_by("order", "id"))
    through = ProgrammeEntry.requirements.through
    links = list(through.objects.filter(programmeentry__programme=real).values_list(
        "programmeentry_id", "requirement_id"))  # fmt: skip
    rows = []
    wanted = []
    n = 0
    for year in range(this_year - YEARS + 1, this_year + 1):
        for site in org.sites:
            if site.pk == real.site_id and year == this_year:
                continue
            n += 1
            approved = datetime.datetime(year - 1, 12, 15, 10, 0, tzinfo=datetime.UTC)
            row = dict(base, number=f"AP-B{n:04d}", year=year, site_id=site.pk,
                       title=f"{site.name} audit programme {year}", approved_at=approved,
                       created_at=approved - 20 * DAY, updated_at=approved)  # fmt: skip
            rows.append(row)
            wanted.append(f"AP-B{n:04d}")
    columns = list(base)
    copy_rows(AuditProgramme, columns, ([r[c] for c in columns] for r in rows))
    made = dict(AuditProgramme.objects.filter(number__in=wanted).values_list("number", "pk"))
    entry_columns = [c for c in _columns(entries[0]) if c != "programme_id"]
    entry_rows = []
    for number in wanted:
        for entry in entries:
            values = _columns(entry)
            months = sorted(rng.sample(range(1, 13), len(entry.planned_months or [1])))
            values["planned_months"] = months
            entry_rows.append([made[number], *(values[c] for c in entry_columns)])
    copy_rows(ProgrammeEntry, ["programme_id", *entry_columns], entry_rows)
    # Each copied line asks the requirements its original asks.
    order_of = {e.pk: e.order for e in entries}
    by_order: dict[int, list[int]] = {}
    for entry_id, requirement_id in links:
        by_order.setdefault(order_of[entry_id], []).append(requirement_id)
    copied = ProgrammeEntry.objects.filter(programme_id__in=made.values())
    copy_rows(
        through,
        ["programmeentry_id", "requirement_id"],
        (
            (pk, requirement_id)
            for pk, order in copied.values_list("pk", "order")
            for requirement_id in by_order.get(order, [])
        ),
    )
    found = []
    every = AuditProgramme.objects.order_by("year", "site_id")
    for pk, site_id, year in every.values_list("pk", "site_id", "year"):
        lines = list(
            ProgrammeEntry.objects.filter(programme_id=pk).values_list(
                "pk", "audit_type", "planned_months"
            )
        )
        found.append((pk, site_id, year, lines))
    return found


def _state(when: datetime.date, today: datetime.date, rng: random.Random) -> str:
    """An audit's state, spread by how far its planned start is from today."""
    days = (when - today).days
    roll = rng.random()
    if days > 30:
        return "planned" if roll < 0.7 else "prepared" if roll < 0.95 else "cancelled"
    if days > 0:
        return "prepared" if roll < 0.6 else "planned" if roll < 0.9 else "cancelled"
    if days > -30:
        return ("in_progress" if roll < 0.5 else "reporting" if roll < 0.8
                else "prepared" if roll < 0.95 else "cancelled")  # fmt: skip
    if days > -120:
        return ("closed" if roll < 0.4 else "follow_up" if roll < 0.75
                else "reporting" if roll < 0.9 else "cancelled")  # fmt: skip
    return "closed" if roll < 0.85 else "follow_up" if roll < 0.9 else "cancelled"


HELD = ("in_progress", "reporting", "follow_up", "closed")


def audits_bulk(
    org: Org, plans: list[tuple[int, int, int, list[Any]]], rng: random.Random
) -> list[tuple[int, str, int, int, datetime.date | None]]:
    """99,999 audits spread over the programmes' sites and years. Returns each as (id,
    state, site id, lead auditor id, started on)."""
    from django.utils import timezone

    from qualitas.audits.models import Audit

    template = Audit.objects.get(pk=org.small.pk)
    base = _columns(template)
    base.update(reported_at=None, started_on=None, ended_on=None)
    today = timezone.localdate()
    columns = list(base)
    per_plan = (AUDITS - 1) // len(plans) + 1
    total = AUDITS - 1  # the real one is the first

    def rows() -> Iterator[list[Any]]:
        n = 0
        for _pk, site_id, year, lines in plans:
            for _ in range(per_plan):
                if n >= total:
                    return
                n += 1
                row = dict(base)
                if rng.random() < PLANNED_SHARE:
                    line_id, audit_type, months = rng.choice(lines)
                    month = rng.choice(months or [1])
                    row["programme_entry_id"] = line_id
                    title = f"Line audit {line_id}: {audit_type}, {month}/{year}"
                else:
                    month = rng.randint(1, 12)
                    audit_type = rng.choice(UNPLANNED_TYPES)
                    row["programme_entry_id"] = None
                    title = f"{audit_type.title()} audit {n} of {year}"
                start = datetime.date(year, month, rng.randint(1, 28))
                state = _state(start, today, rng)
                if n == total:  # the in-progress twin of the small audit
                    state, start = "in_progress", today - 2 * DAY
                lead = rng.choice(org.auditors)
                created = datetime.datetime.combine(
                    start - rng.randint(20, 60) * DAY, datetime.time(9), tzinfo=datetime.UTC
                )
                row.update(
                    number=SMALL_NUMBER if n == total else f"AUD-B{n:06d}",
                    title=title,
                    state=state,
                    audit_type=audit_type,
                    site_id=site_id,
                    lead_auditor_id=lead.pk,
                    planned_start=start,
                    planned_end=start + DAY,
                    audited_organisation=f"Supplier {n % 700}" if audit_type == "supplier" else "",
                    scope="Processes, records and the shop floor of the audited area.",
                    created_at=created,
                    updated_at=created,
                    version=1 + (HELD.index(state) + 2 if state in HELD else 0),
                )
                if state in HELD:
                    row["started_on"] = start
                if state in ("reporting", "follow_up", "closed"):
                    row["ended_on"] = start + DAY
                if state in ("follow_up", "closed"):
                    row["reported_at"] = created + 60 * DAY
                    row["summary"] = "40 questions audited."
                    row["conclusion"] = "Conforms, subject to the findings listed."
                yield [row[c] for c in columns]

    copy_rows(Audit, columns, rows())
    made = Audit.objects.filter(number__startswith="AUD-B").order_by("pk")
    return list(made.values_list("pk", "state", "site_id", "lead_auditor_id", "started_on"))


def criteria_bulk(org: Org, audits: list[tuple[Any, ...]], rng: random.Random) -> int:
    from qualitas.audits.models import AuditCriterion

    pool = [r.pk for r in org.requirements]
    copy_rows(
        AuditCriterion,
        ["audit_id", "requirement_id"],
        ((pk, r) for pk, *_ in audits for r in rng.sample(pool, CRITERIA)),
    )
    return len(audits) * CRITERIA


def checklists_bulk(org: Org, audits: list[tuple[Any, ...]], rng: random.Random) -> int:
    """40 questions per audit (five for AUD-B-SMALL), answered as far as the audit's state
    goes, streamed to COPY as text."""
    from qualitas.audits import checklists
    from qualitas.audits.models import ChecklistItem

    columns = ["audit_id", "order", "requirement_id", "bank_question_id", "question", "guidance",
               "answer", "notes", "answered_by_id", "answered_at", "revision"]  # fmt: skip
    # Each requirement's columns, escaped once.
    asked = [
        f"{r.pk}\t\\N\t{_text(checklists.requirement_question(r))}\t{_text(r.guidance)}"
        for r in org.requirements
    ]
    span = len(asked)
    small_pk = audits[-1][0]  # AUD-B-SMALL, copied last
    made = 0

    def lines() -> Iterator[str]:
        nonlocal made
        unanswered = "\t\t\\N\t\\N\t0\n"
        notes = "Sampled three records."
        for pk, state, _site, lead, started in audits:
            count = SMALL_ITEMS if pk == small_pk else ITEMS
            start = rng.randrange(span)
            answered = count if state in ("reporting", "follow_up", "closed") else (
                count // 2 if state == "in_progress" else 0)  # fmt: skip
            when = f"{started}T14:00:00+00:00" if started else ""
            for i in range(count):
                head = f"{pk}\t{i + 1}\t{asked[(start + i) % span]}\t"
                if i < answered:
                    yield f"{head}{rng.choice(ANSWERS)}\t{notes}\t{lead}\t{when}\t1\n"
                else:
                    yield head + unanswered
            made += count

    copy_lines(ChecklistItem, columns, lines())
    return made


def findings_bulk(org: Org, audits: list[tuple[Any, ...]], rng: random.Random) -> int:
    """50,000 findings on audits whose fieldwork has started, each on one of its questions."""
    from django.db import connection

    from qualitas.audits.models import ChecklistItem, Finding

    held = [a for a in audits if a[1] in HELD]
    small = audits[-1]
    fields = [f for f in Finding._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    now = datetime.datetime.now(datetime.UTC)

    def rows() -> Iterator[list[Any]]:
        for n in range(FINDINGS):
            pk, state, site_id, lead, started = small if n == 0 else rng.choice(held)
            grade = rng.choice(GRADES)
            nc = grade in ("minor_nc", "major_nc")
            if state == "closed":
                found_state = "closed" if rng.random() < 0.97 else "cancelled"
            elif state == "follow_up":
                found_state = ("action" if nc else "open") if rng.random() < 0.6 else "closed"
            else:
                found_state = "open"
            created = datetime.datetime.combine(started, datetime.time(15), tzinfo=datetime.UTC)
            values = {
                "number": f"AF-B{n + 1:06d}",
                "title": f"{grade.replace('_', ' ').title()}: records not kept as required",
                "state": found_state,
                "owner_id": org.manager.pk,
                "department_id": None,
                "site_id": site_id,
                "priority": "high" if grade == "major_nc" else "medium",
                "due_on": started + (30 if nc else 60) * DAY,
                "created_by_id": lead,
                "created_at": created,
                "updated_by_id": lead,
                "updated_at": min(created + 40 * DAY, now),
                "version": 1 if found_state == "open" else 3,
                "audit_id": pk,
                "checklist_item_id": None,
                "grade": grade,
                "requirement_id": None,
                "statement": "Two of the three lots sampled had no signed first-off record.",
                "objective_evidence": "Lot travellers seen with the supervisor.",
                "response": "Retrained the shift leaders." if found_state == "closed" else "",
                "nonconformance_id": None,
                "nonconformance_number": "",
                "capa_id": None,
                "capa_number": "",
                "verified_at": created + 40 * DAY if found_state == "closed" and nc else None,
                "verification_notes": "",
            }
            yield [values[c] for c in columns]

    copy_rows(Finding, columns, rows())
    # Each on one of its audit's questions, the question's requirement its own.
    items = ChecklistItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Finding._meta.db_table}" f '  # noqa: S608  (names from the models)
            f"SET checklist_item_id = i.id, requirement_id = i.requirement_id "
            f'FROM "{items}" i WHERE f.number LIKE %s AND i.audit_id = f.audit_id '
            f'AND i."order" = 1 + (f.id %% 5)',
            ["AF-B%"],
        )
    return FINDINGS


def build(*, seed: int = 20261208, progress: bool = True) -> str:
    from django.db import connection

    from qualitas.audits.models import Audit

    if Audit.objects.filter(number=SMALL_NUMBER).exists():
        return "kept the bench already built"
    import factory.random

    seeding: Any = factory.random
    seeding.reseed_random(seed)
    rng = random.Random(seed)
    started = time.perf_counter()
    lap = started

    def said(what: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        if progress:
            print(f"  {what:<58} {now - lap:6.1f} s", flush=True)
        lap = now

    org = organisation(rng)
    said(f"{SITES} sites, officers, the real programme and audit")
    plans = programmes_bulk(org, rng)
    said(f"{len(plans)} programmes, {sum(len(p[3]) for p in plans):,} lines")
    audits = audits_bulk(org, plans, rng)
    said(f"{len(audits) + 1:,} audits")
    criteria = criteria_bulk(org, audits, rng)
    said(f"{criteria:,} criteria")
    items = checklists_bulk(org, audits, rng)
    said(f"{items:,} checklist questions")
    findings = findings_bulk(org, audits, rng)
    said(f"{findings:,} findings")
    with connection.cursor() as cursor:
        for model in ("auditprogramme", "programmeentry", "audit", "auditcriterion",
                      "checklistitem", "finding"):  # fmt: skip
            cursor.execute(f"VACUUM (ANALYZE) audits_{model}")
    said("VACUUM (ANALYZE)")
    seconds = time.perf_counter() - started
    return (
        f"{len(plans)} programmes, {len(audits) + 1:,} audits, {items + SMALL_ITEMS:,} "
        f"checklist questions, {findings:,} findings in {seconds:.0f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None, help=f"default DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)
    url = database_url(args.database)
    started = time.perf_counter()
    prepare_database(url, fresh=args.fresh)
    configure(url)
    print(f"  database ready (migrated when missing) {time.perf_counter() - started:27.1f} s")
    print(build())
    return 0


if __name__ == "__main__":
    sys.exit(main())
