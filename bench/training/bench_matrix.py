"""Time the training matrix on the bench (build it first with bench/training/build.py):

- the page /training/matrix/ (50 people x every curriculum line), through django.test.Client
  signed in as the bench's quality manager (held at every site);
- its XLSX export (everyone, every line);
- the API /api/v1/training-matrix (a page of 50);

each against the same matrix computed by one raw SQL statement (the people, the lines, who
is covered by what, and each cell's standing from the records, as qualitas.training.matrix
decides it), for the same people. Prints the median of 5 runs after a warm-up, the ratio to
the SQL (goal: at most 3x) and the number of queries (constant in the people shown).

    .venv/bin/python bench/training/bench_matrix.py [--runs 5] [--export-runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import answered, count_queries, median_ms, profile
from bench.training.build import configure, database_url, manager_username

PAGE = 50

# The matrix in one statement. `people` is the ordered page (or everyone), `lines` the
# active curriculum lines in the matrix's column order; a cell is not_required unless the
# line covers the person, then current / overdue / due / expired / missing from the records
# of the line's item (for a document, only a reading of the revision in force is current).
MATRIX_SQL = """
WITH people AS (
    SELECT u.id, u.site_id, u.department_id,
           row_number() OVER (ORDER BY u.last_name, u.first_name, u.username, u.id) AS position
    FROM core_user u
    WHERE u.is_active AND u.username <> %(system)s AND u.site_id = ANY(%(sites)s)
    ORDER BY u.last_name, u.first_name, u.username, u.id
    LIMIT %(limit)s
),
lines AS (
    SELECT r.id, r.job_role_id, r.department_id, r.site_id, r.course_id, r.document_id,
           row_number() OVER (
               ORDER BY CASE WHEN r.document_id IS NOT NULL OR r.course_id IS NULL
                             THEN r.document_number ELSE c.code END, r.id
           ) AS position
    FROM training_requirement r LEFT JOIN training_course c ON c.id = r.course_id
    WHERE r.active
),
in_force AS (
    SELECT d.id, CASE WHEN d.status = 'effective' THEN d.current_revision_id END AS revision_id
    FROM documents_document d WHERE d.id IN (SELECT document_id FROM lines)
),
held AS (
    SELECT t.person_id, t.course_id, t.document_id,
           bool_or(t.state = 'completed' AND (t.expires_on IS NULL OR t.expires_on > %(today)s)
                   AND (t.document_id IS NULL OR f.revision_id IS NULL
                        OR t.revision_id = f.revision_id)) AS current,
           bool_or(t.state IN ('assigned', 'awaiting_trainer')) AS open,
           bool_or(t.state IN ('assigned', 'awaiting_trainer') AND t.due_on < %(today)s)
               AS overdue,
           bool_or(t.state = 'expired'
                   OR (t.state = 'completed' AND t.expires_on <= %(today)s)) AS lapsed
    FROM training_trainingrecord t
    JOIN people p ON p.id = t.person_id
    LEFT JOIN in_force f ON f.id = t.document_id
    WHERE t.course_id IN (SELECT course_id FROM lines)
       OR t.document_id IN (SELECT document_id FROM lines)
    GROUP BY t.person_id, t.course_id, t.document_id
)
SELECT p.id, l.id,
       CASE
           WHEN NOT COALESCE(m.user_id IS NOT NULL OR l.department_id = p.department_id
                             OR l.site_id = p.site_id, false) THEN 'not_required'
           WHEN COALESCE(hc.current, hd.current) THEN 'current'
           WHEN COALESCE(hc.open, hd.open) THEN
               CASE WHEN COALESCE(hc.overdue, hd.overdue) THEN 'overdue' ELSE 'due' END
           WHEN COALESCE(hc.lapsed, hd.lapsed) THEN 'expired'
           ELSE 'missing'
       END
