"""Build a large nonconformance table on PostgreSQL, each row's creation on the audit chain.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/platform/build.py --rows 100000
    .venv/bin/python bench/platform/build.py --rows 1000000     # extends a smaller build

The database (DATABASE_URL, default qualitas_bench_platform on the local server) is created
and migrated when missing; `--fresh` drops it first. A build that already holds the rows asked
for (or up to 1% more) is kept; a smaller one is extended.

How: a handful of nonconformances are raised through `raise_nonconformance` (real service,
real numbering, real audit events). The create event the trail would hold for each of the
others is computed here with the trail's own code (`audit.snapshot` and `audit._diff` on an
unsaved instance, `audit.canonical_row` and SHA-256 for the chain), after checking that it
gives exactly what the service wrote for the real ones. Rows and events are loaded with COPY
in batches, each in one transaction holding the chain head and number sequences; then one
more nonconformance is raised through the service (its number and its link in the chain must
follow the loaded ones) and `qualitas verify-audit-trail` must pass.

Shortcut of the bench, said plainly: a row past "open" carries only its create event; the
transitions that took it there are not in the trail (the lists measured here never read them).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_platform"
FIRST_REAL = 6  # raised through the service in a new build, before the bulk
BATCH = 25_000  # rows per COPY transaction
SPAN = timedelta(days=3 * 365)  # created_at spread over the three years before the build
PREFIX = "bench-"  # usernames of the bench's people

SITES = [
    ("SHF", "Sheffield Works"),
    ("BHM", "Birmingham Assembly"),
    ("LYO", "Lyon Usinage"),
    ("KRK", "Kraków Odlewnia"),
    ("PNQ", "Pune Components"),
]
DEPARTMENTS = [("MCH", "Machining"), ("ASM", "Assembly"), ("GIN", "Goods-in"), ("QA", "Quality")]
DEFECTS = {
    ("dimensional", "Dimensional"): ["Bore oversize", "Thread out of gauge", "Flatness", "Length"],
    ("cosmetic", "Cosmetic"): ["Scratch on face", "Paint run", "Dent", "Discolouration"],
    ("material", "Material"): ["Porosity", "Inclusion", "Hardness low", "Wrong alloy"],
    ("labelling", "Labelling"): ["Wrong label", "Missing label", "Illegible marking"],
    ("assembly", "Assembly"): ["Missing fastener", "Torque out of spec", "Wrong part fitted"],
}
FAMILIES = ["HSG", "SHF", "BRK", "PCB", "GSK", "VLV", "IMP", "CVR"]
SUPPLIERS = ["Acme Castings", "Müller GmbH", "Tata Forgings", "Nordic Polymers", "Odlewnia Kraków"]
CUSTOMERS = ["Northwind Motors", "Rhône Pumps", "Vistula Rail", "Deccan Agri", "Pennine Aero"]
STAGES = ["goods-in", "machining", "heat treatment", "assembly", "final test", "packing"]
UNITS = ["pcs", "pcs", "pcs", "kg", "m"]
# Where a nonconformance is now, by age: old ones are mostly closed or cancelled.
STATES_RECENT = {
    "open": 30,
    "containment": 15,
    "review": 15,
    "disposition": 12,
    "verification": 10,
    "closed": 15,
    "cancelled": 3,
}
STATES_OLD = {
    "open": 2,
    "containment": 1,
    "review": 1,
    "disposition": 1,
    "verification": 2,
    "closed": 85,
    "cancelled": 8,
}
# Versions a record reaches on the usual path to its state (one per transition).
STEPS = {
    "open": 0,
    "containment": 1,
    "review": 2,
    "disposition": 3,
    "verification": 4,
    "closed": 5,
    "cancelled": 1,
}


# --- Database --------------------------------------------------------------------------------


def database_url(given: str | None = None) -> str:
    """The benchmark's PostgreSQL database; SQLite is refused with one readable line."""
    url = given or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench/platform needs PostgreSQL (COPY, trigram indexes); got {url!r}")
    return url


def prepare_database(url: str, *, fresh: bool = False, at_most: int | None = None) -> None:
    """Create the database when missing; drop it first when asked, or when it already holds
    more than `at_most` nonconformances, 1% aside (a smaller table cannot be had by
    extending)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not fresh and at_most is not None:
            # The records a benchmark raises itself (a few API creates) do not count.
            fresh = _held(url) > at_most * 1.01
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            admin.execute(f'CREATE DATABASE "{name}"')


def _held(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT to_regclass('nonconformance_nonconformance')").fetchone()
        if not found or found[0] is None:
            return 0
        row = conn.execute("SELECT count(*) FROM nonconformance_nonconformance").fetchone()
        return int(row[0]) if row else 0


def configure(url: str) -> None:
    """Django on the benchmark database, migrated; call once per process."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- The organisation ------------------------------------------------------------------------


