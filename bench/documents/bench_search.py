"""Benchmark of document full-text search (qualitas.documents.search) against a bare floor.

Run from the repository root::

    .venv/bin/python bench/documents/bench_search.py              # SQLite, 3,000 documents
    .venv/bin/python bench/documents/bench_search.py --postgres   # PostgreSQL
    .venv/bin/python bench/documents/bench_search.py --scale 0.1  # quick check

SQLite runs in a temporary directory. PostgreSQL runs in a database of its own,
`qualitas_bench` on postgres://postgres@127.0.0.1:5432 (``--postgres URL`` for another),
created by the script and dropped at the end.

The corpus is built straight into the tables (no services, no audit trail): 3,000
documents of nine types, one to two revisions each, 500 to 3,000 words of quality-system
prose per revision (about 70% of documents have an effective revision; the rest are new
drafts, and some effective ones carry a superseded or a draft revision beside it).

Measured:

1. Index build: inserting every search entry (SQLite: the FTS5 triggers; PostgreSQL: the
   generated tsvector and the GIN index), against inserting the same rows into a plain
   table with no index; then a full rebuild (FTS5 'rebuild', REINDEX of the GIN index) and
   the per-revision cost of `services.index` (one revision's entry rewritten).
2. Search latency, median and 95th percentile over 51 varied queries (words, pairs,
   phrases, prefixes, document numbers, exclusions, alternatives, a word found nowhere),
   through `search_revisions` (limit 20, with total, permission filter, head boost and
   snippets) for a reader (viewer role: effective revisions only) and for a quality
   manager (sees everything), against the floor: the same engine query written by hand
   (match, rank, order, limit 20) with no permission filter, no count and no snippets.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_DOCUMENTS = 3000
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/qualitas_bench"
AUTHORS = 20

# ------------------------------------------------------------------------------ the corpus


def _split(separator: str | None, text: str) -> list[str]:
    return text.split(separator)


# document type code -> title patterns
TITLES = {
    "quality-manual": ["Quality manual {site}"],
    "policy": ["{Topic} policy", "Policy on {topic}"],
    "procedure": ["Control of {topic}", "{Topic}", "Management of {topic}", "{Topic} process"],
    "work-instruction": ["{Action} {object}", "{Object}: {action}", "{Action} the {object}"],
    "form": ["{Topic} form", "{Topic} checklist", "{Object} record"],
    "specification": ["Specification for {object}", "{Object} specification"],
    "drawing": ["Drawing {object} assembly"],
    "external": ["Customer requirements: {topic}", "Supplier manual: {topic}"],
    "record": ["{Topic} record", "{Object} log"],
}
TYPE_WEIGHTS = {
    "quality-manual": 1,
    "policy": 3,
    "procedure": 30,
    "work-instruction": 35,
    "form": 15,
    "specification": 8,
    "drawing": 3,
    "external": 2,
    "record": 3,
}
TOPICS = _split(
    "|",
    "documents and records|nonconforming product|corrective and preventive action|internal "
    "audits|management review|supplier evaluation|incoming inspection|calibration of measuring "
    "equipment|training and competence|customer complaints|risk management|change control|"
    "design and development|design transfer|process validation|software validation|"
    "sterilization|cleanroom monitoring|environmental monitoring|labelling|packaging|"
    "traceability|product identification|handling and storage|preservation|servicing|"
    "post-market surveillance|vigilance reporting|field safety corrective actions|"
    "statistical techniques|sampling plans|measurement system analysis|control plans|"
    "process FMEA|design FMEA|first article inspection|production part approval|"
    "purchasing|outsourced processes|infrastructure|maintenance|work environment|"
    "contamination control|electrostatic discharge|pest control|water systems|"
    "batch release|deviation handling|out-of-specification results|stability testing|"
    "data integrity|electronic signatures|access control|backup and restore|"
    "quality objectives|customer satisfaction|returned goods|rework|scrap|concessions",
)
OBJECTS = _split(
    "|",
    "torque wrench|micrometer|caliper|height gauge|coordinate measuring machine|"
    "pressure gauge|thermometer|balance|pH meter|oscilloscope|multimeter|hardness tester|"
    "injection moulding machine|CNC lathe|milling centre|reflow oven|wave soldering line|"
    "autoclave|washer-disinfector|sealing machine|label printer|laminar flow hood|"
    "compressor|chiller|water purification unit|particle counter|leak tester|"
    "crimping tool|ultrasonic welder|laser marker|pick-and-place machine|conveyor|"
    "spindle|fixture|test bench|cleanroom garment|ESD workstation|incoming goods area",
)
ACTIONS = _split(
    "|",
    "Calibrate|Verify|Clean|Set up|Inspect|Maintain|Qualify|Operate|Disinfect|Adjust|"
    "Replace|Store|Release|Label|Pack|Sample|Test|Audit|Decontaminate|Start up|Shut down",
)
DOMAIN = _split(
    None,
    "calibration verification validation qualification inspection audit auditor supplier "
    "customer complaint nonconformance nonconforming deviation concession rework scrap "
    "corrective preventive action root cause analysis effectiveness check containment "
    "disposition specification tolerance drawing revision approval approver reviewer "
    "training competence record procedure instruction form checklist requirement clause "
    "standard regulation regulatory authority notified body certificate registration "
    "risk hazard harm severity occurrence detection mitigation control plan FMEA "
    "measurement gauge instrument reference standard uncertainty traceability traceable "
    "accuracy precision repeatability reproducibility resolution bias linearity stability "
    "sample sampling lot batch serial number identification label labelling packaging "
    "sterile sterilization bioburden endotoxin cleanroom particle viable nonviable "
    "environmental monitoring temperature humidity pressure differential airflow "
    "maintenance preventive breakdown spare part equipment machine tool fixture setup "
    "process parameter window capability index Cpk Ppk statistical chart trend "
    "signal limit alarm alert action level excursion investigation impact assessment "
    "change request implementation effective date superseded obsolete withdrawn archive "
    "retention period electronic signature access password account privilege backup "
    "restore data integrity ALCOA attributable legible contemporaneous original accurate "
    "management review objective indicator target performance improvement opportunity "
    "purchase order supplier evaluation approved supplier list incoming goods receipt "
    "quarantine release hold reject accept decision responsible accountable informed "
    "document controller quality manager production manager operator technician engineer "
    "laboratory analyst inspector storekeeper planner buyer sales service field return "
    "torque wrench micrometer caliper thermometer balance autoclave compressor spindle "
    "solder joint crimp weld seal leak test pressure vacuum cycle load chamber probe",
)
COMMON = _split(
    None,
    "the of and to a in is for be by with as on that are this or shall must should may "
    "each all any from at when if not it its their which who where before after during "
    "within per than then also only other such these those into out up new more most "
    "used using use made make done kept keep checked check given give taken take "
    "following described required defined documented recorded reviewed approved issued "
    "applicable relevant appropriate necessary responsible available current previous "
    "first last next daily weekly monthly yearly annual every least once twice "
    "area site department team person people time date result results value values "
    "report reports copy copies file files system systems work product products part "
    "parts material materials order orders customer information details reason reasons",
)
REFERENCES = _split(
    "|",
    "ISO 9001 clause 7.5.3|ISO 13485 clause 4.2.4|ISO 13485 clause 7.6|21 CFR 820.70|"
    "21 CFR Part 11|EU MDR Annex IX|IATF 16949 clause 8.5.1.1|ISO 14971|IEC 62304|"
    "ISO 11135|ISO 14644-1|ISO 17025|AQL 1.0 level II|ANSI/ESD S20.20",
)


SUPPLIERS = _split(
    "|",
    "Acme Precision|Borealis Plastics|Castell Metrology|Delta Sterile Services|Eisenwerk "
    "Kühn|Fjord Electronics|Granite Castings|Helix Medical Packaging|Iberica Moldes|Jura "
    "Kalibrierdienst|Kestrel Logistics|Lumen Optics|Meridian Labs|Nordic Seals|Orion "
    "Fasteners|Pallas Chemicals|Quantum PCB|Rhein Oberflächentechnik|Sable Springs|Tamar "
    "Tooling",
)


class Writer:
    """Quality-system prose. Each document dwells on a few dozen domain words (its topic)
    and mentions others in passing, over common words; words are drawn with Zipf-like
    weights, so a domain word appears in some documents, not in all."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.numbers: list[str] = []
        self.words: list[str] = []
        self.cumulative: list[float] = []

    def start_document(self) -> None:
        rng = self.rng
        focus = rng.sample(DOMAIN, 40)
        common = rng.sample(COMMON, len(COMMON))
        words = [*common, *focus, *DOMAIN]
        weights = [
            *(0.50 * w for w in _zipf(len(common))),
            *(0.45 * w for w in _zipf(len(focus))),
            *([0.05 / len(DOMAIN)] * len(DOMAIN)),
        ]
        self.words = words
        self.cumulative = list(itertools.accumulate(weights))

    def sentence(self) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cumulative, k=rng.randint(8, 22))
        roll = rng.random()
        if roll < 0.08 and self.numbers:
            words.insert(rng.randrange(len(words)), f"see {rng.choice(self.numbers)}")
        elif roll < 0.14:
            words.append(f"({rng.choice(REFERENCES)})")
        elif roll < 0.22:
            value = f"{rng.uniform(0.1, 250):.{rng.randint(0, 3)}f}"
            words.append(f"{value} {rng.choice(['mm', 'Nm', '°C', 'bar', '%', 'µm', 'kPa'])}")
        elif roll < 0.25:
            words.append(f"P/N {rng.randint(1000, 9999)}-{rng.randint(100, 999)}")
        elif roll < 0.28:
            words.append(f"on equipment EQ-{rng.randint(1, 2000):04}")
        elif roll < 0.30:
            words.append(f"from {rng.choice(SUPPLIERS)}")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def body(self, words: int) -> str:
        """Markdown of about `words` words: headings, paragraphs and bullet lists."""
        rng = self.rng
        parts: list[str] = []
        written = 0
        while written < words:
            if rng.random() < 0.12:
                parts.append(f"## {rng.choice(TOPICS).capitalize()}")
            if rng.random() < 0.15:
                part = "\n".join(f"- {self.sentence()}" for _ in range(rng.randint(2, 6)))
            else:
                part = " ".join(self.sentence() for _ in range(rng.randint(2, 6)))
            parts.append(part)
            written += len(part.split())
        return "\n\n".join(parts)

    def title(self, type_code: str) -> str:
        rng = self.rng
        topic, obj, action = rng.choice(TOPICS), rng.choice(OBJECTS), rng.choice(ACTIONS)
        return rng.choice(TITLES[type_code]).format(
            topic=topic,
            Topic=topic.capitalize(),
            object=obj,
            Object=obj.capitalize(),
            action=action.lower(),
            Action=action,
            site=rng.choice(["Headquarters", "Plant 2", "Europe"]),
        )


