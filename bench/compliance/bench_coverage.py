"""Time compliance coverage on the bench (build it first with bench/compliance/build.py):

- the page /compliance/scopes/<pk>/coverage/, through django.test.Client signed in as the
  bench's quality manager;
- its XLSX export (?export=xlsx, every requirement with its evidence);
- the API /api/v1/frameworks/{key}/coverage?site=<id>;

for the customer framework's scope (3,000 requirements) and ISO 27001's (139), each against
the same coverage computed by one raw SQL statement (applicability, exclusions inherited
down the tree, each piece of evidence judged now, headings rolled up from what they hold),
fetched to Python with each requirement's evidence. Prints the median of 5 runs after a
warm-up, the ratio to the SQL and the number of queries per request, the two scopes side by
side (it must not grow with the requirements or the evidence).

    .venv/bin/python bench/compliance/bench_coverage.py [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import answered, count_queries, median_ms, profile
from bench.compliance.build import (
    CUSTOMER_KEY,
    ISO_27001_KEY,
    configure,
    database_url,
    manager_username,
)

# The record types the bench's evidence names; the SQL joins their tables.
RECORD_TYPES = ("nonconformance", "capa")

# Coverage in one statement, as qualitas.compliance.coverage decides it:
# - req: the framework's requirements in force with what the scope says of them;
# - walk: excluded when said not applicable, or under an excluded heading (from the roots);
# - pieces: the scope's evidence and the scope-less evidence, judged now (a document while
#   effective, a record unless void, a justification always), and the active checks at the
#   scope's site or everywhere (passing, run within twice their interval);
# - own: a requirement's state from its own evidence (partly when marked so);
# - down/rollup: a heading (not audited itself, with requirements under it) is what the
#   requirements it stands for are, found by walking down through the headings under it;
#   rolling up level by level comes to the same as rolling up these at once.
COVERAGE_SQL = """
WITH RECURSIVE req AS (
    SELECT r.id, r.parent_id, r.ref_id, r.title, r.auditable, r."order",
           a.applicable, a.implementation,
           EXISTS (SELECT 1 FROM compliance_requirement c
                   WHERE c.parent_id = r.id AND NOT c.retired) AS has_children
    FROM compliance_requirement r
    LEFT JOIN compliance_applicability a
           ON a.scope_id = %(scope)s AND a.requirement_id = r.id
    WHERE r.framework_id = %(framework)s AND NOT r.retired
),
walk AS (
    SELECT r.id, COALESCE(NOT r.applicable, false) AS excluded
    FROM req r
    WHERE r.parent_id IS NULL OR r.parent_id NOT IN (SELECT id FROM req)
    UNION ALL
    SELECT c.id, w.excluded OR COALESCE(NOT c.applicable, false)
    FROM walk w JOIN req c ON c.parent_id = w.id
),
node AS (
    SELECT r.*, w.excluded,
           NOT w.excluded AND NOT r.auditable AND r.has_children AS rolled
    FROM req r JOIN walk w ON w.id = r.id
),
pieces AS (
    SELECT e.requirement_id, e.added_at AS at, e.id AS seq,
           CASE WHEN e.kind = 'justification' THEN e.note
                ELSE COALESCE(d.number, rec.number, e.reference) END AS reference,
           CASE e.kind
               WHEN 'document' THEN COALESCE(d.status = 'effective'
                                             AND d.current_revision_id IS NOT NULL, false)
               WHEN 'record' THEN COALESCE(rec.state <> ALL(%(void)s), false)
               ELSE true
           END AS current
    FROM compliance_evidence e
    JOIN req ON req.id = e.requirement_id
    LEFT JOIN documents_document d ON e.kind = 'document' AND d.id = e.document_id
    LEFT JOIN LATERAL ({records}) rec ON e.kind = 'record'
    WHERE e.removed_at IS NULL AND (e.scope_id = %(scope)s OR e.scope_id IS NULL)
    UNION ALL
    SELECT m.requirement_id, 'infinity'::timestamptz, c.id, c.key,
           c.last_state = 'pass' AND c.last_run_at IS NOT NULL
           AND c.last_run_at >= %(now)s - make_interval(hours => 2 * GREATEST(c.interval_hours, 1))
    FROM compliance_compliancecheck_requirements m
    JOIN compliance_compliancecheck c ON c.id = m.compliancecheck_id
    JOIN req ON req.id = m.requirement_id
    WHERE c.active AND (c.site_id IS NULL OR c.site_id = %(site)s)
),
judged AS (
    SELECT requirement_id, bool_or(current) AS any_current,
           count(*) FILTER (WHERE current) AS current_pieces,
           array_agg(reference ORDER BY at, seq) AS refs
    FROM pieces GROUP BY requirement_id
),
own AS (
    SELECT n.id,
           CASE
               WHEN n.excluded THEN 'not_applicable'
               WHEN j.any_current AND n.implementation = 'partly' THEN 'partly'
               WHEN j.any_current THEN 'covered'
               WHEN j.requirement_id IS NOT NULL THEN 'partly'
               ELSE 'not_covered'
           END AS state
    FROM node n LEFT JOIN judged j ON j.requirement_id = n.id
),
down AS (
    SELECT h.id AS heading, c.id AS below
    FROM node h JOIN node c ON c.parent_id = h.id
    WHERE h.rolled
    UNION ALL
    SELECT d.heading, c.id
    FROM down d JOIN node n ON n.id = d.below AND n.rolled JOIN node c ON c.parent_id = n.id
),
rollup AS (
    SELECT d.heading AS id,
           CASE
               WHEN bool_and(o.state = 'not_applicable') THEN 'not_applicable'
               WHEN bool_and(o.state IN ('covered', 'not_applicable')) THEN 'covered'
               WHEN bool_and(o.state IN ('not_covered', 'not_applicable')) THEN 'not_covered'
               ELSE 'partly'
           END AS state
    FROM down d JOIN node n ON n.id = d.below AND NOT n.rolled JOIN own o ON o.id = n.id
    GROUP BY d.heading
)
SELECT n.id, n.ref_id, n.title, n.auditable, COALESCE(u.state, o.state),
       COALESCE(j.current_pieces, 0), COALESCE(cardinality(j.refs), 0), j.refs
