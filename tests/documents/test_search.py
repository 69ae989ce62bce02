"""Full-text search of document revisions: ranking, snippets, permissions, robustness.

Runs on SQLite (FTS5) and PostgreSQL (tsvector), through the services that index.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from qualitas.core.models import User
from qualitas.documents import search, services
from qualitas.documents.models import Document, DocumentRevision, DocumentType

pytestmark = pytest.mark.django_db

# The `release` fixture (tests/documents/conftest.py): review, approve, make effective.
Release = Callable[..., DocumentRevision]


def _document(author: User, title: str, text: str = "") -> Document:
    return services.create_document(
        actor=author,
        document_type=DocumentType.objects.get(code="procedure"),
        title=title,
        content_text=text,
    )


def _draft(document: Document) -> DocumentRevision:
    return document.revisions.get()


def _numbers(page: search.SearchPage) -> list[str]:
    return [hit.number for hit in page.hits]


def test_title_match_ranks_above_body_only_match(contributor: User, quality_manager: User) -> None:
    # given a body that says "calibration" three times, and a title that says it once
    in_body = _document(
        contributor,
        "Handling of gauges",
        "Calibration is planned. Calibration is recorded. Calibration is reviewed.",
    )
    in_title = _document(contributor, "Calibration of torque wrenches", "Wrenches are checked.")

    # when the quality manager searches
    page = search.search_revisions(quality_manager, "calibration")

    # then the title match comes first, and both are counted
    assert _numbers(page) == [f"{in_title.number} rev A", f"{in_body.number} rev A"]
    assert page.total == 2
    assert page.hits[0].rank > page.hits[1].rank


def test_snippet_marks_matched_words_and_escapes_the_rest(
    contributor: User, quality_manager: User
) -> None:
    _document(
        contributor,
        "Bench rules",
        'Tolerances: 5 < 7 & 9 > 3. <script>alert("x")</script> The calibration bench is cleaned.',
    )

    hit = search.search_revisions(quality_manager, "calibration").hits[0]

    assert "<mark>calibration</mark>" in hit.snippet
    assert "<script" not in hit.snippet
    assert "&lt; 7 &amp; 9 &gt;" in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_marker_characters_in_a_document_cannot_unbalance_the_snippet() -> None:
    snippet = search.safe_snippet("a \x03b\x02 <i> \x02c\x03\x02")

    assert snippet == "a b<mark> &lt;i&gt; c</mark><mark></mark>"


def test_the_word_being_typed_matches_as_a_prefix(contributor: User, quality_manager: User) -> None:
    document = _document(contributor, "Gauges", "Yearly calibration of every gauge.")

    page = search.search_revisions(quality_manager, "gauge calib")

    assert _numbers(page) == [f"{document.number} rev A"]
    assert "<mark>calibration</mark>" in page.hits[0].snippet


@pytest.mark.parametrize(
    ("_case", "typed"),
    [
        ("number", "{number}"),
        ("lower case", "{lower}"),
        ("digits", "{digits}"),
        ("revision", "{number} rev A"),
    ],
)
def test_a_document_is_found_by_its_number(
    contributor: User, quality_manager: User, _case: str, typed: str
) -> None:
    # given a document, and another one whose text cites it
    wanted = _document(contributor, "Control of documents", "How documents are controlled.")
    citing = _document(contributor, "Records", f"See {wanted.number} for the rules.")
    digits = wanted.number.split("-")[1]
    text = typed.format(number=wanted.number, lower=wanted.number.lower(), digits=digits)

    page = search.search_revisions(quality_manager, text)

    # then it comes first, before the one citing it
    assert _numbers(page) == [f"{wanted.number} rev A", f"{citing.number} rev A"]


def test_a_number_being_typed_finds_the_numbers_it_begins(
    contributor: User, quality_manager: User
) -> None:
    first = _document(contributor, "Control of documents", "How documents are controlled.")
    second = _document(contributor, "Records", "How records are kept.")

    page = search.search_revisions(quality_manager, first.number[:-1])

    assert sorted(_numbers(page)) == [f"{first.number} rev A", f"{second.number} rev A"]


def test_a_reader_finds_effective_revisions_only(
    contributor: User, quality_manager: User, viewer: User, release: Release
) -> None:
    # given an effective procedure and a draft, both about spindles
    effective = _document(contributor, "Spindle maintenance", "Grease the spindle weekly.")
    release(_draft(effective), by=quality_manager)
    draft = _document(contributor, "Spindle replacement", "Replace a worn spindle.")

    # then a reader finds (and counts) the effective one; the author and document control
    # also find the draft
    reader = search.search_revisions(viewer, "spindle")
    author = search.search_revisions(contributor, "spindle")
    control = search.search_revisions(quality_manager, "spindle")

    assert (_numbers(reader), reader.total) == ([f"{effective.number} rev A"], 1)
    assert reader.hits[0].state_label == "Effective"
    assert sorted(_numbers(author)) == sorted(
        [f"{effective.number} rev A", f"{draft.number} rev A"]
    )
    assert control.total == 2
    assert search.search_revisions(viewer, "replacement").total == 0


def test_states_narrow_the_search(
    contributor: User, quality_manager: User, release: Release
) -> None:
    effective = _document(contributor, "Spindle maintenance", "Grease the spindle weekly.")
    release(_draft(effective), by=quality_manager)
    draft = _document(contributor, "Spindle replacement", "Replace a worn spindle.")

    page = search.search_revisions(quality_manager, "spindle", states=["draft"])

    assert (_numbers(page), page.total) == ([f"{draft.number} rev A"], 1)


def test_nobody_signed_out_or_inactive_finds_anything(contributor: User) -> None:
    _document(contributor, "Spindle maintenance", "Grease the spindle weekly.")
    contributor.is_active = False

    assert search.search_revisions(contributor, "spindle") == search.SearchPage([], 0, "spindle")


def test_pages_share_one_total(contributor: User, quality_manager: User) -> None:
    for n in range(5):
        _document(contributor, f"Work instruction {n}", "Deburr the flange.")

    first = search.search_revisions(quality_manager, "flange", limit=2)
    last = search.search_revisions(quality_manager, "flange", limit=2, offset=4)
    beyond = search.search_revisions(quality_manager, "flange", limit=2, offset=10)

    assert (len(first.hits), first.total) == (2, 5)
    assert (len(last.hits), last.total) == (1, 5)
    assert (beyond.hits, beyond.total) == ([], 5)


def test_text_of_an_uploaded_file_is_found(contributor: User, quality_manager: User) -> None:
    document = _document(contributor, "Supplier audits", "See the attached checklist.")
    annex = io.BytesIO(b"# Checklist\n\nVerify the supplier's electrostatic discharge controls.\n")

    services.add_file(_draft(document), actor=contributor, file=annex, name="checklist.md")

    page = search.search_revisions(quality_manager, "electrostatic")
    assert _numbers(page) == [f"{document.number} rev A"]
    assert "<mark>electrostatic</mark>" in page.hits[0].snippet


def test_an_edit_reindexes_the_revision(contributor: User, quality_manager: User) -> None:
    document = _document(contributor, "Cleaning", "Use isopropanol.")
    revision = _draft(document)

    services.edit_revision(
        revision, actor=contributor, expected_version=revision.version, content_text="Use ethanol."
    )

    assert search.search_revisions(quality_manager, "isopropanol").total == 0
    assert _numbers(search.search_revisions(quality_manager, "ethanol")) == [
        f"{document.number} rev A"
    ]


@pytest.mark.parametrize(
    ("_case", "typed", "found"),
    [
        ("phrase", '"torque wrench"', ["wrench"]),
        ("phrase out of order", '"wrench torque"', []),
        ("exclusion", "calibration -torque", ["gauge"]),
        ("alternatives", "wrench OR gauge", ["gauge", "wrench"]),
    ],
)
def test_phrases_exclusions_and_alternatives(
    contributor: User, quality_manager: User, _case: str, typed: str, found: list[str]
) -> None:
    titles = {
        "wrench": _document(contributor, "Wrenches", "Calibration of the torque wrench."),
        "gauge": _document(contributor, "Gauges", "Calibration of the gauge."),
    }

    page = search.search_revisions(quality_manager, typed)

    expected = sorted(f"{titles[key].number} rev A" for key in found)
    assert sorted(_numbers(page)) == expected


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        "AND OR NOT",
        "*",
        "a:b",
        "-x",
        "'; drop table documents_document; --",
        "\x00\ud800",
        "(((",
        "NEAR(a b)",
        "col:value",
        "{number}: x",
        "^",
        "\\",
        "%",
        "_",
        "...",
        "- - -",
        "OR",
        "%s %(x)s",
        "x:* & !y | z <-> w",
        '"unterminated phrase',
        "\u0301\u00aa\u00b2 \U0001f642 \u05e9\u05dc\u05d5\u05dd",
        "word " * 400,
    ],
)
def test_hostile_input_returns_a_page(contributor: User, quality_manager: User, typed: str) -> None:
    _document(contributor, "Calibration", "and or not: x a b value number")

    page = search.search_revisions(quality_manager, typed)

    assert page.text == typed
    assert page.total == len(page.hits)
    assert Document.objects.count() == 1


def test_words_with_diacritics_are_found(contributor: User, quality_manager: User) -> None:
    document = _document(contributor, "Prüfmittelüberwachung", "Jedes Prüfmittel wird geprüft.")

    page = search.search_revisions(quality_manager, "Prüfmittel")

    assert _numbers(page) == [f"{document.number} rev A"]


def test_empty_or_punctuation_only_text_finds_nothing(
    contributor: User, quality_manager: User
) -> None:
    _document(contributor, "Calibration", "Calibration.")

    for typed in ("", "   ", "?!", "-calibration"):
        assert search.search_revisions(quality_manager, typed).total == 0


def test_describe_gives_title_state_type_link_and_snippet(
    contributor: User, quality_manager: User
) -> None:
    document = _document(contributor, "Calibration", "The calibration bench.")
    hit = search.global_search(quality_manager, "calibration")[0]

    assert search.describe(hit) == (
        f"{document.number} rev A Calibration",
        "Draft · Procedure",
        f"/documents/{document.pk}/?revision={hit.revision_id}",
        hit.snippet,
    )


def test_global_search_page_shows_hits_with_snippets(
    contributor: User,
    quality_manager: User,
    viewer: User,
    client_for: Callable[[User], Client],
    release: Release,
) -> None:
    document = _document(contributor, "Torque wrenches", "Check the <b>torque</b> setting.")
    release(_draft(document), by=quality_manager)

    response = client_for(viewer).get("/search/", {"q": "torque"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f"/documents/{document.pk}/?revision=" in body
    assert "<mark>torque</mark>" in body
    assert "<b>" not in body


def test_global_search_says_when_there_are_more(
    contributor: User, quality_manager: User, client_for: Callable[[User], Client]
) -> None:
    for n in range(search.GLOBAL_LIMIT + 1):
        _document(contributor, f"Flange {n}", "Deburr the flange.")

    response: Any = client_for(quality_manager).get("/search/", {"q": "flange"})

    (group,) = [g for g in response.context["groups"] if g["label"] == "Documents"]
    assert (len(group["hits"]), group["more"]) == (search.GLOBAL_LIMIT, True)
