"""Comparing two revisions' text: line alignment, word marks, escaping, folding (no database)."""

from __future__ import annotations

import random
import time

from qualitas.documents.compare import DiffRow, compare


def kinds(rows: list[DiffRow]) -> list[str]:
    return [row.kind for row in rows]


def test_identical_texts() -> None:
    text = "Purpose\n\nScope\nResponsibilities\n"
    result = compare(text, text, context=None)
    assert result.identical
    assert (result.added, result.removed, result.changed) == (0, 0, 0)
    assert kinds(result.rows) == ["same"] * 4
    assert [(r.old_number, r.new_number) for r in result.rows] == [(1, 1), (2, 2), (3, 3), (4, 4)]


def test_identical_texts_fold_to_one_skip_row() -> None:
    text = "\n".join(f"line {n}" for n in range(50))
    result = compare(text, text)
    assert result.identical
    assert kinds(result.rows) == ["skip"]
    assert result.rows[0].skipped == 50
    assert result.rows[0].old_html == "… 50 unchanged lines …"


def test_one_word_changed() -> None:
    result = compare(
        "Rinse the nozzle daily.\nRecord it.", "Rinse the nozzle weekly.\nRecord it.", context=None
    )
    assert not result.identical
    assert (result.added, result.removed, result.changed) == (0, 0, 1)
    row = result.rows[0]
    assert row.kind == "changed"
    assert (row.old_number, row.new_number) == (1, 1)
    assert row.old_html == "Rinse the nozzle <del>daily</del>."
    assert row.new_html == "Rinse the nozzle <ins>weekly</ins>."
    assert result.rows[1] == DiffRow("same", 2, 2, "Record it.", "Record it.")


def test_neighbouring_changed_words_are_marked_together() -> None:
    row = compare("the quick brown fox", "the slow red fox").rows[0]
    assert row.old_html == "the <del>quick brown</del> fox"
    assert row.new_html == "the <ins>slow red</ins> fox"


def test_a_rewritten_line_is_marked_whole() -> None:
    row = compare("Operators clean the line.", "QA approves each batch record.").rows[0]
    assert row.kind == "changed"
    assert row.old_html == "<del>Operators clean the line.</del>"
    assert row.new_html == "<ins>QA approves each batch record.</ins>"


def test_added_and_removed_lines_are_numbered_on_their_own_side() -> None:
    old = "one\ntwo\nthree\nfour"
    new = "zero\none\nthree\nfour\nfive\nsix"
    result = compare(old, new, context=None)
    assert [(r.kind, r.old_number, r.new_number) for r in result.rows] == [
        ("added", None, 1),
        ("same", 1, 2),
        ("removed", 2, None),
        ("same", 3, 3),
        ("same", 4, 4),
        ("added", None, 5),
        ("added", None, 6),
    ]
    assert (result.added, result.removed, result.changed) == (3, 1, 0)
    removed = result.rows[2]
    assert (removed.old_html, removed.new_html) == ("two", "")
    assert (result.rows[0].old_html, result.rows[0].new_html) == ("", "zero")


def test_a_replaced_block_pairs_lines_and_the_surplus_is_added() -> None:
    old = "Scope\nStep A\nStep B\nEnd"
    new = "Scope\nStep A1\nStep B1\nStep C1\nEnd"
    result = compare(old, new, context=None)
    assert [(r.kind, r.old_number, r.new_number) for r in result.rows] == [
        ("same", 1, 1),
        ("changed", 2, 2),
        ("changed", 3, 3),
        ("added", None, 4),
        ("same", 4, 5),
    ]
    assert (result.added, result.removed, result.changed) == (1, 0, 2)


def test_html_in_the_text_is_escaped() -> None:
    result = compare('<b>Keep</b> & "old"\n<script>', '<b>Keep</b> & "new"\n<script>')
    changed, same = result.rows
    assert changed.old_html == "&lt;b&gt;Keep&lt;/b&gt; &amp; &quot;<del>old</del>&quot;"
    assert changed.new_html == "&lt;b&gt;Keep&lt;/b&gt; &amp; &quot;<ins>new</ins>&quot;"
    assert same.old_html == same.new_html == "&lt;script&gt;"


