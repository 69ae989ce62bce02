"""Time the audits module on the bench (build it first with bench/audits/build.py):

- the audit list page /audits/ and the API /api/v1/audits, page 1, over 100,000 audits;
- an audit's page /audits/<pk>/ (40 checklist questions, findings) and its checklist
  GET /api/v1/audits/{id}/checklist;
- the calendar of a programme (programme_calendar.calendar: 30 lines and the site's
  year of audits) and the programme's page /audit-programmes/<pk>/;
- the finding list API /api/v1/audit-findings, page 1, over 50,000 findings;

through django.test.Client signed in as the bench's quality manager (the role held at all
20 sites, so the lists carry the "visible to me" filter), each against the same data
fetched by one raw SQL statement (the rows, the names they show, the capped count of a
list; for the audit its questions, criteria and findings; for the calendar the lines with
their requirements and every audit of the site's year). Prints the median of 5 runs after a
warm-up, the ratio to the SQL and the number of queries per request; then checks that the
queries of the audit's page and its checklist do not grow from an audit of five questions
to one of 40 (in the same state: planned, and in progress with a finding).

    .venv/bin/python bench/audits/bench_audits.py [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.audits.build import SMALL_NUMBER, database_url, manager_username
from bench.common import answered, configure, count_queries, median_ms, profile

LIST_PAGE = 25  # the list page's rows (ObjectListView.per_page)

NAME = "COALESCE(NULLIF(TRIM({u}.first_name || ' ' || {u}.last_name), ''), {u}.username)"


def named(sql: str) -> str:
    """NAME(x) in a statement: the printed name of the user aliased x."""
    return re.sub(r"NAME\((\w)\)", lambda m: NAME.format(u=m.group(1)), sql)


# A list's first page and its count, capped as CappedPaginator caps it.
LIST_SQL = """
SELECT r.*, {owner} AS owner_name, s.name AS site_name, {extra}
       (SELECT count(*) FROM (SELECT 1 FROM {table} c WHERE c.site_id = ANY(%(sites)s)
                              LIMIT %(cap)s + 1) capped) AS total
FROM {table} r
JOIN core_user o ON o.id = r.owner_id
LEFT JOIN core_site s ON s.id = r.site_id
{joins}
WHERE r.site_id = ANY(%(sites)s)
ORDER BY r.created_at DESC, r.id DESC
LIMIT %(size)s
"""

# The audit with what its page shows: names, criteria, questions, findings.
DETAIL_SQL = named("""
SELECT a.*, NAME(o) AS owner_name, NAME(l) AS lead_name,
       s.name AS site_name,
       (SELECT json_agg(json_build_object('id', q.id, 'ref', q.ref_id, 'title', q.title)
                        ORDER BY c.id)
        FROM audits_auditcriterion c JOIN compliance_requirement q ON q.id = c.requirement_id
        WHERE c.audit_id = a.id) AS criteria,
       (SELECT json_agg(json_build_object(
                   'id', i.id, 'order', i."order", 'question', i.question,
                   'guidance', i.guidance, 'ref', q.ref_id, 'answer', i.answer,
                   'notes', i.notes, 'by', NAME(b), 'at', i.answered_at,
                   'revision', i.revision) ORDER BY i."order", i.id)
        FROM audits_checklistitem i
        LEFT JOIN compliance_requirement q ON q.id = i.requirement_id
        LEFT JOIN core_user b ON b.id = i.answered_by_id
        WHERE i.audit_id = a.id) AS items,
       (SELECT json_agg(json_build_object('id', f.id, 'number', f.number, 'title', f.title,
                                          'grade', f.grade, 'state', f.state) ORDER BY f.id)
        FROM audits_finding f WHERE f.audit_id = a.id) AS findings
FROM audits_audit a
JOIN core_user o ON o.id = a.owner_id
LEFT JOIN core_user l ON l.id = a.lead_auditor_id
LEFT JOIN core_site s ON s.id = a.site_id
WHERE a.id = %(audit)s
""")

# The checklist API's rows: each question, its requirement, who answered, its evidence.
CHECKLIST_SQL = named("""
SELECT i.id, i."order", i.question, i.guidance, i.requirement_id, q.ref_id,
       i.bank_question_id, i.answer, i.notes, i.answered_by_id, NAME(b),
       i.answered_at, i.revision, a.number, a.state, a.version,
       (SELECT json_agg(json_build_object('id', t.id, 'name', t.original_name,
                                          'type', t.media_type, 'size', t.size))
        FROM audits_checklistevidence e JOIN core_attachment t ON t.id = e.attachment_id
        WHERE e.item_id = i.id AND t.removed_at IS NULL) AS evidence