@dataclass
class Org:
    manager: Any
    sites: list[Any]
    departments: list[Any]
    people: dict[int, list[Any]]  # site id -> people who raise and own NCs there
    codes: list[Any]
    parts: list[str] = field(default_factory=list)


def organisation() -> Org:
    """The bench's sites, people and defect codes: made on the first build, found after."""
    from qualitas.core import audit, permissions
    from qualitas.core.models import Department, Site, User
    from qualitas.nonconformance.models import DefectCategory, DefectCode
    from tests.factories import DepartmentFactory, SiteFactory, UserFactory, with_role

    if not User.objects.filter(username=f"{PREFIX}qm").exists():
        import factory.random

        factory.random.reseed_random(20261207)
        sites = [SiteFactory(code=code, name=name) for code, name in SITES]
        for code, name in DEPARTMENTS:
            DepartmentFactory(code=code, name=name)
        manager = UserFactory(username=f"{PREFIX}qm", site=sites[0], job_title="Quality Manager")
        for site in sites:  # the role held at every site, one assignment each
            with_role(manager, permissions.QUALITY_MANAGER, site=site)
        for n in range(40):
            site = sites[n % len(sites)]
            person = UserFactory(username=f"{PREFIX}inspector{n:02d}", site=site)
            with_role(person, permissions.CONTRIBUTOR, site=site)
        with audit.context(actor=None, actor_name="Qualitas benchmark"):
            for (code, name), kinds in DEFECTS.items():
                category = DefectCategory.objects.create(code=code, name=name)
                for n, kind in enumerate(kinds, start=1):
                    DefectCode.objects.create(
                        category=category, code=f"{code[:3].upper()}-{n:02d}", name=kind
                    )
    sites = list(Site.objects.filter(code__in=[c for c, _ in SITES]).order_by("code"))
    people: dict[int, list[Any]] = {site.pk: [] for site in sites}
    for person in User.objects.filter(username__startswith=f"{PREFIX}inspector").order_by("pk"):
        people[person.site_id].append(person)
    catalogue = random.Random(len(SITES))  # the same parts on every build and extension
    parts = [f"{catalogue.choice(FAMILIES)}-{catalogue.randint(1000, 9999)}" for _ in range(1500)]
    return Org(
        manager=User.objects.get(username=f"{PREFIX}qm"),
        sites=sites,
        departments=list(Department.objects.filter(code__in=[c for c, _ in DEPARTMENTS])),
        people=people,
        codes=list(DefectCode.objects.select_related("category").order_by("code")),
        parts=parts,
    )


def nc_fields(rng: random.Random, org: Org, created: datetime) -> tuple[Any, dict[str, Any]]:
    """Who raises it and what they write: a plausible nonconformance found on `created`."""
    site = rng.choice(org.sites)
    raiser = rng.choice(org.people[site.pk])
    code = rng.choice(org.codes) if rng.random() < 0.9 else None
    part = rng.choice(org.parts)
    kind = code.name if code is not None else "Out of specification"
    found = created.date() - timedelta(days=rng.choice((0, 0, 0, 1, 2, 5)))
    affected = rng.randint(1, 500)
    source = rng.choice(
        ["in_process"] * 4 + ["incoming_inspection"] * 3 + ["final_inspection"] * 2
        + ["customer_complaint", "supplier", "internal_audit", "production"]
    )  # fmt: skip
    fields: dict[str, Any] = {
        "title": f"{kind} on {part}",
        "source": source,
        "detection_stage": rng.choice(STAGES) if rng.random() < 0.6 else "",
        "part_number": part,
        "part_revision": rng.choice("ABCD"),
        "lot_number": f"L{found:%y}{found.isocalendar().week:02d}-{rng.randint(1, 400):03d}",
        "quantity_affected": Decimal(affected),
        "quantity_nonconforming": Decimal(rng.randint(1, affected)),
        "unit": rng.choice(UNITS),
        "defect_code": code,
        "severity": rng.choice(["critical", "major", "major", "minor", "minor", "minor", ""]),
        "requirement": f"Drawing {part} rev {rng.choice('ABCD')}, ±0.0{rng.randint(1, 5)} mm",
        "finding": f"{kind}: {rng.randint(2, 40)} of {affected} checked out of tolerance "
        f"(worst {rng.uniform(0.01, 0.9):.3f} mm over), found at {rng.choice(STAGES)}.",
        "detected_by": raiser,
        "detected_on": found,
        "site": site,
        "owner": rng.choice(org.people[site.pk]),
        "priority": rng.choice(["low", "medium", "medium", "high", "critical"]),
    }
    if source == "supplier" or source == "incoming_inspection":
        fields["supplier_name"] = rng.choice(SUPPLIERS)
    if source == "customer_complaint":
        fields["customer_name"] = rng.choice(CUSTOMERS)
    if rng.random() < 0.2:
        fields["serial_numbers"] = ", ".join(f"SN{rng.randint(10**6, 10**7)}" for _ in range(3))
    if rng.random() < 0.7:
        fields["department"] = rng.choice(org.departments)
    if rng.random() < 0.5:
        fields["due_on"] = found + timedelta(days=rng.choice((7, 14, 30)))
    return raiser, fields


