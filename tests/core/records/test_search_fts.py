"""Record list search on SQLite through FTS5 trigram tables: the same records as
`icontains` finds (case folded by Unicode beyond ASCII, as PostgreSQL folds it), indexes
kept in step by triggers and repaired after a migrate, read through the index, and nothing
typed is a syntax error. The comparisons also run on PostgreSQL, where `matching` is
`icontains` over trigram indexes."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.db.models import Q, QuerySet

from qualitas.capa import services as capa_services
from qualitas.core import audit, modules, records, search
from qualitas.core.models import User

pytestmark = pytest.mark.django_db
# The raw SQL below names only the record types' own tables; values are parameters.
# ruff: noqa: S608
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite FTS5 index")

# What people paste into a search box: punctuation, quotes, FTS5 operators and column
# syntax, LIKE wildcards, accents, other scripts, numbers.
FRAGMENTS = [
    "Bore oversize",
    "bore",
    "HSG-4471",
    "Ø74.041 measured, 74.035 max",
    'He said "reject"',
    "O'Brien's gauge",
    "Müller",
    "MÜLLER GmbH",
    "Straße",
    "STRASSE",
    "école",
    "ÉCOLE",
    "Ærø",
    "façade",
    "日本語の部品",
    "🙂 ok",
    "50% off",
    "under_score",
    "a*b*c",
    "NEAR(x y)",
    "title: broken",
    "{number}: x",
    "AND OR NOT",
    "(left) [right]",
    "back\\slash",
    "tab\there",
    "-minus ^caret",
    "lot 2026-00",
    "x",
    "",
]

TRICKY_QUERIES = [
    '"',
    '""',
    '"reject"',
    'said "reject',
    "O'Brien",
    "'",
    "*",
    "a*b",
    "bore*",
    "NEAR",
    "NEAR(x",
    "near(x y)",
    "(",
    ")",
    "(left)",
    "title:",
    "title: broken",
    "number:",
    "{number}",
    "{number}: x",
    ":",
    "^",
    "^caret",
    "-minus",
    "AND",
    "AND OR NOT",
    "OR",
    "NOT bore",
    "bore OR",
    "%",
    "50%",
    "_",
    "under_score",
    "\\",
    "back\\slash",
    "\t",
    "tab\there",
    "Müller",
    "müller",
    "MÜLLER",
    "muller",
    "ü",
    "ÜL",
    "straße",
    "STRASSE",
    "école",
    "ÉCOLE",
    "ærø",
    "Ø74",
    "ø74",
    "日本",
    "日本語",
    "🙂",
    "🙂 ok",
    "x",
    "X",
    "ab",
    "HS",
    "74",
    "hsg-4471",
    "  bore  ",
    "Bore oversize",
    "no such text anywhere",
    "a\x00b",
    "bo\x00re",
]


def _fold(text: str) -> str:
    # Lower case letter by letter (none of our letters changes length when lowered).
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _ascii_fold(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def _reference(record_type: records.RecordType, text: str) -> set[int]:
    """What `icontains` finds: every search field of every record, in Python."""
    text = text.strip()
    # SQLite's LIKE (the short texts' path) folds ASCII only; the
    # trigram index, like PostgreSQL's UPPER, folds every letter.
    unicode_case = connection.vendor != "sqlite" or len(text) >= 3
    fold = _fold if unicode_case else _ascii_fold
    found = set()
    for row in record_type.model.objects.values("pk", *record_type.search_fields):
        if any(fold(text) in fold(row[name] or "") for name in record_type.search_fields):
            found.add(row["pk"])
    return found


def _icontains(queryset: QuerySet[Any], record_type: records.RecordType, text: str) -> set[int]:
    anywhere = Q()
    for name in record_type.search_fields:
        anywhere |= Q(**{f"{name}__icontains": text.strip()})
    return set(queryset.filter(anywhere).values_list("pk", flat=True))


def _found(record_type: records.RecordType, text: str) -> set[int]:
    queryset = record_type.model.objects.all()
    return set(search.matching(queryset, record_type, text).values_list("pk", flat=True))


def _compare(record_type: records.RecordType, queries: list[str]) -> int:
    """Checks each query against icontains and the reference; the queries that found
    more than icontains (other letters' case)."""
    wider = 0
    everything = record_type.model.objects.all()
    for text in queries:
        found = _found(record_type, text)
        # No stored text holds a NUL (PostgreSQL refuses one even in a query).
        plain = set() if "\x00" in text else _icontains(everything, record_type, text)
        if text.isascii():
            assert found == plain, (text, found ^ plain)
        else:
            assert plain <= found, (text, plain - found)
        assert found == _reference(record_type, text), (text,)
        wider += found != plain
    return wider


def _pieces(rng: random.Random) -> str:
    return " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 3)))


def _substrings(rng: random.Random, values: list[str], count: int) -> list[str]:
    """Slices of the stored text, 1 to 12 characters, with ASCII letters' case swapped at
    random: what someone remembers of a record."""
    taken = []
    for value in rng.sample([v for v in values if v], count):
        start = rng.randrange(len(value))
        piece = value[start : start + rng.randint(1, 12)]
        taken.append(
            "".join(c.swapcase() if c.isascii() and rng.random() < 0.5 else c for c in piece)
        )
    return taken


@pytest.fixture
def many_ncs(raise_nc: Any) -> list[Any]:
    rng = random.Random(20261207)
    raised = []
    for n in range(240):
        raised.append(
            raise_nc(
                title=_pieces(rng) or f"Nonconformance {n}",
                lot_number=rng.choice(["", "LOT-A1", "lot-b2", "Ærø-7", f"L{n:04d}"]),
                serial_numbers=_pieces(rng),
                # Some findings name another NC by number, so a number is found in two fields.
                finding=_pieces(rng) + (f" see NC-{n:04d}" if n % 7 == 0 else ""),
                quantity_affected=Decimal(1),
                quantity_nonconforming=Decimal(1),
            )
        )
    return raised


def test_nonconformance_search_finds_what_icontains_finds(many_ncs: list[Any]) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    rng = random.Random(42)
    values = [getattr(nc, name) for nc in many_ncs for name in record_type.search_fields]
    # A whole number ("NC-2026-0042"), its middle ("2026-00") and its end in lower case.
    number = many_ncs[41].number
    numbers = [number, number.split("-", 1)[1][:7], number.lower()[-6:], number[:4]]
    queries = TRICKY_QUERIES + numbers + _substrings(rng, values, 120)

    wider = _compare(record_type, queries)

    assert _found(record_type, number) >= {many_ncs[41].pk}
    assert len(_found(record_type, numbers[1])) >= 100  # every NC of the year, 0001-0099
    # The data holds "Müller" and "MÜLLER": on SQLite icontains folds ASCII only.
    if connection.vendor == "sqlite":
        assert wider > 0


def test_capa_search_finds_what_icontains_finds(owner: User) -> None:
    record_type = records.RECORD_TYPES["capa"]
    rng = random.Random(7)
    for n in range(60):
        capa_services.open_capa(
            actor=owner, title=_pieces(rng) or f"CAPA {n}", problem_statement="repeat NCs"
        )
    values = list(record_type.model.objects.values_list("title", flat=True))
    queries = [*TRICKY_QUERIES, "CAPA-", "capa-20", "-00", *_substrings(rng, values, 40)]
    _compare(record_type, queries)


def test_a_name_is_found_whatever_the_case_of_its_letters(raise_nc: Any) -> None:
    lower = raise_nc(title="Seal from müller supplied")
    upper = raise_nc(title="Seal from MÜLLER GMBH")
    plain = raise_nc(title="Seal from Muller Ltd")
    record_type = records.RECORD_TYPES["nonconformance"]

    assert _found(record_type, "Müller") == {lower.pk, upper.pk}
    assert _found(record_type, "MÜLLER") == {lower.pk, upper.pk}
    # Accents matter, as in icontains: "Muller" is another name.
    assert _found(record_type, "muller") == {plain.pk}


@pytest.fixture
def owner(db: None) -> User:
    from tests.factories import UserFactory, with_role

    return with_role(UserFactory(username="owner"), "contributor")


@pytest.mark.parametrize("text", TRICKY_QUERIES)
def test_nothing_typed_is_an_error_on_the_list_page_or_the_api(
    text: str, raise_nc: Any, client_for: Any, api_for: Any, quality_manager: User
) -> None:
    raise_nc(title='He said "reject" NEAR(x y) title: broken')
    page = client_for(quality_manager).get("/nonconformances/", {"q": text})
    api = api_for(quality_manager).get("/nonconformances", q=text)
    if "\x00" in text:  # refused as input, naming the field
        assert page.status_code == 400
        assert (api.status_code, api.json()["errors"][0]["field"]) == (422, "q")
    else:
        assert (page.status_code, api.status_code) == (200, 200)


def test_the_list_page_and_the_api_find_by_a_piece_of_the_number(
    raise_nc: Any, client_for: Any, api_for: Any, quality_manager: User
) -> None:
    wanted = raise_nc(title="Burr on edge", finding="deburr")
    other = raise_nc(title="Scratch", finding="polish")
    piece = wanted.number[-6:].lower()  # "6-0001": the year's end and the sequence

    api = api_for(quality_manager).get("/nonconformances", q=piece).json()
    page = client_for(quality_manager).get("/nonconformances/", {"q": piece}).content.decode()

    assert [row["id"] for row in api["results"]] == [wanted.pk]
    assert wanted.number in page and other.number not in page


# --- The index follows the table ------------------------------------------------------------


@sqlite_only
def test_triggers_keep_the_index_in_step(raise_nc: Any, inspector: User) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    nc = raise_nc(title="Porosity in casting", finding="X-ray shows voids")
    assert _found(record_type, "porosity") == {nc.pk}
    assert _found(record_type, "x-ray") == {nc.pk}

    records.change_record(
        nc, actor=inspector, expected_version=nc.version, title="Shrinkage in casting"
    )

    assert _found(record_type, "porosity") == set()
    assert _found(record_type, "shrinkage") == {nc.pk}
    assert _found(record_type, "voids") == {nc.pk}  # a column left as it was
    _integrity_check(record_type)

    # Records are never deleted through the application; the index still follows a DELETE
    # (a test database's flush, a data repair).
    with audit.context(actor=None, actor_name="test"), connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{record_type.model._meta.db_table}" WHERE id = %s', [nc.pk])
    assert _fts_rowids(record_type, "shrinkage") == set()
    _integrity_check(record_type)


@sqlite_only
def test_a_change_of_state_leaves_the_index_alone(raise_nc: Any, inspector: User) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    nc = raise_nc(title="Porosity in casting")
    table = record_type.model._meta.db_table
    before = _segments(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET state = state, version = version WHERE id = %s', [nc.pk]
        )
    assert _segments(table) == before


def _segments(table: str) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, block FROM "{table}_fts_data" ORDER BY id')
        return cursor.fetchall()


def _fts_rowids(record_type: records.RecordType, text: str) -> set[int]:
    fts = search.fts_table(record_type.model._meta.db_table)
    columns = search.fts_columns(record_type)
    assert columns
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s',
            [search.fts_query(columns, text)],
        )
        return {row[0] for row in cursor.fetchall()}


