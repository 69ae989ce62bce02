"""Full-text search over document revisions, ranked, with highlighted snippets.

Runs on the database's own engine (PostgreSQL's tsvector and GIN index, SQLite's FTS5 table;
both made by migration 0002_search), and restricts the matches in the same SQL statement to
`queries.visible_revisions(user)`: nobody finds, or counts, a draft they may not see.

What people may type: words (the last one also matches as a prefix, so "calib" finds
"calibration"), "a phrase in quotes", -word to exclude a word, OR between alternatives, and
document numbers ("SOP-0042"). The text is parsed here into terms made only of letters,
digits and . - : / characters, and each engine gets the same query written in its own
syntax with every term quoted as a literal: no input is a syntax error, and nothing typed
reaches the query language. `websearch_to_tsquery` is not used because it cannot match
prefixes, and SQLite has no equivalent; one parser keeps both engines finding the same.

Ranking, the same on both engines (higher is better):
  2 if the text is the revision's number (or its document's), so "SOP-0042" comes first;
  + 1 if the number and title alone match the whole query, so a title match always
    outranks a body-only one;
  + the engine's relevance r squashed to r / (r + 1): ts_rank_cd over the weighted vector
    (number and title A, body B), or -bm25 with weights 10 (number), 5 (title), 1 (body).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from qualitas.documents import queries
from qualitas.documents.models import DocumentRevision
from qualitas.documents.workflows import State

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from qualitas.core.models import User

# The global search box shows this many; it is given one more to know there are more.
GLOBAL_LIMIT = 10
MAX_LIMIT = 100
# Bounds on what one search may ask of the engine.
MAX_TERMS = 16
MAX_TERM_CHARS = 100
# Markers the engines put around matched words: control characters no document contains
# on purpose, replaced by <mark> only after the snippet has been escaped.
START, STOP = "\x02", "\x03"
SNIPPET_WORDS = 24
# ts_headline parses all the text it is given (about 1 ms per 10 kB): it gets a window of
# the text around the first place a searched word seems to occur, found by plain substring
# search within the first 200,000 characters (the opening when none is found).
SNIPPET_SEARCHED_CHARS = 200_000
SNIPPET_WINDOW_CHARS = 2_400

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_UNSAFE = re.compile(r"[^\w.\-:/]+")
_WORD = re.compile(r"[^\W_]")
_WORDS = re.compile(r"[^\W_]+")
# PostgreSQL reads "SOP-0042" as "sop" and the number "-0042"; the index reads a hyphen
# before a digit as a space (migration 0002_search), and so do the queries.
_HYPHEN_DIGIT = re.compile(r"-(?=\d)")
_NUMBER = re.compile(r"(?P<document>[\w.\-/]{1,40})(?: rev (?P<label>[\w.]{1,12}))?", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    """One revision found, as the result lists show it."""

    revision_id: int
    document_id: int
    number: str
    title: str
    state: str
    state_label: str
    rank: float
    snippet: str  # safe HTML: escaped text, matched words in <mark>
    document_type: str = ""


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int
    text: str


@dataclass(frozen=True)
class Term:
    """A word, a number or a phrase; `text` holds only letters, digits and . - : /"""

    text: str
    negated: bool = False
    prefix: bool = False


# A query is alternatives (OR) of clauses; a clause is terms that must all match (AND),
# with at least one term that is not negated.
Clauses = list[list[Term]]


def search_revisions(
    user: User,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    states: Iterable[str] | None = None,
) -> SearchPage:
    """The revisions matching `text` that `user` may see, best first, with the total."""
    clauses = parse(text)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if not clauses:
        return SearchPage(hits=[], total=0, text=text)
    engine = _ENGINES.get(connection.vendor)
    if engine is None:
        # Qualitas runs on PostgreSQL or SQLite; anything else is a configuration error.
        raise ImproperlyConfigured(f"Document search does not support {connection.vendor}.")
    revisions = DocumentRevision.objects.all()
    if states is not None:
        revisions = revisions.filter(state__in=list(states))
    try:
        visible_sql, visible_params = (
            queries.visible_revisions(user, revisions)
            .order_by()
            .values("pk")
            .query.sql_with_params()
        )
    except EmptyResultSet:
        return SearchPage(hits=[], total=0, text=text)
    ranked, total = engine.ranked(
        clauses, _numbers_meant(text), (visible_sql, list(visible_params)), limit, offset
    )
    if not ranked:
        return SearchPage(hits=[], total=total, text=text)
    details = engine.details(clauses, [revision_id for revision_id, _ in ranked])
    hits = []
    for revision_id, rank in ranked:
        found = details.get(revision_id)
        if found is None:  # pragma: no cover - only if the revision vanished in between
            continue
        document_id, number, title, state, type_name, snippet = found
        hits.append(
            Hit(
                revision_id=revision_id,
                document_id=document_id,
                number=number,
                title=title,
                state=state,
                state_label=_STATE_LABELS.get(state, state),
                rank=float(rank),
                snippet=safe_snippet(snippet or ""),
                document_type=type_name,
            )
        )
    return SearchPage(hits=hits, total=total, text=text)


def global_search(user: User, text: str) -> list[Hit]:
    """The best matches for the global search box (one more than it shows, to tell it
    there are more)."""
    return search_revisions(user, text, limit=GLOBAL_LIMIT + 1).hits


def describe(hit: Hit) -> tuple[str, str, str, str]:
    """(title, subtitle, url, snippet HTML) of a hit, for the global search page."""
    subtitle = " · ".join(p for p in (hit.state_label, hit.document_type) if p)
    url = f"/documents/{hit.document_id}/?revision={hit.revision_id}"
    return f"{hit.number} {hit.title}", subtitle, url, hit.snippet


# --- Reading what was typed ----------------------------------------------------------------


def parse(text: str) -> Clauses:
    """Words, "phrases", -exclusions and OR, reduced to safe terms (see the module doc)."""
    clauses: Clauses = [[]]
    count = 0
    for match in _TOKEN.finditer(text):
        minus, phrase, bare = match.groups()
        if bare is not None and bare.lower() == "or":
            clauses.append([])
            continue
        negated = bool(minus) or (bare is not None and bare.startswith("-"))
        raw = phrase if phrase is not None else bare.lstrip("-")
        cleaned = " ".join(_UNSAFE.sub(" ", raw[:MAX_TERM_CHARS]).split())
        if not _WORD.search(cleaned):
            continue
        clauses[-1].append(Term(cleaned, negated=negated))
        count += 1
        if count >= MAX_TERMS:
            break
    last = clauses[-1][-1] if clauses[-1] else None
    # The word being typed is matched as a prefix (not a quoted phrase: that is exact).
    if last is not None and not last.negated and not text.rstrip().endswith('"'):
        clauses[-1][-1] = Term(last.text, prefix=True)
    return [clause for clause in clauses if any(not term.negated for term in clause)]


def _numbers_meant(text: str) -> list[str]:
    """The document or revision numbers the text may be ("sop-0042 rev b" may be
    "SOP-0042 rev B"), or none if it cannot be one."""
    candidate = " ".join(text.split())
    found = _NUMBER.fullmatch(candidate)
    if found is None or not any(c.isdigit() for c in candidate):
        return []
    forms = {candidate, candidate.upper()}
    if found["label"]:
        forms.add(f"{found['document'].upper()} rev {found['label'].upper()}")
    return sorted(forms)


def safe_snippet(raw: str) -> SafeString:
    """Escape everything the engine returned, then turn its markers into <mark> tags
    (balanced, whatever markers the text itself contained)."""
    parts = []
    marked = False
    for piece in re.split(f"([{START}{STOP}])", " ".join(raw.split())):
        if piece == START:
            if not marked:
                parts.append("<mark>")
            marked = True
        elif piece == STOP:
            if marked:
                parts.append("</mark>")
            marked = False
        else:
            parts.append(html.escape(piece))
    if marked:
        parts.append("</mark>")
    # Each piece of text was escaped above; the only markup is our own <mark>.
    return mark_safe("".join(parts))  # noqa: S308


_STATE_LABELS = dict(State.choices)

# Tables, named once: the queries below are plain SQL.
_ENTRY = "documents_searchentry"
_FTS = "documents_search_fts"
_DETAILS_JOIN = """
    JOIN documents_documentrevision r ON r.id = {revision_id}
    JOIN documents_document d ON d.id = r.document_id
    JOIN documents_documenttype t ON t.id = d.document_type_id