FROM audits_audit a
JOIN audits_checklistitem i ON i.audit_id = a.id
LEFT JOIN compliance_requirement q ON q.id = i.requirement_id
LEFT JOIN core_user b ON b.id = i.answered_by_id
WHERE a.id = %(audit)s
ORDER BY i."order", i.id
""")

# The calendar: the programme's lines (with their requirements) and every audit of the
# site's year, planned by a line of any revision or unplanned.
CALENDAR_SQL = named("""
SELECT 'line' AS kind, e.id, e."order", e.subject_kind, e.subject, e.audit_type, e.risk,
       e.planned_months::text, NULL::date, NULL::date, NULL AS state, NULL AS number,
       NAME(l) AS lead, d.name AS department,
       (SELECT json_agg(json_build_object('ref', q.ref_id, 'framework', f.key))
        FROM audits_programmeentry_requirements m
        JOIN compliance_requirement q ON q.id = m.requirement_id
        JOIN compliance_framework f ON f.id = q.framework_id
        WHERE m.programmeentry_id = e.id) AS requirements
FROM audits_programmeentry e
LEFT JOIN core_user l ON l.id = e.lead_auditor_id
LEFT JOIN core_department d ON d.id = e.department_id
WHERE e.programme_id = %(programme)s
UNION ALL
SELECT 'audit', a.id, NULL, e.subject_kind, e.subject, a.audit_type, NULL, NULL,
       a.planned_start, a.started_on, a.state, a.number, NULL, a.title, NULL
FROM audits_audit a
JOIN audits_programmeentry e ON e.id = a.programme_entry_id
JOIN audits_auditprogramme p ON p.id = e.programme_id
WHERE p.site_id = %(site)s AND p.year = %(year)s
UNION ALL
SELECT 'unplanned', a.id, NULL, NULL, NULL, a.audit_type, NULL, NULL,
       a.planned_start, a.started_on, a.state, a.number, NULL, a.title, NULL
FROM audits_audit a
WHERE a.site_id = %(site)s AND a.programme_entry_id IS NULL AND a.state <> 'cancelled'
  AND (EXTRACT(year FROM a.started_on) = %(year)s
       OR (a.started_on IS NULL AND EXTRACT(year FROM a.planned_start) = %(year)s))