# --- The create event, as the trail writes it ------------------------------------------------


def create_changes(record_type: Any, raiser: Any, fields: dict[str, Any], number: str) -> Any:
    """The unsaved nonconformance `records.create` would save, and the changes its create
    event would carry (the trail's own snapshot and diff, as at pre_save)."""
    from qualitas.core import audit

    record = record_type.model(
        **fields,
        state=record_type.workflow.initial,
        created_by=raiser,
        updated_by=raiser,
        number=number,
    )
    return record, audit._plain(audit._diff(record, None, audit.snapshot(record)))


def check_shape(record_type: Any, raised: list[tuple[Any, dict[str, Any], Any]]) -> None:
    """The computed create event must equal the one the service wrote, field for field."""
    from django.contrib.contenttypes.models import ContentType

    from qualitas.core.models import AuditEvent

    kind = ContentType.objects.get_for_model(record_type.model)
    for raiser, fields, nc in raised:
        stored = AuditEvent.objects.get(object_type=kind, object_id=nc.pk, action="create")
        _, computed = create_changes(record_type, raiser, fields, nc.number)
        if stored.changes != computed or stored.actor_name != raiser.printed_name:
            diff = {
                k for k in {*stored.changes, *computed} if stored.changes.get(k) != computed.get(k)
            }
            raise SystemExit(f"computed create event differs from the service's: {sorted(diff)}")


# --- Bulk load -------------------------------------------------------------------------------


@dataclass
class Numbering:
    """The number sequences, as `numbering.next_number` keeps them (one scope per year)."""

    key: str
    prefix: str
    pattern: str
    last: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, record_type: Any) -> Numbering:
        from qualitas.core import numbering

        pattern = numbering.pattern_for(record_type.key, record_type.number_pattern)
        return cls(record_type.key, record_type.prefix, pattern)

    def scope(self, year: int) -> str:
        head = self.pattern.split("{seq", 1)[0]
        return f"{self.key}:{head.format(prefix=self.prefix, year=year)}"

    def next(self, year: int) -> str:
        scope = self.scope(year)
        self.last[scope] = self.last.get(scope, 0) + 1
        return self.pattern.format(prefix=self.prefix, year=year, seq=self.last[scope])


def _timestamps(
    rng: random.Random, count: int, start: datetime, end: datetime
) -> Iterator[datetime]:
    """`count` creation moments in order between start and end, at random (Poisson) gaps."""
    mean = (end - start).total_seconds() / max(count, 1)
    moment = start
    for _ in range(count):
        moment = min(moment + timedelta(seconds=rng.expovariate(1 / mean)), end)
        yield moment.replace(microsecond=rng.randint(0, 999_999))