"""

SQL = tuple[str, list[Any]]
Ranked = list[tuple[int, float]]
Details = dict[int, tuple[int, str, str, str, str, str]]


def _exact(revision_id: str, numbers: list[str]) -> SQL:
    """2 for the revisions the text names by number (found through the unique indexes)."""
    if not numbers:
        return "0", []
    listed = _placeholders(numbers)
    sql = f"""CASE WHEN {revision_id} IN (
        SELECT r.id FROM documents_documentrevision r WHERE r.number IN ({listed})
            OR r.document_id IN (SELECT d.id FROM documents_document d WHERE d.number IN ({listed}))
    ) THEN 2 ELSE 0 END"""  # noqa: S608 - constant names; values are parameters
    return sql, [*numbers, *numbers]


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


class _PostgreSQL:
    @staticmethod
    def query(clauses: Clauses, *, weight: str = "") -> str:
        """The to_tsquery text: each term a quoted literal, which PostgreSQL's parser
        turns into lexemes (several, joined as a phrase, for "a b" or "SOP-0042").
        `weight` "A" matches the number and title only."""

        def literal(term: Term) -> str:
            forms = [term.text]
            if (normalised := _HYPHEN_DIGIT.sub(" ", term.text)) != term.text:
                # The index holds the normalised form; ts_headline reads the raw text.
                forms.insert(0, normalised)
            labels = ("*" if term.prefix else "") + weight
            suffix = f":{labels}" if labels else ""
            written = " | ".join(f"'{form}'{suffix}" for form in forms)
            return f"{'!' if term.negated else ''}({written})"

        return " | ".join(
            "(" + " & ".join(literal(term) for term in clause) + ")" for clause in clauses
        )

    # querytree() is 'T' or '' for a query of only exclusions or only stop words: those
    # would match everything (and use no index), so they match nothing.
    _MATCH = (
        "{entry}.search @@ to_tsquery('english', %s) "
        "AND querytree(to_tsquery('english', %s)) NOT IN ('T', '')"
    )

    def ranked(
        self, clauses: Clauses, numbers: list[str], visible: SQL, limit: int, offset: int
    ) -> tuple[Ranked, int]:
        tsquery = self.query(clauses)
        exact, exact_params = _exact("e.revision_id", numbers)
        sql = f"""
            SELECT e.revision_id,
                {exact}
                + CASE WHEN e.search @@ to_tsquery('english', %s) THEN 1 ELSE 0 END
                + ts_rank_cd(e.search, to_tsquery('english', %s), 32) AS score,
                count(*) OVER () AS total
            FROM {_ENTRY} e
            WHERE {self._MATCH.format(entry="e")} AND e.revision_id IN ({visible[0]})
            ORDER BY score DESC, e.revision_id
            LIMIT %s OFFSET %s
        """  # noqa: S608 - constant names; values are parameters
        head = self.query(clauses, weight="A")
        params = [*exact_params, head, tsquery, tsquery, tsquery, *visible[1], limit, offset]
        rows = _fetch(sql, params)
        if rows or offset == 0:
            return [(row[0], row[1]) for row in rows], rows[0][2] if rows else 0
        count_sql = f"""
            SELECT count(*) FROM {_ENTRY} e
            WHERE {self._MATCH.format(entry="e")} AND e.revision_id IN ({visible[0]})
        """  # noqa: S608 - constant names; values are parameters
        return [], _fetch(count_sql, [tsquery, tsquery, *visible[1]])[0][0]

    def details(self, clauses: Clauses, ids: Sequence[int]) -> Details:
        options = (
            f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=10, "
            'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
        )
        needles = _needles(clauses)
        found = ", ".join(["nullif(strpos(w.lowered, %s), 0)"] * len(needles)) or "NULL"
        sql = f"""
            SELECT e.revision_id, r.document_id, r.number, r.title, r.state, t.name,
                ts_headline(
                    'english',
                    substr(e.body, greatest(coalesce(least({found}), 1) - %s, 1), %s),
                    to_tsquery('english', %s),
                    %s
                )
            FROM {_ENTRY} e {_DETAILS_JOIN.format(revision_id="e.revision_id")}
            CROSS JOIN LATERAL (SELECT lower(left(e.body, %s)) AS lowered) w
            WHERE e.revision_id IN ({_placeholders(ids)})
        """  # noqa: S608 - constant names; values are parameters
        params = [
            *needles,
            SNIPPET_WINDOW_CHARS // 4,
            SNIPPET_WINDOW_CHARS,
            self.query(clauses),
            options,
            SNIPPET_SEARCHED_CHARS,
            *ids,
        ]
        return {row[0]: row[1:] for row in _fetch(sql, params)}


def _needles(clauses: Clauses) -> list[str]:
    """Lower-case beginnings of the first searched words, to find where the text matches
    ("inspection" finds "inspected": a stem is almost always a prefix of its words)."""
    needles = []
    for clause in clauses:
        for term in clause:
            words = _WORDS.findall(term.text.lower())
            if term.negated or not words:
                continue
            word = words[0]
            needles.append(word if term.prefix else word[: max(3, len(word) - 3)])
    return sorted(set(needles))[:3]


class _SQLite:
    @staticmethod
    def query(clauses: Clauses, *, columns: str = "") -> str:
        """The FTS5 MATCH text: each term a double-quoted string, which FTS5 tokenises
        (several tokens make a phrase: "SOP-0042" is the phrase "sop 0042")."""

        def literal(term: Term) -> str:
            quoted = '"' + term.text.replace('"', '""') + '"'
            return quoted + ("*" if term.prefix else "")

        written = []
        for clause in clauses:
            wanted = " AND ".join(literal(t) for t in clause if not t.negated)
            unwanted = "".join(f" NOT {literal(t)}" for t in clause if t.negated)
            written.append(f"(({wanted}){unwanted})")
        expression = " OR ".join(written)
        return f"{columns} : ({expression})" if columns else expression

    def ranked(
        self, clauses: Clauses, numbers: list[str], visible: SQL, limit: int, offset: int
    ) -> tuple[Ranked, int]:
        match = self.query(clauses)
        head = self.query(clauses, columns="{number title}")
        exact, exact_params = _exact(f"{_FTS}.rowid", numbers)
        bm25 = f"bm25({_FTS}, 10.0, 5.0, 1.0)"
        # FTS5 functions cannot run beside a window function: rank in a subquery. The "+"
        # keeps SQLite from running the MATCH once per visible revision.
        sql = f"""
            SELECT revision_id, score, count(*) OVER () AS total FROM (
                SELECT {_FTS}.rowid AS revision_id,
                    {exact}
                    + CASE WHEN {_FTS}.rowid IN (
                        SELECT rowid FROM {_FTS} WHERE {_FTS} MATCH %s
                    ) THEN 1 ELSE 0 END
                    + (-{bm25}) / (1.0 - {bm25}) AS score
                FROM {_FTS}
                WHERE {_FTS} MATCH %s AND +{_FTS}.rowid IN ({visible[0]})
            )
            ORDER BY score DESC, revision_id
            LIMIT %s OFFSET %s
        """  # noqa: S608 - constant names; values are parameters
        params = [*exact_params, head, match, *visible[1], limit, offset]
        rows = _fetch(sql, params)
        if rows or offset == 0:
            return [(row[0], row[1]) for row in rows], rows[0][2] if rows else 0
        count_sql = f"""
            SELECT count(*) FROM {_FTS}
            WHERE {_FTS} MATCH %s AND +{_FTS}.rowid IN ({visible[0]})
        """  # noqa: S608 - constant names; values are parameters
        return [], _fetch(count_sql, [match, *visible[1]])[0][0]

    def details(self, clauses: Clauses, ids: Sequence[int]) -> Details:
        sql = f"""
            SELECT {_FTS}.rowid, r.document_id, r.number, r.title, r.state, t.name,
                snippet({_FTS}, 2, %s, %s, ' … ', %s)
            FROM {_FTS} {_DETAILS_JOIN.format(revision_id=f"{_FTS}.rowid")}
            WHERE {_FTS} MATCH %s AND +{_FTS}.rowid IN ({_placeholders(ids)})
        """  # noqa: S608 - constant names; values are parameters
        rows = _fetch(sql, [START, STOP, SNIPPET_WORDS, self.query(clauses), *ids])
        return {row[0]: row[1:] for row in rows}


_ENGINES: dict[str, _PostgreSQL | _SQLite] = {"postgresql": _PostgreSQL(), "sqlite": _SQLite()}