""")


def fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def list_sql(table: str, *, audit: bool) -> str:
    """The list statement for the audits (with the lead auditor) or the findings (with
    their audit)."""
    if audit:
        extra, joins = (
            f"{NAME.format(u='l')} AS lead_name,",
            ("LEFT JOIN core_user l ON l.id = r.lead_auditor_id"),
        )
    else:
        extra, joins = (
            "x.number AS audit_number, x.title AS audit_title,",
            ("JOIN audits_audit x ON x.id = r.audit_id"),
        )
    return LIST_SQL.format(table=table, owner=NAME.format(u="o"), extra=extra, joins=joins)


def works(client: Any, targets: dict[str, Any]) -> list[tuple[str, Callable[[], Any], Any]]:
    """(title, our work, the same data by one statement) for each measured path."""
    from django.conf import settings

    from qualitas.audits import programme_calendar

    audit, programme = targets["audit"], targets["programme"]
    common = {"sites": targets["sites"], "cap": settings.QUALITAS_LIST_COUNT_CAP}

    def page(url: str, params: dict[str, Any] | None = None) -> Callable[[], Any]:
        return lambda: answered(client.get(url, params or {}))

    def api(url: str, size: int) -> Callable[[], Any]:
        def run() -> None:
            body = answered(client.get(url)).json()
            if len(body["results"]) != size:
                sys.exit(f"{url} gave {len(body['results'])} rows, not {size}")

        return run

    def checklist() -> None:
        body = answered(client.get(f"/api/v1/audits/{audit.pk}/checklist")).json()
        if body["total"] != targets["items"]:
            sys.exit(f"the checklist has {body['total']} questions, not {targets['items']}")

    def calendar() -> None:
        programme_calendar.calendar(programme)

    size = settings.NINJA_PAGINATION_PER_PAGE
    audits = partial(fetch, list_sql("audits_audit", audit=True))
    findings = partial(fetch, list_sql("audits_finding", audit=False))
    on_calendar = partial(
        fetch,
        CALENDAR_SQL,
        {"programme": programme.pk, "site": programme.site_id, "year": programme.year},
    )
    return [
        ("audit list page 1", page("/audits/"), partial(audits, {**common, "size": LIST_PAGE})),
        (
            "API audits page 1",
            api("/api/v1/audits", size),
            partial(audits, {**common, "size": size}),
        ),
        (
            f"audit page ({targets['items']} questions)",
            page(f"/audits/{audit.pk}/"),
            partial(fetch, DETAIL_SQL, {"audit": audit.pk}),
        ),
        (
            f"API checklist ({targets['items']} questions)",
            checklist,
            partial(fetch, CHECKLIST_SQL, {"audit": audit.pk}),
        ),
        ("calendar() (30 lines)", calendar, on_calendar),
        ("programme page", page(f"/audit-programmes/{programme.pk}/"), on_calendar),
        (
            "API findings page 1",
            api("/api/v1/audit-findings", size),
            partial(findings, {**common, "size": size}),
        ),
    ]


def queries_of(client: Any, audit: Any) -> tuple[int, int]:
    """The queries of the audit's page and of its checklist API."""
    page = count_queries(lambda: answered(client.get(f"/audits/{audit.pk}/")))
    api = count_queries(lambda: answered(client.get(f"/api/v1/audits/{audit.pk}/checklist")))
    return page, api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile each measured path")
    args = parser.parse_args(argv)
    configure(database_url(args.database), migrate=False)

    from django.db.models import Count, Exists, OuterRef
    from django.test import Client

    from qualitas.audits.models import Audit, AuditProgramme, Finding
    from qualitas.core import permissions
    from qualitas.core.models import User

    manager = User.objects.get(username=manager_username())
    sites = sorted(permissions.sites_with_perm(manager, "audits.view") or [])
    with_items = Audit.objects.annotate(items=Count("checklist"))
    has_findings = Exists(Finding.objects.filter(audit=OuterRef("pk")))

    def large(state: str) -> Any:
        found = (
            with_items.filter(number__startswith="AUD-B0", state=state, items=40)
            .filter(has_findings if state == "in_progress" else ~has_findings)
            .order_by("pk")
            .first()
        )
        if found is None:
            sys.exit(f"no audit {state} with 40 questions: build the bench first")
        return found

    small_planned = with_items.filter(number__startswith="AUD-2").order_by("pk").first()
    small_held = with_items.filter(number=SMALL_NUMBER).first()
    if small_planned is None or small_held is None:
        sys.exit("the bench's small audits are missing: build it with bench/audits/build.py")
    audit = large("in_progress")
    programme = AuditProgramme.objects.select_related("site").get(
        pk=small_planned.programme_entry.programme_id
    )
    that_year = Audit.objects.filter(
        site=programme.site_id, planned_start__year=programme.year
    ).count()
    print(
        f"{Audit.objects.count():,} audits, {Finding.objects.count():,} findings; "
        f"measured: {audit.number} ({audit.state}, {audit.items} questions, "
        f"{audit.findings.count()} findings), {programme.number} ({programme.year}, "
        f"{programme.entries.count()} lines, {that_year:,} audits at its site that year)"
    )
    # As bench/platform: a host the settings allow, an address the audit trail can record.
    client = Client(SERVER_NAME="localhost", SERVER_PORT="80", REMOTE_ADDR="10.0.0.7")
    client.force_login(manager)
    targets = {"audit": audit, "items": audit.items, "programme": programme, "sites": sites}

    print(f"\n{'work':<30} {'ms':>8} {'SQL ms':>7} {'ratio':>7} {'queries':>8}")
    slow = []
    for title, ours, sql in works(client, targets):
        sql_ms = median_ms(sql, args.runs)
        ours_ms = median_ms(ours, args.runs)
        count = count_queries(ours)
        ratio = ours_ms / sql_ms
        print(f"{title:<30} {ours_ms:>8.1f} {sql_ms:>7.1f} {ratio:>6.1f}x {count:>8}")
        if ratio > 10:
            slow.append(title)
        if args.profile:
            profile(ours, title)

    print("\nqueries per request, 5 questions vs 40 (the same state):")
    same = True
    for state, small in (("planned", small_planned), ("in_progress", small_held)):
        big = large(state)
        few, many = queries_of(client, small), queries_of(client, big)
        for i, what in enumerate(("audit page", "API checklist")):
            verdict = "same" if few[i] == many[i] else "GROWS"
            same &= few[i] == many[i]
            print(
                f"  {what:<14} {state:<12} {small.number} {few[i]:>3} vs {big.number} "
                f"{many[i]:>3}  {verdict}"
            )
    print("  the query counts do not grow" if same else "  the query counts GROW with the items")
    if slow:
        print(f"\nabove 10x the SQL: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