def _integrity_check(record_type: records.RecordType) -> None:
    """FTS5 compares the index with the table's rows; an error if they differ."""
    fts = search.fts_table(record_type.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'integrity-check\')')


@sqlite_only
def test_migrate_puts_back_a_dropped_trigger_and_rebuilds(raise_nc: Any) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    table = record_type.model._meta.db_table
    # What Django's table rebuild does to triggers: they are gone, and rows written
    # meanwhile are missing from the index.
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "{table}_fts_insert"')
    unseen = raise_nc(title="Delamination of coating")
    assert _found(record_type, "delamination") == set()

    call_command("migrate", verbosity=0)

    assert _trigger_names(table) == {f"{table}_fts_{e}" for e in ("insert", "delete", "update")}
    assert _found(record_type, "delamination") == {unseen.pk}
    _integrity_check(record_type)
    later = raise_nc(title="Delamination again")
    assert _found(record_type, "delamination") == {unseen.pk, later.pk}


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_table_rebuilt_by_a_migration_gets_its_triggers_back(raise_nc: Any) -> None:
    from qualitas.nonconformance.models import Nonconformance

    record_type = records.RECORD_TYPES["nonconformance"]
    table = Nonconformance._meta.db_table
    title = Nonconformance._meta.get_field("title")
    longer = models.CharField(max_length=title.max_length + 100)
    longer.set_attributes_from_name("title")
    longer.model = Nonconformance
    before = raise_nc(title="Blistered paint")
    try:
        # What a migration altering the column does on SQLite: copy, drop, rename.
        with connection.schema_editor() as editor:
            editor.alter_field(Nonconformance, title, longer)
        assert _trigger_names(table) == set()
        unseen = raise_nc(title="Blistered primer")
        assert _found(record_type, "blistered") == {before.pk}

        call_command("migrate", verbosity=0)

        assert len(_trigger_names(table)) == 3
        assert _found(record_type, "blistered") == {before.pk, unseen.pk}
        _integrity_check(record_type)
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Nonconformance, longer, title)
        search.ensure_indexes()