FROM people p CROSS JOIN lines l
LEFT JOIN training_jobrole_members m ON m.user_id = p.id AND m.jobrole_id = l.job_role_id
LEFT JOIN held hc ON hc.person_id = p.id AND hc.course_id = l.course_id
LEFT JOIN held hd ON hd.person_id = p.id AND hd.document_id = l.document_id
ORDER BY p.position, l.position
"""


def raw_matrix(limit: int | None, sites: list[int]) -> list[tuple[int, int, str]]:
    from django.db import connection
    from django.utils import timezone

    from qualitas.core.services import SYSTEM_USERNAME

    params = {
        "system": SYSTEM_USERNAME,
        "sites": sites,
        "limit": limit,
        "today": timezone.localdate(),
    }
    with connection.cursor() as cursor:
        cursor.execute(MATRIX_SQL, params)
        return cursor.fetchall()


def check_same(manager: Any, sites: list[int]) -> int:
    """The SQL gives the cells the matrix gives, for the first page: else the ratio lies."""
    from qualitas.training import matrix

    filters = matrix.Filters()
    lines = matrix.columns(manager, filters)
    page = list(matrix.people(manager, filters)[:PAGE])
    ours = [
        (row.person.pk, line.pk, cell)
        for row in matrix.rows(page, lines)
        for line, cell in zip(lines, row.cells, strict=True)
    ]
    theirs = raw_matrix(PAGE, sites)
    if ours != theirs:
        mine, sql = {(p, q): c for p, q, c in ours}, {(p, q): c for p, q, c in theirs}
        differ = [(key, mine.get(key), sql.get(key)) for key in mine if mine[key] != sql.get(key)]
        order = "the same cells in another order" if not differ else f"e.g. {differ[:5]}"
        sys.exit(f"the SQL and the matrix disagree on {len(differ)} of {len(ours)} cells: {order}")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile each measured path")
    args = parser.parse_args(argv)
    configure(database_url(args.database), migrate=False)

    from django.test import Client

    from qualitas.core import permissions
    from qualitas.core.models import User
    from qualitas.training import workflows as w
    from qualitas.training.models import TrainingRecord

    manager = User.objects.get(username=manager_username())
    sites = sorted(permissions.sites_with_perm(manager, w.VIEW_RECORDS) or [])
    people = User.objects.filter(is_active=True, site_id__in=sites).count()
    columns = check_same(manager, sites)
    print(
        f"{people:,} people x {columns} curriculum lines, "
        f"{TrainingRecord.objects.count():,} training records; SQL and matrix agree"
    )
    # As bench/platform: a host the settings allow, an address the audit trail can record.
    client = Client(SERVER_NAME="localhost", SERVER_PORT="80", REMOTE_ADDR="10.0.0.7")
    client.force_login(manager)

    def page() -> None:
        answered(client.get("/training/matrix/"))

    def export() -> None:
        response = answered(client.get("/training/matrix/", {"export": "xlsx"}))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if body[:2] != b"PK":
            sys.exit("the export is no XLSX workbook")

    def api() -> None:
        answered(client.get("/api/v1/training-matrix", {"page_size": PAGE}))

    figures = [
        ("matrix page (50 people)", page, lambda: raw_matrix(PAGE, sites), args.runs),
        ("API page (50 people)", api, lambda: raw_matrix(PAGE, sites), args.runs),
        ("XLSX export (everyone)", export, lambda: raw_matrix(None, sites), args.export_runs),
    ]
    print(f"\n{'path':<26} {'ours ms':>9} {'SQL ms':>8} {'ratio':>6} {'queries':>8}")
    for title, ours, sql, runs in figures:
        ours_ms = median_ms(ours, runs)
        sql_ms = median_ms(sql, runs)
        queries = count_queries(ours)
        print(f"{title:<26} {ours_ms:>9.0f} {sql_ms:>8.0f} {ours_ms / sql_ms:>5.1f}x {queries:>8}")
        if args.profile:
            profile(ours, title)

    # Constant in the people shown: a page of 10 costs the queries a page of 50 does.
    def api_page(size: int) -> Callable[[], Any]:
        return lambda: client.get("/api/v1/training-matrix", {"page_size": size})

    api_page(10)()  # warm-up, as every figure above
    small, large = count_queries(api_page(10)), count_queries(api_page(200))
    print(f"\nAPI queries: page of 10 people {small}, page of 200 people {large}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
