"""Build a training bench on PostgreSQL: 2,000 people, 300 curriculum lines, 3 years of
training records.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/training/build.py            # about 2 minutes
    .venv/bin/python bench/training/build.py --fresh    # drop the database first

The database (DATABASE_URL, default qualitas_bench_training on the local server) is created
and migrated when missing. A build that already holds the people asked for is kept.

What is real and what is bulk:

- Real, through the services (numbering, workflow, signatures, audit trail): the quality
  manager, the document controller and the approver; 100 controlled procedures taken to
  effective (revision A) and 35 of them revised and made effective again (revision B), each
  approval signed; 60 courses; 25 job roles.
- Bulk (a plain `bulk_create`, past the audited managers' guard, in batches of 5,000): the
  2,000 people, their job roles, the 300 curriculum lines (documents and courses over job
  roles, departments and sites) and about 100,000 training records spread over three years
  (readings of revision A then B, certificates completed, expired and taken again, open
  assignments due and overdue, on-the-job training awaiting the trainer).
  **Shortcut of the bench, said plainly:** these rows carry no audit events and the
  completions no signatures; the matrix, its export and its API never read either.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common
from bench.common import bulk, configure, prepare_database, release

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_training"
PREFIX = "bench-"
PEOPLE = 2000
DOCUMENTS = 100
REVISED = 35  # documents with a revision B in force: readings of A are history
COURSES = 60
JOB_ROLES = 25
# 300 curriculum lines: per site, per department, per job role.
SITE_LINES = 8  # x 5 sites = 40
DEPARTMENT_LINES = 3  # x 20 departments = 60
ROLE_LINES = 8  # x 25 job roles = 200
BATCH = 5000
SPAN_DAYS = 3 * 365

SITES = [
    ("SHF", "Sheffield Works"),
    ("BHM", "Birmingham Assembly"),
    ("LYO", "Lyon Usinage"),
    ("KRK", "Kraków Odlewnia"),
    ("PNQ", "Pune Components"),
]
DEPARTMENTS = [("MCH", "Machining"), ("ASM", "Assembly"), ("GIN", "Goods-in"), ("QA", "Quality")]
FIRST = ["Ada", "Ben", "Chloé", "Dev", "Ewa", "Femi", "Gita", "Hugo", "Ines", "Jan", "Kofi", "Lena"]
LAST = ["Abbott", "Bauer", "Chen", "Dubois", "Evans", "Fischer", "Gupta", "Hughes", "Iqbal",
        "Jones", "Kowalski", "Lefèvre", "Müller", "Nowak", "Okafor", "Patel", "Quinn"]  # fmt: skip
KINDS = ["classroom", "on_the_job", "e_learning", "external"]
VALIDITIES = [None, None, 12, 24, 36]


def database_url(given: str | None = None) -> str:
    return common.database_url(DEFAULT_URL, "training", given)


def manager_username() -> str:
    return f"{PREFIX}qm"


# --- Real: the organisation's officers, documents, courses and job roles --------------------


@dataclass
class Org:
    manager: Any
    sites: list[Any]
    departments: list[Any]  # (site, department) pairs: 4 per site
    documents: list[Any]  # ControlledDocument, with its revision A id when revised
    revision_a: dict[int, int]  # document id -> the id of revision A, now superseded
    courses: list[Any]
    roles: list[Any]


def organisation(*, progress: bool) -> Org:
    from qualitas.core import permissions
    from qualitas.core.models import Department
    from qualitas.documents import queries as documents, services as document_services
    from qualitas.documents.models import DocumentType
    from qualitas.training import services
    from tests.factories import DepartmentFactory, SiteFactory, UserFactory, with_role

    sites = [SiteFactory(code=code, name=name) for code, name in SITES]
    departments = []
    for site in sites:
        for code, name in DEPARTMENTS:
            departments.append(
                DepartmentFactory(code=f"{site.code}-{code}", name=f"{name} {site.code}", site=site)
            )
    manager = UserFactory(username=manager_username(), site=sites[0], job_title="Quality Manager")
    for site in sites:  # the role held at every site, one assignment each
        with_role(manager, permissions.QUALITY_MANAGER, site=site)
    author = with_role(
        UserFactory(username=f"{PREFIX}dc", site=sites[0]), permissions.DOCUMENT_CONTROLLER
    )
    approver = with_role(UserFactory(username=f"{PREFIX}appr", site=sites[0]), permissions.APPROVER)
    procedure = DocumentType.objects.get(code="procedure")
    made = []
    for n in range(DOCUMENTS):
        document = document_services.create_document(
            actor=author,
            document_type=procedure,
            title=f"Procedure {n + 1:03d}",
            content_text=f"# Purpose\n\nProcedure {n + 1} of the bench.",
        )
        release(document.revisions.get(), approver)
        made.append(document)
        if progress and (n + 1) % 20 == 0:
            print(f"  {n + 1} procedures effective", flush=True)
    revision_a = {}
    for document in made[:REVISED]:
        document.refresh_from_db()
        revision_a[document.pk] = document.current_revision_id
        draft = document_services.new_revision(document, actor=author)
        document_services.edit_revision(
            draft, actor=author, expected_version=draft.version, change_summary="Revised"
        )
        release(draft, approver)
    in_force = documents.controlled_documents(ids=[d.pk for d in made])
    courses = [
        services.create_course(
            actor=manager,
            code=f"C-{n + 1:02d}",
            title=f"Course {n + 1}",
            kind=KINDS[n % len(KINDS)],
            validity_months=VALIDITIES[n % len(VALIDITIES)],
        )
        for n in range(COURSES)
    ]
    roles = [
        services.create_job_role(actor=manager, name=f"Job role {n + 1:02d}")
        for n in range(JOB_ROLES)
    ]
    return Org(
        manager=manager,
        sites=sites,
        departments=list(Department.objects.filter(pk__in=[d.pk for d in departments])),
        documents=sorted(in_force.values(), key=lambda d: d.id),
        revision_a=revision_a,
        courses=courses,
        roles=roles,
    )


# --- Bulk: people, curricula, records ------------------------------------------------------


def people(org: Org, rng: random.Random) -> list[Any]:
    from django.contrib.auth.hashers import make_password

    from qualitas.core.models import User
    from qualitas.training.models import JobRole

    password = make_password(None)  # nobody signs in as them
    made = []
    for n in range(PEOPLE):
        department = org.departments[n % len(org.departments)]
        made.append(
            User(
                username=f"{PREFIX}p{n:04d}",
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                email=f"p{n:04d}@bench.test",
                job_title="Operator",
                site_id=department.site_id,
                department=department,
                password=password,
            )
        )
    bulk(User, made)
    found = list(User.objects.filter(username__startswith=f"{PREFIX}p").order_by("username"))
    through = JobRole.members.through
    holds = []
    for person in found:
        for role in rng.sample(org.roles, rng.choice((1, 1, 2))):
            holds.append(through(user_id=person.pk, jobrole_id=role.pk))
    bulk(through, holds)
    return found


def curricula(org: Org, rng: random.Random) -> list[Any]:
    from qualitas.training.models import Requirement

    def item() -> dict[str, Any]:
        if rng.random() < 0.5:
            document = rng.choice(org.documents)
            return {"document_id": document.id, "document_number": document.number}
        return {"course": rng.choice(org.courses)}

    audiences: list[dict[str, Any]] = []
    audiences += [{"site": site} for site in org.sites for _ in range(SITE_LINES)]
    audiences += [{"department": d} for d in org.departments for _ in range(DEPARTMENT_LINES)]
    audiences += [{"job_role": role} for role in org.roles for _ in range(ROLE_LINES)]
    lines = [
        Requirement(
            **audience,
            **item(),
            gating=rng.random() < 0.1,
            validity_months=12 if rng.random() < 0.05 else None,
            due_within_days=rng.choice((14, 30, 30, 60)),
            created_by=org.manager,
        )
        for audience in audiences
    ]
    bulk(Requirement, lines)
    return list(Requirement.objects.select_related("course").order_by("pk"))


def _covers(line: Any, person: Any, holds: set[tuple[int, int]]) -> bool:
    if line.job_role_id is not None:
        return (person.pk, line.job_role_id) in holds
    if line.department_id is not None:
        return person.department_id == line.department_id
    return person.site_id == line.site_id


def add_months(day: date, months: int) -> date:
    from qualitas.training.services import add_months as months_after

    return months_after(day, months)


def histories(org: Org, found: list[Any], lines: list[Any], rng: random.Random) -> Iterator[Any]:
    """Each person's training records on each item their curricula ask for, over 3 years."""
    from django.utils import timezone

    from qualitas.training.models import JobRole, TrainingRecord

    today = timezone.localdate()
    start = today - timedelta(days=SPAN_DAYS)
    holds = set(JobRole.members.through.objects.values_list("user_id", "jobrole_id"))
    documents = {d.id: d for d in org.documents}
    trainers = found[:40]
    serial = 0

    def record(person: Any, line: Any, **fields: Any) -> Any:
        nonlocal serial
        serial += 1
        assigned = fields.pop("assigned_on")
        return TrainingRecord(
            number=f"TR-B-{serial:07d}",
            title=fields.pop("title"),
            person=person,
            requirement=line,
            assigned_on=assigned,
            due_on=assigned + timedelta(days=line.due_within_days),
            site_id=person.site_id,
            department_id=person.department_id,
            owner=org.manager,
            created_by=org.manager,
            updated_by=org.manager,
            **fields,
        )

    for person in found:
        joined = start + timedelta(days=rng.randint(0, SPAN_DAYS // 2))
        seen: set[tuple[str, int]] = set()
        for line in lines:
            if not _covers(line, person, holds):
                continue
            key = ("course", line.course_id) if line.course_id else ("doc", line.document_id)
            if key in seen:
                continue
            seen.add(key)
            if line.course_id is not None:
                yield from _course_history(record, person, line, joined, today, rng, trainers)
            else:
                document = documents[line.document_id]
                yield from _reading_history(
                    record, person, line, document, org.revision_a.get(document.id), joined,
                    today, rng,
                )  # fmt: skip


def _course_history(
    record: Any, person: Any, line: Any, joined: date, today: date, rng: Any, trainers: list[Any]
) -> Iterator[Any]:
    course = line.course
    months = line.validity_months or course.validity_months
    assigned = joined
    title = f"{course.code} {course.title}"
    while True:
        if assigned >= today - timedelta(days=5) or rng.random() < 0.06:
            # Still open: due, or overdue when its due date has passed.
            state = (
                "awaiting_trainer"
                if course.kind == "on_the_job" and rng.random() < 0.3
                else "assigned"
            )
            yield record(
                person,
                line,
                title=title,
                course=course,
                assigned_on=min(assigned, today),
                state=state,
            )
            return
        done = min(assigned + timedelta(days=rng.randint(1, 40)), today)
        expires = add_months(done, months) if months else None
        lapsed = expires is not None and expires <= today
        yield record(
            person, line, title=title, course=course, assigned_on=assigned, completed_on=done,
            expires_on=expires, method=course.kind, state="expired" if lapsed else "completed",
            trainer=rng.choice(trainers) if course.kind == "on_the_job" else None,
        )  # fmt: skip
        if not lapsed:
            return
        if rng.random() < 0.05:
            return  # lapsed and not yet assigned again: expired on the matrix
        assigned = expires


def _reading_history(
    record: Any, person: Any, line: Any, document: Any, revision_a: int | None,
    joined: date, today: date, rng: Any,
) -> Iterator[Any]:  # fmt: skip
    readings = []
    if revision_a is not None:
        readings.append((revision_a, "A"))
    readings.append((document.effective_revision_id, document.effective_label))
    assigned = joined
    for n, (revision, label) in enumerate(readings):
        last = n == len(readings) - 1
        title = f"{document.number} rev {label} {document.title}"
        fields = {
            "title": title, "document_id": document.id, "document_number": document.number,
            "revision_id": revision, "revision_label": label,
        }  # fmt: skip
        if last and rng.random() < 0.12:
            yield record(
                person,
                line,
                assigned_on=max(assigned, today - timedelta(days=90)),
                state="assigned",
                **fields,
            )
            return
        done = min(assigned + timedelta(days=rng.randint(1, 25)), today)
        yield record(
            person,
            line,
            assigned_on=assigned,
            completed_on=done,
            method="reading",
            state="completed",
            **fields,
        )
        assigned = min(done + timedelta(days=rng.randint(120, 500)), today)


def records(
    org: Org, found: list[Any], lines: list[Any], rng: random.Random, *, progress: bool
) -> int:
    from qualitas.training.models import TrainingRecord

    batch: list[Any] = []
    count = 0
    for made in histories(org, found, lines, rng):
        batch.append(made)
        if len(batch) >= BATCH:
            bulk(TrainingRecord, batch)
            count += len(batch)
            batch = []
            if progress and count % 25_000 == 0:
                print(f"  {count:,} training records", flush=True)
    bulk(TrainingRecord, batch)
    return count + len(batch)


def build(*, seed: int = 20261207, progress: bool = True) -> str:
    from django.db import connection

    from qualitas.core.models import User

    if User.objects.filter(username__startswith=f"{PREFIX}p").count() >= PEOPLE:
        return "kept the bench already built"
    import factory.random

    factory.random.reseed_random(seed)
    rng = random.Random(seed)
    started = time.perf_counter()
    org = organisation(progress=progress)
    found = people(org, rng)
    lines = curricula(org, rng)
    count = records(org, found, lines, rng, progress=progress)
    with connection.cursor() as cursor:
        for table in ("core_user", "training_requirement", "training_trainingrecord",
                      "training_jobrole_members"):  # fmt: skip
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    seconds = time.perf_counter() - started
    return (
        f"{len(found):,} people, {len(lines)} curriculum lines, {count:,} training records "
        f"in {seconds:.0f} s"
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