@sqlite_only
def test_the_repair_remakes_an_index_missing_or_over_other_columns(raise_nc: Any) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    table = record_type.model._meta.db_table
    nc = raise_nc(title="Crack", lot_number="LOT-7781", finding="found at final test")
    old = search.FtsIndex(table, "id", ("number", "title"))  # as an older release made it
    with connection.cursor() as cursor:
        for statement in search.FtsIndex(
            table, "id", tuple(search.fts_columns(record_type) or ())
        ).drop():
            cursor.execute(statement)
        for statement in old.create():
            cursor.execute(statement)

    repaired = modules.INSTALLED["core"].after_migrate  # the hook migrate runs
    assert repaired is not None
    repaired(using="default", verbosity=0)

    assert _found(record_type, "lot-778") == {nc.pk}
    assert _found(record_type, "final test") == {nc.pk}
    assert search.ensure_indexes() == {}  # nothing left to do
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{table}_fts"')
    assert search.ensure_indexes() == {table: "the search index was missing"}
    assert _found(record_type, "crack") == {nc.pk}


def _trigger_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
        )
        return {row[0] for row in cursor.fetchall() if "_fts_" in row[0]}


@sqlite_only
@pytest.mark.parametrize("key", sorted(records.RECORD_TYPES))
def test_every_record_table_has_its_index(key: str) -> None:
    record_type = records.RECORD_TYPES[key]
    table = record_type.model._meta.db_table
    columns = search.fts_columns(record_type)
    # Every module's search fields are the record's own text columns.
    assert columns == list(record_type.search_fields)
    with connection.cursor() as cursor:
        cursor.execute(f'PRAGMA table_info("{table}_fts")')
        assert [row[1] for row in cursor.fetchall()] == columns
    assert len(_trigger_names(table)) == 3


# --- Read through the index -----------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("key", ["nonconformance", "capa"])
def test_a_search_reads_the_fts_table_not_the_whole_record_table(
    key: str, quality_manager: User
) -> None:
    record_type = records.RECORD_TYPES[key]
    table = record_type.model._meta.db_table
    # The list as the API serves it: what the person may see, newest first, one page.
    visible = records.visible_to(quality_manager, record_type)
    page = search.matching(visible, record_type, "bore").order_by("-created_at", "-id")[:25]
    plan = page.explain()
    assert f"{table}_fts VIRTUAL TABLE" in plan, plan
    assert not re.search(rf"SCAN {table}\b(?!_fts)", plan), plan
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    # Two characters have no trigram: that search is icontains, a scan.
    short = search.matching(visible, record_type, "bo").explain()
    assert f"{table}_fts" not in short