def _zipf(n: int) -> list[float]:
    weights = [1.0 / (rank + 1) for rank in range(n)]
    total = sum(weights)
    return [w / total for w in weights]


def edited(rng: random.Random, writer: Writer, body: str) -> str:
    """The next revision's text: most paragraphs kept, some rewritten or added."""
    paragraphs = body.split("\n\n")
    for _ in range(max(1, len(paragraphs) // 5)):
        paragraphs[rng.randrange(len(paragraphs))] = writer.body(60)
    return "\n\n".join(paragraphs)


# ------------------------------------------------------------------------------ setting up


def configure(postgres: str | None, data_dir: str) -> None:
    """Point Django at a fresh database and migrate it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["QUALITAS_DATA_DIR"] = data_dir
    if postgres:
        _recreate_postgres(postgres, drop_only=False)
        os.environ["DATABASE_URL"] = postgres
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _recreate_postgres(url: str, *, drop_only: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{name}"')


def build_corpus(documents: int, rng: random.Random) -> dict[str, Any]:
    """Users, documents and revisions, bulk-inserted; returns the search entries to index."""
    from django.db import models

    from qualitas.core import audit, permissions
    from qualitas.documents.models import Document, DocumentRevision, DocumentType
    from tests.factories import UserFactory, with_role

    with audit.context(actor=None, actor_name="benchmark"):
        manager = with_role(UserFactory(username="bench-qm"), permissions.QUALITY_MANAGER)
        reader = with_role(UserFactory(username="bench-viewer"), permissions.VIEWER)
        authors = [
            with_role(UserFactory(username=f"bench-author{n}"), permissions.CONTRIBUTOR)
            for n in range(AUTHORS)
        ]
    types = {t.code: t for t in DocumentType.objects.all()}
    writer = Writer(rng)
    sequences = dict.fromkeys(types, 0)
    plan = []
    for _ in range(documents):
        code = rng.choices(list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values()))[0]
        sequences[code] += 1
        number = f"{types[code].prefix}-{sequences[code]:04}"
        writer.numbers.append(number)
        roll = rng.random()
        if roll < 0.45:
            states = ["effective"]
        elif roll < 0.60:
            states = ["superseded", "effective"]
        elif roll < 0.70:
            states = ["effective", "draft"]
        else:
            states = ["draft"]
        plan.append((code, number, writer.title(code), states, rng.choice(authors)))
    document_rows = [
        Document(
            number=number,
            title=title,
            document_type=types[code],
            owner=author,
            created_by=author,
            updated_by=author,
            status="effective" if "effective" in states else "new",
        )
        for code, number, title, states, author in plan
    ]
    # Straight into the tables: a benchmark corpus, not records anyone made.
    models.QuerySet(Document).bulk_create(document_rows, batch_size=500)
    revisions = []
    for document, (_, number, title, states, author) in zip(document_rows, plan, strict=True):
        writer.start_document()
        text = writer.body(rng.randint(500, 3000))
        for sequence, state in enumerate(states, start=1):
            if sequence > 1:
                text = edited(rng, writer, text)
            label = "ABCDEFGH"[sequence - 1]
            revisions.append(
                DocumentRevision(
                    document=document,
                    label=label,
                    sequence=sequence,
                    number=f"{number} rev {label}",
                    title=title,
                    state=state,
                    owner=author,
                    created_by=author,
                    updated_by=author,
                    content_text=text,
                    effective_on=date(2025, 1, 1) if state != "draft" else None,
                )
            )
    models.QuerySet(DocumentRevision).bulk_create(revisions, batch_size=200)
    entries = [(r.pk, r.number, r.title, r.content_text) for r in revisions]
    return {
        "manager": manager,
        "reader": reader,
        "entries": entries,
        "numbers": writer.numbers,
        "states": [r.state for r in revisions],
    }


# ------------------------------------------------------------------------------ measuring


def _insert(table: str, entries: list[tuple[int, str, str, str]]) -> float:
    from django.db import connection, transaction

    columns = "revision_id, number, title, body"
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - our table
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for first in range(0, len(entries), 200):
            cursor.executemany(sql, entries[first : first + 200])
    return time.perf_counter() - start


def bench_index(entries: list[tuple[int, str, str, str]]) -> list[str]:
    """Build the index by inserting every entry; compare with a plain, unindexed table."""
    from django.db import connection

    from qualitas.documents import services
    from qualitas.documents.models import DocumentRevision

    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_plain_entry (revision_id bigint PRIMARY KEY, "
            "number varchar(40) NOT NULL, title varchar(200) NOT NULL, body text NOT NULL)"
        )
    plain = _insert("bench_plain_entry", entries)
    indexed = _insert("documents_searchentry", entries)
    megabytes = sum(len(e[3].encode()) for e in entries) / 2**20
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plain_entry")
        start = time.perf_counter()
        if vendor == "postgresql":
            cursor.execute("REINDEX INDEX documents_searchentry_search")
            rebuilt = time.perf_counter() - start
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(
                "SELECT pg_total_relation_size('documents_searchentry'), "
                "pg_relation_size('documents_searchentry_search')"
            )
            total, index = cursor.fetchone()
            size = f"table with TOAST {total / 2**20:.0f} MiB, GIN index {index / 2**20:.0f} MiB"
            rebuild = "REINDEX of the GIN index"
        else:
            cursor.execute(
                "INSERT INTO documents_search_fts(documents_search_fts) VALUES ('rebuild')"
            )
            rebuilt = time.perf_counter() - start
            cursor.execute("ANALYZE")
            cursor.execute("SELECT sum(length(block)) FROM documents_search_fts_data")
            size = f"FTS5 index {cursor.fetchone()[0] / 2**20:.0f} MiB"
            rebuild = "FTS5 'rebuild'"
    sample = list(DocumentRevision.objects.order_by("?")[:50])
    start = time.perf_counter()
    for revision in sample:
        services.index(revision)
    per_revision = (time.perf_counter() - start) / len(sample)
    return [
        f"index build, {len(entries):,} entries ({megabytes:.0f} MiB of text): "
        f"{indexed:.1f} s, plain insert {plain:.1f} s, ratio {indexed / plain:.1f}x; {size}",
        f"full rebuild ({rebuild}): {rebuilt:.1f} s; services.index per revision "
        f"{per_revision * 1000:.1f} ms",
    ]


def queries(numbers: list[str], rng: random.Random) -> list[str]:
    """Fifty-one searches of the kinds people type."""
    picked = rng.sample(numbers, 5)
    return [
        *_split(
            None,
            "calibration supplier nonconformance audit inspection validation training "
            "deviation traceability cleanroom torque specification complaint sterilization "
            "risk",
        ),
        "supplier audit",
        "torque calibration",
        "risk assessment",
        "batch release",
        "corrective action effectiveness",
        "incoming goods quarantine",
        "electronic signature password",
        "cleanroom particle monitoring",
        '"corrective action"',
        '"incoming goods"',
        '"root cause analysis"',
        '"data integrity"',
        '"spare part"',
        '"control plan"',
        "calib",
        "nonconf",
        "trace",
        "steril",
        "valid",
        "insp",
        "suppl",
        "qualif",
        *picked,
        picked[0].split("-")[1],
        "calibration -torque",
        "audit -supplier",
        "sterilization -autoclave",
        "gauge OR micrometer",
        "autoclave OR washer",
        "Cpk OR Ppk",
        "zirconium",
        "ISO 13485",
    ]


def floor_query(text: str) -> Callable[[], int]:
    """The engine's own match, rank and limit on the same query text, and nothing else."""
    from django.db import connection

    from qualitas.documents import search

    clauses = search.parse(text)
    if connection.vendor == "postgresql":
        sql = """
            SELECT revision_id, ts_rank_cd(search, to_tsquery('english', %s), 32) AS score
            FROM documents_searchentry WHERE search @@ to_tsquery('english', %s)
            ORDER BY score DESC LIMIT 20
        """
        written = search._PostgreSQL.query(clauses)
        params: list[Any] = [written, written]
    else:
        sql = """
            SELECT rowid, bm25(documents_search_fts, 10.0, 5.0, 1.0) AS score
            FROM documents_search_fts WHERE documents_search_fts MATCH %s
            ORDER BY score LIMIT 20
        """
        params = [search._SQLite.query(clauses)]

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    return run


def timed(run: Callable[[], Any], repeats: int) -> float:
    """Median of `repeats` runs, in milliseconds."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench_search(corpus: dict[str, Any], rng: random.Random, repeats: int) -> list[str]:
    from qualitas.documents import search

    texts = queries(corpus["numbers"], rng)
    rows: dict[str, list[float]] = {"reader": [], "manager": [], "floor": []}
    found: dict[str, list[int]] = {"reader": [], "manager": []}
    for text in texts:
        floor = floor_query(text)
        floor()
        rows["floor"].append(timed(floor, repeats))
        for who in ("reader", "manager"):
            user = corpus[who]
            page = search.search_revisions(user, text)
            found[who].append(page.total)
            rows[who].append(timed(lambda u=user, t=text: search.search_revisions(u, t), repeats))
    floor_median, floor_p95 = statistics.median(rows["floor"]), p95(rows["floor"])
    lines = [
        f"search, {len(texts)} queries (median of {repeats} runs each), milliseconds: "
        f"floor median {floor_median:.1f}, p95 {floor_p95:.1f}"
    ]
    for who, label in (("reader", "reader (viewer)"), ("manager", "quality manager")):
        median, high = statistics.median(rows[who]), p95(rows[who])
        lines.append(
            f"  {label}: median {median:.1f} ({median / floor_median:.1f}x floor), "
            f"p95 {high:.1f} ({high / floor_p95:.1f}x floor); "
            f"median hits {statistics.median(found[who]):.0f}, max {max(found[who]):,}"
        )
    slowest = sorted(zip(rows["manager"], texts, strict=True), reverse=True)[:3]
    lines.append(
        "  slowest for the quality manager: "
        + ", ".join(f"{text!r} {ms:.0f} ms" for ms, text in slowest)
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier (default 1)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="URL",
        help=f"run on PostgreSQL (default {DEFAULT_POSTGRES}; the database is recreated)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats per query")
    args = parser.parse_args(argv)
    documents = max(50, int(DEFAULT_DOCUMENTS * args.scale))
    rng = random.Random(20260501)
    with tempfile.TemporaryDirectory(prefix="qualitas-bench-") as data_dir:
        configure(args.postgres, data_dir)
        try:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT version()" if args.postgres else "SELECT 'SQLite ' || sqlite_version()"
                )
                engine = cursor.fetchone()[0].split(" on ")[0]
            print(f"{engine}; {documents:,} documents")
            start = time.perf_counter()
            corpus = build_corpus(documents, rng)
            states = corpus["states"]
            print(
                f"corpus: {len(states):,} revisions ({states.count('effective'):,} effective, "
                f"{states.count('draft'):,} draft, {states.count('superseded'):,} superseded) "
                f"built in {time.perf_counter() - start:.0f} s"
            )
            for line in bench_index(corpus["entries"]):
                print(line)
            for line in bench_search(corpus, rng, args.repeats):
                print(line)
        finally:
            if args.postgres:
                from django.db import connections

                connections.close_all()
                _recreate_postgres(args.postgres, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