def _state(rng: random.Random, created: datetime, now: datetime) -> str:
    weights = STATES_OLD if now - created > timedelta(days=120) else STATES_RECENT
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load(count: int, org: Org, rng: random.Random, *, now: datetime, progress: bool) -> None:
    """COPY `count` nonconformances and their create events, in batches."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from qualitas.core import audit
    from qualitas.core.models import AuditEvent, NumberSequence
    from qualitas.nonconformance import services

    record_type = services.record_type()
    model = record_type.model
    columns = list(model._meta.concrete_fields)
    nc_copy = f'COPY "{model._meta.db_table}" ({", ".join(f.column for f in columns)}) FROM STDIN'
    ev_copy = f"COPY {AuditEvent._meta.db_table} ({', '.join(audit.ROW_FIELDS)}) FROM STDIN"
    kind = ContentType.objects.get_for_model(model).pk
    numbers = Numbering.of(record_type)
    moments = _timestamps(rng, count, now - SPAN, now - timedelta(hours=1))
    done = 0
    started = time.perf_counter()
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic(), connection.cursor() as cursor:
            # Nothing else may append to the chain or take a number meanwhile.
            cursor.execute(
                "SELECT last_event_id, last_hash FROM core_auditchainhead WHERE id = 1 FOR UPDATE"
            )
            last_id, last_hash = cursor.fetchone()
            numbers.last = dict(
                NumberSequence.objects.select_for_update().values_list("scope", "last_value")
            )
            cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{model._meta.db_table}"')  # noqa: S608
            nc_id = cursor.fetchone()[0]
            rows: list[Any] = []
            events: list[Any] = []
            for created in itertools.islice(moments, size):
                raiser, fields = nc_fields(rng, org, created)
                number = numbers.next(timezone.localtime(created).year)
                record, changes = create_changes(record_type, raiser, fields, number)
                nc_id += 1
                record.pk = nc_id
                # What the record became after its creation: state, version, last change.
                state = _state(rng, created, now)
                record.state, record.version = state, 1 + STEPS[state]
                record.created_at = created
                record.updated_at = created
                if state != "open":
                    record.updated_at = min(created + timedelta(days=rng.uniform(0.5, 60)), now)
                    record.updated_by = record.owner
                rows.append([getattr(record, f.attname) for f in columns])
                last_id += 1
                event = (
                    last_id,
                    created + timedelta(microseconds=rng.randint(800, 9000)),
                    raiser.pk,
                    raiser.printed_name,
                    "create",
                    kind,
                    nc_id,
                    str(record)[:300],
                    changes,
                    "",
                    f"{rng.getrandbits(128):032x}",
                    f"10.{rng.randint(0, 4)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                    if rng.random() < 0.8
                    else None,
                    last_hash,
                )
                last_hash = hashlib.sha256(audit.canonical_row((*event, ""))).hexdigest()
                events.append((*event[:8], json.dumps(changes), *event[9:], last_hash))
            raw = cursor.cursor
            with raw.copy(nc_copy) as copy:
                for row in rows:
                    copy.write_row(row)
            with raw.copy(ev_copy) as copy:
                for row in events:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE core_auditchainhead SET last_event_id = %s, last_hash = %s WHERE id = 1",
                [last_id, last_hash],
            )
            for scope, value in numbers.last.items():
                cursor.execute(
                    f"INSERT INTO {NumberSequence._meta.db_table} (scope, last_value) "  # noqa: S608
                    "VALUES (%s, %s) ON CONFLICT (scope) DO UPDATE SET last_value = %s",
                    [scope, value, value],
                )
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), %s)",
                [nc_id],
            )
        done += size
        if progress:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>10,} / {count:,} rows ({rate:,.0f}/s)", file=sys.stderr, flush=True)


# --- The whole build -------------------------------------------------------------------------


@dataclass
class Built:
    rows: int
    added: int
    seconds: float
    manager: Any
    sites: list[Any]


def _raise_real(org: Org, rng: random.Random, count: int) -> list[tuple[Any, dict[str, Any], Any]]:
    from django.utils import timezone

    from qualitas.nonconformance import services

    raised = []
    for _ in range(count):
        raiser, fields = nc_fields(rng, org, timezone.now())
        fields["detected_on"] = timezone.localdate()
        raised.append((raiser, fields, services.raise_nonconformance(actor=raiser, **fields)))
    return raised


def verify_trail() -> str:
    """`qualitas verify-audit-trail --allow-missing-checkpoint`, which must pass."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("verify-audit-trail", "--allow-missing-checkpoint", stdout=out)
    report = out.getvalue()
    if "Audit trail intact" not in report:
        raise SystemExit(f"verify-audit-trail did not pass:\n{report}")
    return report.strip()


def build(rows: int, *, seed: int = 20261207, progress: bool = True) -> Built:
    """Make the table hold at least `rows` nonconformances (extending what is there)."""
    from django.db import connection
    from django.utils import timezone

    from qualitas.core.models import NumberSequence
    from qualitas.nonconformance import services
    from qualitas.nonconformance.models import Nonconformance

    started = time.perf_counter()
    held = Nonconformance.objects.count()
    rng = random.Random(seed + held)
    org = organisation()
    if held >= rows:
        return Built(held, 0, time.perf_counter() - started, org.manager, org.sites)
    real = FIRST_REAL if held == 0 else 0
    if real:
        check_shape(services.record_type(), _raise_real(org, rng, real))
    bulk = max(rows - held - real - 1, 0)
    load(bulk, org, rng, now=timezone.now(), progress=progress)
    # One more through the service: its number and chain link must follow the loaded ones.
    numbers = Numbering.of(services.record_type())
    numbers.last = dict(NumberSequence.objects.values_list("scope", "last_value"))
    expected = numbers.next(timezone.localdate().year)
    ((_, _, last),) = _raise_real(org, rng, 1)
    if last.number != expected:
        raise SystemExit(f"numbering did not continue: {last.number}, expected {expected}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) nonconformance_nonconformance")
        cursor.execute("VACUUM (ANALYZE) core_auditevent")
    total = Nonconformance.objects.count()
    return Built(total, total - held, time.perf_counter() - started, org.manager, org.sites)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=None, help=f"default DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)
    url = database_url(args.database)
    prepare_database(url, fresh=args.fresh, at_most=args.rows)
    configure(url)
    built = build(args.rows)
    print(f"{built.rows:,} nonconformances ({built.added:,} added) in {built.seconds:.0f} s")
    started = time.perf_counter()
    print(verify_trail())
    print(f"verified in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