def test_very_long_lines_are_marked_whole_without_a_word_diff() -> None:
    old = "word " * 500 + "<end>"
    new = "word " * 500 + "<finish>"
    row = compare(old, new).rows[0]
    assert row.old_html == "<del>" + "word " * 500 + "&lt;end&gt;</del>"
    assert row.new_html == "<ins>" + "word " * 500 + "&lt;finish&gt;</ins>"


def test_long_unchanged_runs_fold_around_the_changes() -> None:
    old_lines = [f"line {n}" for n in range(1, 41)]
    new_lines = list(old_lines)
    new_lines[19] = "line twenty"  # line 20
    result = compare("\n".join(old_lines), "\n".join(new_lines), context=2)

    assert kinds(result.rows) == ["skip", "same", "same", "changed", "same", "same", "skip"]
    head, tail = result.rows[0], result.rows[-1]
    assert (head.old_number, head.new_number, head.skipped) == (1, 1, 17)
    assert head.old_html == head.new_html == "… 17 unchanged lines …"
    assert [r.old_number for r in result.rows[1:6]] == [18, 19, 20, 21, 22]
    assert (tail.old_number, tail.skipped) == (23, 18)
    assert result.changed == 1


def test_a_run_between_changes_keeps_context_on_both_sides() -> None:
    old_lines = [f"line {n}" for n in range(1, 21)]
    new_lines = ["first", *old_lines[1:19], "last"]
    result = compare("\n".join(old_lines), "\n".join(new_lines), context=3)
    assert kinds(result.rows) == ["changed", *["same"] * 3, "skip", *["same"] * 3, "changed"]
    assert result.rows[4].skipped == 12
    assert result.rows[4].old_number == 5


def test_short_runs_are_not_folded() -> None:
    # A run of 2 * context + 1 lines between changes would hide a single line: it stays.
    old_lines = ["a", "1", "2", "3", "4", "5", "6", "7", "b"]
    new_lines = ["A", "1", "2", "3", "4", "5", "6", "7", "B"]
    result = compare("\n".join(old_lines), "\n".join(new_lines), context=3)
    assert "skip" not in kinds(result.rows)
    assert len(result.rows) == 9


def test_counts_for_a_mixed_revision() -> None:
    old = "title\nalpha beta\ngamma\ndelta\nepsilon\nzeta"
    new = "title\nalpha BETA\ndelta\nepsilon\nnew one\nnew two\nzeta"
    result = compare(old, new, context=None)
    assert kinds(result.rows) == [
        "same", "changed", "removed", "same", "same", "added", "added", "same"
    ]  # fmt: skip
    assert (result.added, result.removed, result.changed) == (2, 1, 1)
    assert result.rows[1].new_html == "alpha <ins>BETA</ins>"
    # Every old and every new line appears exactly once, in order.
    old_numbers = [r.old_number for r in result.rows if r.old_number is not None]
    new_numbers = [r.new_number for r in result.rows if r.new_number is not None]
    assert old_numbers == list(range(1, 7))
    assert new_numbers == list(range(1, 8))


def test_a_large_document_is_compared_quickly() -> None:
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(2000)]

    def paragraph() -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 25)))

    old_lines = ["" if n % 4 == 0 else "---" if n % 17 == 0 else paragraph() for n in range(20_000)]
    new_lines = list(old_lines)
    for _ in range(300):
        at = rng.randrange(len(new_lines))
        new_lines[at : at + 1] = rng.choice([[paragraph()], [paragraph(), new_lines[at]], []])

    started = time.perf_counter()
    result = compare("\n".join(old_lines), "\n".join(new_lines))
    assert time.perf_counter() - started < 5
    assert result.added + result.changed > 0
    assert any(row.kind == "skip" for row in result.rows)

    # Unfolded, the rows hold every old and every new line once, in order, and "same" is true.
    full = compare("\n".join(old_lines), "\n".join(new_lines), context=None)
    olds = [r.old_number for r in full.rows if r.old_number is not None]
    news = [r.new_number for r in full.rows if r.new_number is not None]
    assert olds == list(range(1, len(old_lines) + 1))
    assert news == list(range(1, len(new_lines) + 1))
    for row in full.rows:
        if row.kind == "same":
            assert row.old_number is not None
            assert row.new_number is not None
            assert old_lines[row.old_number - 1] == new_lines[row.new_number - 1]
    counts = (full.added, full.removed, full.changed)
    assert counts == (result.added, result.removed, result.changed)
    assert full.added - full.removed == len(new_lines) - len(old_lines)
