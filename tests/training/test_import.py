"""`qualitas training import FILE`: historical training from CSV or XLSX, all or nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.utils import timezone

from qualitas import cli
from qualitas.core import workflow
from qualitas.core.models import AuditEvent, Signature
from qualitas.training import services
from qualitas.training.models import TrainingRecord

pytestmark = pytest.mark.django_db

HEADER = "username,item,completed_on,trainer,method\n"


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


def run(path: Path, user: str = "coord") -> str:
    out = io.StringIO()
    call_command("training", "import", str(path), "--user", user, stdout=out)
    return out.getvalue()


def refusal(path: Path, user: str = "coord") -> list[str]:
    before = (TrainingRecord.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError) as refused:
        run(path, user)
    assert (TrainingRecord.objects.count(), AuditEvent.objects.count()) == before
    return str(refused.value).splitlines()


def test_a_csv_of_history_is_recorded_as_completed_training(
    cast, first_aid, welding, sop, tmp_path
) -> None:
    path = write(
        tmp_path,
        "oper,FA-01,2025-03-04,,\n"
        f"weld,{sop.number},2026-01-15,,\n"
        "weld,OJT-WELD,2025-11-02,insp,On the job\n",
    )

    said = run(path)

    assert said.strip() == "3 training records imported from history.csv."
    aid = TrainingRecord.objects.get(person=cast["operator"], course=first_aid)
    assert (aid.state, aid.completed_on, aid.method) == ("completed", date(2025, 3, 4), "classroom")
    assert aid.expires_on == date(2027, 3, 4)  # the course's 24 months
    reading = TrainingRecord.objects.get(person=cast["welder"], document_id=sop.pk)
    assert reading.state == "completed" and reading.method == "reading"
    assert reading.revision_id == sop.current_revision_id and reading.revision_label == "A"
    ojt = TrainingRecord.objects.get(person=cast["welder"], course=welding)
    assert (ojt.trainer, ojt.method, ojt.expires_on) == (cast["inspector"], "on_the_job", None)
    # No signature is claimed for paper history: the automatic step, by the coordinator.
    kind = ContentType.objects.get_for_model(TrainingRecord)
    step = AuditEvent.objects.filter(
        object_type=kind,
        object_id=aid.pk,
        action="transition",
    ).get()
    assert (step.actor, step.changes["state"]["new"]) == (cast["coordinator"], "completed")
    assert step.reason == "Completed 2025-03-04; recorded from history."
    assert not Signature.objects.filter(object_type=kind, object_id=aid.pk).exists()


def test_an_open_assignment_is_completed_rather_than_doubled(
    cast, assembly, first_aid, tmp_path
) -> None:
    services.add_requirement(
        actor=cast["coordinator"], department=assembly, course=first_aid, validity_months=12
    )
    assigned = TrainingRecord.objects.get(person=cast["operator"], course=first_aid)

    run(write(tmp_path, "oper,FA-01,2026-06-01,,\n"))

    assert TrainingRecord.objects.filter(person=cast["operator"], course=first_aid).count() == 1
    assigned.refresh_from_db()
    assert assigned.state == "completed" and assigned.completed_on == date(2026, 6, 1)
    assert assigned.expires_on == date(2027, 6, 1)  # the requirement's 12 months win


def test_a_requirement_found_for_history_sets_its_validity(
    cast, assembly, first_aid, tmp_path
) -> None:
    """History for a person the curriculum covers, with no open assignment left, still
    answers that curriculum line."""
    requirement = services.add_requirement(
        actor=cast["coordinator"], department=assembly, course=first_aid, validity_months=6
    )
    for record in TrainingRecord.objects.filter(course=first_aid):
        workflow.fire(record, "cancel", actor=cast["coordinator"], comment="Trained on paper")

    run(write(tmp_path, "oper,FA-01,2026-06-01,,\n"))

    record = TrainingRecord.objects.get(
        person=cast["operator"], course=first_aid, state="completed"
    )
    assert record.requirement == requirement and record.expires_on == date(2026, 12, 1)


def test_an_xlsx_of_history_is_recorded(cast, first_aid, tmp_path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Username", "Course", "completed_on"])
    sheet.append(["oper", "FA-01", date(2024, 2, 29)])  # a date cell, not text
    path = tmp_path / "history.xlsx"
    book.save(path)

    assert run(path).startswith("1 training records imported")
    record = TrainingRecord.objects.get(person=cast["operator"])
    assert record.completed_on == date(2024, 2, 29) and record.state == "completed"


def test_every_row_wrong_is_named_and_nothing_is_saved(cast, first_aid, sop, tmp_path) -> None:
    future = timezone.localdate() + timedelta(days=30)
    path = write(
        tmp_path,
        "oper,FA-01,2025-03-04,,\n"  # fine, yet not saved
        "ghost,FA-01,2025-03-04,,\n"
        "oper,NO-SUCH,2025-03-04,,\n"
        f"oper,FA-01,{future.isoformat()},,\n"
        "oper,FA-01,04/03/2025,,\n"
        "oper,FA-01,2025-03-05,nobody,\n"
        "oper,FA-01,2025-03-06,,telepathy\n"
        "oper,FA-01,2025-03-04,,\n",
    )

    lines = refusal(path)

    assert lines == [
        "history.csv: 7 errors, nothing imported.",
        "row 3, username: There is no person 'ghost'.",
        "row 4, item: There is no course or controlled document 'NO-SUCH'.",
        f"row 5, completed_on: {future.isoformat()} is in the future.",
        "row 6, completed_on: '04/03/2025' is not a date; write it as YYYY-MM-DD.",
        "row 7, trainer: There is no person 'nobody'.",
        "row 8, method: 'telepathy' is not a method; choose one of reading, classroom, "
        "on_the_job, e_learning, external.",
        "row 9, completed_on: Duplicate of row 2.",
    ]
    assert not TrainingRecord.objects.exists()


def test_a_duplicate_of_training_already_recorded_is_refused(
    cast, first_aid, sop, tmp_path
) -> None:
    run(write(tmp_path, f"oper,FA-01,2025-03-04,,\noper,{sop.number},2025-03-04,,\n"))

    lines = refusal(
        write(tmp_path, f"oper,{sop.number},2025-03-04,,\noper,FA-01,2025-03-05,,\n", "again.csv")
    )

    assert lines == [
        "again.csv: 1 error, nothing imported.",
        f"row 2, completed_on: oper already has {sop.number} completed on 2025-03-04.",
    ]


def test_a_document_with_no_revision_in_force_is_refused(cast, tmp_path) -> None:
    from qualitas.documents import services as documents
    from qualitas.documents.models import DocumentType

    draft = documents.create_document(
        actor=cast["author"],
        document_type=DocumentType.objects.get(code="procedure"),
        title="Not yet approved",
    )

    lines = refusal(write(tmp_path, f"oper,{draft.number},2025-03-04,,\n"))

    assert lines[1] == f"row 2, item: {draft.number} has no revision in force to record reading."


def test_a_file_without_the_columns_is_refused(cast, tmp_path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("name,when\noper,2025-01-01\n", encoding="utf-8")

    lines = refusal(path)

    assert lines[0] == "wrong.csv: 1 error, nothing imported."
    assert lines[1].startswith("'wrong.csv' has no column username, item, completed_on")


def test_only_a_training_manager_imports(cast, first_aid, tmp_path) -> None:
    lines = refusal(write(tmp_path, "weld,FA-01,2025-03-04,,\n"), user="oper")

    assert lines[0].startswith("history.csv: You may not do this")


def test_the_cli_exits_non_zero_with_one_line_per_error_on_stderr(
    cast, first_aid, tmp_path, capsys, monkeypatch
) -> None:
    # A command run from the command line closes the database connections as it ends; the
    # test's transaction must outlive it.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    bad = write(tmp_path, "ghost,FA-01,2025-03-04,,\noper,NOPE,2025-03-04,,\n")

    with pytest.raises(SystemExit) as exit_:
        cli.main(["qualitas", "training", "import", str(bad), "--user", "coord"])

    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "CommandError: history.csv: 2 errors, nothing imported.",
        "row 2, username: There is no person 'ghost'.",
        "row 3, item: There is no course or controlled document 'NOPE'.",
    ]
    assert not TrainingRecord.objects.exists()

    good = write(tmp_path, "oper,FA-01,2025-03-04,,\n", "good.csv")
    assert cli.main(["qualitas", "training", "import", str(good), "--user", "coord"]) == 0
    assert "1 training records imported from good.csv." in capsys.readouterr().out


def test_an_unknown_user_or_file_is_named(cast, tmp_path) -> None:
    with pytest.raises(CommandError, match="--user: no active user 'ghost'"):
        run(write(tmp_path, "oper,FA-01,2025-03-04,,\n"), user="ghost")
    with pytest.raises(CommandError, match=r"missing\.csv"):
        run(tmp_path / "missing.csv")