FROM node n
JOIN own o ON o.id = n.id
LEFT JOIN rollup u ON u.id = n.id
LEFT JOIN judged j ON j.requirement_id = n.id
ORDER BY n."order", n.id
"""


def coverage_sql() -> str:
    """The statement with the bench's record types' tables (names from the models' meta:
    nothing from outside goes into the SQL)."""
    from qualitas.core import records

    parts = []
    for key in RECORD_TYPES:
        table = records.RECORD_TYPES[key].model._meta.db_table
        parts.append(
            f"SELECT t.state, t.number FROM {table} t "  # noqa: S608  (names from the code)
            f"WHERE e.record_type = '{key}' AND t.id = e.record_id"
        )
    return COVERAGE_SQL.replace("{records}", " UNION ALL ".join(parts))


def raw_coverage(scope: Any) -> list[tuple[Any, ...]]:
    from django.db import connection, transaction
    from django.utils import timezone

    from qualitas.compliance import coverage as cov

    params = {
        "scope": scope.pk,
        "framework": scope.framework_id,
        "site": scope.site_id,
        "now": timezone.now(),
        "void": sorted(cov.VOID_STATES),
    }
    # The planner cannot guess the recursive CTEs' sizes, prices the statement in the
    # billions and JIT-compiles it: 3 s of compiling for 10 ms of work. Off, for this one.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(coverage_sql(), params)
        return list(cursor.fetchall())


def check_same(scope: Any) -> tuple[int, int, dict[str, int]]:
    """The SQL gives every requirement the state, and the evidence, coverage gives: else the
    ratio lies. Returns the requirements, the pieces of evidence and the totals."""
    from collections import Counter

    from qualitas.compliance import coverage as cov
    from qualitas.compliance.models import Evidence

    named = set(
        Evidence.objects.filter(requirement__framework=scope.framework_id)
        .exclude(record_type="")
        .values_list("record_type", flat=True)
    )
    if named - set(RECORD_TYPES):
        sys.exit(f"the SQL joins {RECORD_TYPES} only; the evidence names {sorted(named)}")
    result = cov.coverage(scope)
    ours = [
        (
            row.requirement.pk,
            row.state,
            sum(1 for e in row.evidence if e.current),
            # The same pieces (checks follow the rest in an order neither promises).
            sorted(e.reference or e.label for e in row.evidence),
        )
        for row in result.rows
    ]
    theirs = [
        (pk, state, current, sorted(refs or []))
        for pk, _ref, _title, _auditable, state, current, _n, refs in raw_coverage(scope)
    ]
    if ours != theirs:
        mine = {row[0]: row for row in ours}
        sql = {row[0]: row for row in theirs}
        differ = [(pk, mine[pk][1:3], sql.get(pk, (0, None, None))[1:3]) for pk in mine
                  if mine[pk] != sql.get(pk)]  # fmt: skip
        sys.exit(
            f"{scope}: the SQL and coverage disagree on {len(differ)} of {len(ours)} "
            f"requirements, e.g. {differ[:5]}"
        )
    states = Counter(state for _pk, state, _c, _r in ours)
    return len(ours), sum(len(row[3]) for row in ours), dict(states)


def paths(client: Any, scope: Any) -> list[tuple[str, Callable[[], Any]]]:
    page_url = f"/compliance/scopes/{scope.pk}/coverage/"

    def page() -> None:
        answered(client.get(page_url))

    def export() -> None:
        response = answered(client.get(page_url, {"export": "xlsx"}))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if body[:2] != b"PK":
            sys.exit("the export is no XLSX workbook")

    def api() -> None:
        url = f"/api/v1/frameworks/{scope.framework.key}/coverage"
        response = answered(client.get(url, {"site": scope.site_id}))
        if len(response.json()["requirements"]) < 100:
            sys.exit("the API left requirements out")

    return [("page", page), ("XLSX export", export), ("API", api)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile each measured path")
    args = parser.parse_args(argv)
    configure(database_url(args.database), migrate=False)

    from django.test import Client

    from qualitas.compliance.models import Scope
    from qualitas.core.models import User

    manager = User.objects.get(username=manager_username())
    scopes = [
        Scope.objects.select_related("framework", "site").get(framework__key=key)
        for key in (CUSTOMER_KEY, ISO_27001_KEY)
    ]
    for scope in scopes:
        count, pieces, states = check_same(scope)
        print(
            f"{scope.framework.key}: {count:,} requirements, {pieces:,} pieces of evidence "
            f"(checks included); {states}; SQL and coverage agree"
        )
    # As bench/platform: a host the settings allow, an address the audit trail can record.
    client = Client(SERVER_NAME="localhost", SERVER_PORT="80", REMOTE_ADDR="10.0.0.7")
    client.force_login(manager)

    queries: dict[str, list[int]] = {}
    print(f"\n{'scope':<20} {'path':<12} {'ours ms':>8} {'SQL ms':>7} {'ratio':>6} {'queries':>8}")
    for scope in scopes:
        sql_ms = median_ms(partial(raw_coverage, scope), args.runs)
        for title, ours in paths(client, scope):
            ours_ms = median_ms(ours, args.runs)
            count = count_queries(ours)
            queries.setdefault(title, []).append(count)
            print(
                f"{scope.framework.key:<20} {title:<12} {ours_ms:>8.0f} {sql_ms:>7.0f} "
                f"{ours_ms / sql_ms:>5.1f}x {count:>8}"
            )
            if args.profile:
                profile(ours, f"{scope.framework.key} {title}")
    sizes = " vs ".join(f"{s.framework.key}" for s in scopes)
    print(f"\nqueries per request ({sizes}):")
    for title, counts in queries.items():
        print(f"  {title:<12} {' vs '.join(str(c) for c in counts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
