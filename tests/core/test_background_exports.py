"""A list export longer than QUALITAS_EXPORT_BACKGROUND_ROWS is written by a background job.

The oracle for the job's file is the streamed export of the same list with the same filters
(the path every shorter list takes), asked for with the threshold raised.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from qualitas.core import audit, backgroundexports, export_plan, jobs, tasks
from qualitas.core.models import ExportJob, ExportState, RoleAssignment, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_storage(settings: Any, tmp_path: Any) -> Any:
    """Each test's export files in a folder of its own, and a low threshold."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.QUALITAS_EXPORT_BACKGROUND_ROWS = 2
    return tmp_path / "media"


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Jobs handed to the runner; the tests then run them in this thread, deterministically."""
    started: list[int] = []
    monkeypatch.setattr(backgroundexports, "dispatch", started.append)
    return started


@pytest.fixture
def ncs(raise_nc: Any) -> None:
    raise_nc(title="Bore oversize")
    raise_nc(title='=HYPERLINK("http://evil.test")', severity="minor")
    raise_nc(title="Müller lot", lot_number="L-1")
    raise_nc(title="+Acme burr", severity="minor")
    raise_nc(title="Scratch on cover")


def _ask(
    client: Client, path: str, params: dict[str, str], fmt: str, capture: Any, **headers: Any
) -> Any:
    with capture(execute=True):
        return client.get(path, {**params, "export": fmt}, headers=headers)


def _only_job() -> ExportJob:
    (job,) = ExportJob.objects.all()
    return job


def _body(response: Any) -> bytes:
    if isinstance(response, StreamingHttpResponse | FileResponse):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _csv(data: bytes) -> list[list[str]]:
    text = data.decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(data: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def _files(root: Any) -> list[str]:
    folder = root / backgroundexports.FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- where the export runs ---------------------------------------------------------------


@pytest.mark.usefixtures("dispatched")
def test_a_list_at_the_threshold_streams_as_before(
    client_for: Any, quality_manager: User, raise_nc: Any, settings: Any
) -> None:
    raise_nc(title="one")
    raise_nc(title="two")
    client = client_for(quality_manager)

    streamed = client.get("/nonconformances/", {"export": "csv"})
    workbook = client.get("/nonconformances/", {"export": "xlsx"})

    assert isinstance(streamed, StreamingHttpResponse)
    assert isinstance(workbook, FileResponse)
    assert len(_csv(_body(streamed))) == 3
    assert ExportJob.objects.count() == 0


@pytest.mark.usefixtures("ncs")
def test_a_longer_list_becomes_a_job_on_the_askers_page(
    client_for: Any,
    quality_manager: User,
    dispatched: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(quality_manager)
    params = {"severity": "major", "sort": "-title", "page": "2"}

    response = _ask(client, "/nonconformances/", params, "xlsx", django_capture_on_commit_callbacks)

    job = _only_job()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.user, job.path, job.format) == (quality_manager, "/nonconformances/", "xlsx")
    assert job.query == "severity=major&sort=-title"  # the filters, not the page or export
    assert (job.title, job.export_name, job.state) == (
        "Nonconformances",
        "nonconformances",
        "queued",
    )
    assert dispatched == [job.pk]  # handed on once the job was committed

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-state="queued"' in page.text
    assert 'hx-trigger="every 2s"' in page.text  # polls while queued


@pytest.mark.usefixtures("ncs", "dispatched")
def test_an_htmx_export_request_is_redirected_with_hx_redirect(
    client_for: Any, quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    response = _ask(
        client_for(quality_manager),
        "/nonconformances/",
        {},
        "csv",
        django_capture_on_commit_callbacks,
        HX_Request="true",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/exports/{_only_job().pk}/"


# --- the job's file ------------------------------------------------------------------------

CASES = [
    ("/nonconformances/", {}),
    ("/nonconformances/", {"severity": "major", "sort": "-title"}),
    ("/nonconformances/", {"q": "o", "sort": "owner"}),
    ("/audit-trail/", {"action": "create", "sort": "object_repr"}),
    ("/people/", {"sort": "job_title"}),  # a property column: exported row by row
]


@pytest.mark.usefixtures("ncs", "dispatched")
@pytest.mark.parametrize(("path", "params"), CASES)
def test_the_jobs_csv_is_the_streamed_export(
    client_for: Any,
    quality_manager: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    path: str,
    params: dict[str, str],
) -> None:
    UserFactory.create_batch(3)  # the people list is longer than the threshold too
    client = client_for(quality_manager)
    settings.QUALITAS_EXPORT_BACKGROUND_ROWS = 1
    _ask(client, path, params, "csv", django_capture_on_commit_callbacks)
    job = _only_job()

    summary = backgroundexports.run(job.pk)
    settings.QUALITAS_EXPORT_BACKGROUND_ROWS = 100_000
    streamed = client.get(path, {**params, "export": "csv"})
    download = client.get(f"/exports/{job.pk}/download")

    job.refresh_from_db()
    expected = _csv(_body(streamed))
    assert isinstance(streamed, StreamingHttpResponse)
    assert job.state == ExportState.DONE, job.error
    assert len(expected) > 2
    assert _csv(_body(download)) == expected
    assert (job.rows_written, job.rows_total) == (len(expected) - 1, len(expected) - 1)
    assert summary == f"export {job.pk}: {len(expected) - 1} rows"
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith(f'attachment; filename="{job.export_name}-')


@pytest.mark.usefixtures("ncs", "dispatched")
def test_the_jobs_workbook_opens_and_holds_the_rows(
    client_for: Any,
    quality_manager: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(quality_manager)
    params = {"severity": "minor", "sort": "title"}
    settings.QUALITAS_EXPORT_BACKGROUND_ROWS = 1
    _ask(client, "/nonconformances/", params, "xlsx", django_capture_on_commit_callbacks)
    job = _only_job()

    backgroundexports.run(job.pk)
    settings.QUALITAS_EXPORT_BACKGROUND_ROWS = 100_000
    streamed = _xlsx(_body(client.get("/nonconformances/", {**params, "export": "xlsx"})))
    download = client.get(f"/exports/{job.pk}/download")
    rows = _xlsx(_body(download))

    assert rows == streamed
    title = rows[0].index("Title")
    assert [r[title] for r in rows[1:]] == ["'+Acme burr", '\'=HYPERLINK("http://evil.test")']
    assert download["Content-Disposition"].endswith('.xlsx"')
    assert download["Content-Type"] == backgroundexports.exports.XLSX_TYPE


@pytest.mark.usefixtures("ncs", "dispatched")
def test_progress_is_recorded_while_the_rows_are_written(
    client_for: Any,
    quality_manager: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(quality_manager)
    _ask(client, "/nonconformances/", {}, "csv", django_capture_on_commit_callbacks)
    job = _only_job()
    monkeypatch.setattr(backgroundexports, "PROGRESS_EVERY", 2)
    seen: list[tuple[str, int, int | None]] = []
    pages: list[str] = []
    write = backgroundexports._write

    def watched(rows: Any, target: Any, **how: Any) -> None:
        def each() -> Any:
            for row in rows:
                now = ExportJob.objects.get(pk=job.pk)
                seen.append((now.state, now.rows_written, now.rows_total))
                yield row
            pages.append(client.get(f"/exports/{job.pk}/").text)

        write(each(), target, **how)

    monkeypatch.setattr(backgroundexports, "_write", watched)

    backgroundexports.run(job.pk)

    # Header, then five rows: the count is written after every second row.
    assert seen == [("running", n, 5) for n in (0, 0, 0, 2, 2, 4)]
    assert "4 of 5 rows written" in pages[0]
    assert 'value="80"' in pages[0]
    job.refresh_from_db()
    assert (job.state, job.rows_written, job.rows_total) == ("done", 5, 5)
    assert job.started_at is not None and job.finished_at is not None
    page = client.get(f"/exports/{job.pk}/").text
    assert "every 2s" not in page  # done: the page stops polling
    assert f'href="/exports/{job.pk}/download"' in page


@pytest.mark.usefixtures("ncs", "dispatched")
def test_a_job_runs_once_even_if_delivered_twice(
    client_for: Any,
    quality_manager: User,
    django_capture_on_commit_callbacks: Any,
    own_storage: Any,
) -> None:
    _ask(
        client_for(quality_manager),
        "/nonconformances/",
        {},
        "csv",
        django_capture_on_commit_callbacks,
    )
    job = _only_job()

    backgroundexports.run(job.pk)
    again = backgroundexports.run(job.pk)

    assert again == f"export {job.pk}: not queued"
    assert len(_files(own_storage)) == 1


# --- who may see it ------------------------------------------------------------------------


@pytest.fixture
def finished(
    client_for: Any,
    quality_manager: User,
    ncs: None,
    dispatched: list[int],
    django_capture_on_commit_callbacks: Any,
) -> ExportJob:
    _ask(
        client_for(quality_manager),
        "/nonconformances/",
        {},
        "csv",
        django_capture_on_commit_callbacks,
    )
    job = _only_job()
    backgroundexports.run(job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.DONE
    return job


def test_only_the_asker_sees_or_downloads_the_export(
    client_for: Any, finished: ExportJob, auditor: User, admin: User
) -> None:
    for other in (auditor, admin):  # an administrator too: the file is the asker's
        client = client_for(other)
        assert client.get(f"/exports/{finished.pk}/").status_code == 404
        assert client.get(f"/exports/{finished.pk}/download").status_code == 404
        assert f"/exports/{finished.pk}/" not in client.get("/exports/").text
    owner = client_for(finished.user)
    assert owner.get(f"/exports/{finished.pk}/download").status_code == 200
    assert f"/exports/{finished.pk}/" in owner.get("/exports/").text
    assert owner.get("/exports/999999/").status_code == 404


def test_anonymous_is_sent_to_sign_in(finished: ExportJob) -> None:
    client = Client()
    for path in ("/exports/", f"/exports/{finished.pk}/", f"/exports/{finished.pk}/download"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.usefixtures("ncs", "dispatched")
def test_an_unfinished_export_has_nothing_to_download(
    client_for: Any, quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(quality_manager)
    _ask(client, "/nonconformances/", {}, "csv", django_capture_on_commit_callbacks)

    assert client.get(f"/exports/{_only_job().pk}/download").status_code == 404


# --- failures ------------------------------------------------------------------------------


@pytest.mark.usefixtures("ncs", "dispatched")
def test_a_failing_job_is_marked_failed_and_leaves_no_file(
    client_for: Any,
    quality_manager: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    own_storage: Any,
) -> None:
    client = client_for(quality_manager)
    _ask(client, "/nonconformances/", {}, "xlsx", django_capture_on_commit_callbacks)
    job = _only_job()
    real_rows = export_plan.export_rows

    def breaks_half_way(table: Any) -> Any:
        rows = real_rows(table)
        yield next(rows)
        yield next(rows)
        raise RuntimeError("database connection lost")

    monkeypatch.setattr(backgroundexports.export_plan, "export_rows", breaks_half_way)

    openpyxl_files = list(ALL_TEMP_FILES)

    assert backgroundexports.run(job.pk) == f"export {job.pk}: failed"

    assert openpyxl_files == ALL_TEMP_FILES  # openpyxl's half-written sheet is gone too

    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert job.error.startswith("The export failed (RuntimeError). Try again")
    assert str(job.pk) in job.error
    assert "database connection lost" not in job.error  # details go to the log, not the page
    assert (job.file_name, _files(own_storage)) == ("", [])
    page = client.get(f"/exports/{job.pk}/")
    assert page.status_code == 200
    assert "The export failed (RuntimeError)" in page.text
    assert "every 2s" not in page.text
    assert client.get(f"/exports/{job.pk}/download").status_code == 404


@pytest.mark.usefixtures("dispatched")
def test_a_job_asked_by_someone_who_lost_the_right_fails_with_the_reason(
    client_for: Any, auditor: User, django_capture_on_commit_callbacks: Any, own_storage: Any
) -> None:
    _ask(client_for(auditor), "/audit-trail/", {}, "csv", django_capture_on_commit_callbacks)
    job = _only_job()
    with audit.context(actor=None, actor_name="test fixture"):
        RoleAssignment.objects.filter(user=auditor).delete()

    backgroundexports.run(job.pk)

    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert job.error.startswith("You may not do this")
    assert _files(own_storage) == []


def test_a_job_for_a_page_that_is_not_a_list_fails_cleanly(quality_manager: User) -> None:
    for path, reason in (("/nowhere/", "no longer exists"), ("/me/", "not a list")):
        job = ExportJob.objects.create(
            user=quality_manager, title="x", path=path, export_name="x", format="csv"
        )
        backgroundexports.run(job.pk)
        job.refresh_from_db()
        assert job.state == ExportState.FAILED
        assert reason in job.error


# --- how it is run -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_thread_writes_the_export(
    settings: Any, raise_nc: Any, quality_manager: User
) -> None:
    """Celery's eager mode would run the export inside the request; a thread does instead."""
    for n in range(3):
        raise_nc(title=f"lot {n}")
    settings.CELERY_TASK_ALWAYS_EAGER = True
    job = ExportJob.objects.create(
        user=quality_manager,
        title="Nonconformances",
        path="/nonconformances/",
        export_name="nonconformances",
        format="csv",
    )

    thread = backgroundexports.dispatch(job.pk)

    assert thread is not None and thread.daemon
    thread.join(timeout=60)
    job.refresh_from_db()
    assert (job.state, job.rows_written) == ("done", 3), job.error


def test_with_a_broker_the_job_goes_to_celery(
    settings: Any, monkeypatch: pytest.MonkeyPatch, quality_manager: User
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[tuple[str, list[int]]] = []
    from qualitas.celery import app as current_app

    def send_task(name: str, args: list[int]) -> None:
        assert current_app.tasks[name].name == tasks.export_list.name  # a registered task
        sent.append((name, args))

    monkeypatch.setattr(current_app, "send_task", send_task)
    job = ExportJob.objects.create(
        user=quality_manager, title="x", path="/nonconformances/", export_name="x", format="csv"
    )

    assert backgroundexports.dispatch(job.pk) is None
    assert sent == [("qualitas.export_list", [job.pk])]

    def broker_down(name: str, args: list[int]) -> None:
        raise ConnectionRefusedError("redis")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    backgroundexports.dispatch(job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.FAILED
    assert "could not be queued" in job.error


# --- expiry and cost -----------------------------------------------------------------------


def test_exports_older_than_a_day_are_removed_with_their_files(
    client_for: Any,
    quality_manager: User,
    finished: ExportJob,
    own_storage: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _ask(
        client_for(quality_manager),
        "/nonconformances/",
        {},
        "xlsx",
        django_capture_on_commit_callbacks,
    )
    fresh = ExportJob.objects.exclude(pk=finished.pk).get()
    backgroundexports.run(fresh.pk)
    fresh.refresh_from_db()
    ExportJob.objects.filter(pk=finished.pk).update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    assert len(_files(own_storage)) == 2

    result = jobs.run_all(only=["exports-expire"])

    assert result == {"exports-expire": "1 expired export(s) removed, 1 file(s); 0 interrupted"}
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert _files(own_storage) == [fresh.file_name.rsplit("/", 1)[-1]]
    assert jobs.run_all(only=["exports-expire"]) == {
        "exports-expire": "0 expired export(s) removed, 0 file(s); 0 interrupted"
    }


@pytest.mark.usefixtures("ncs", "dispatched")
def test_an_export_lost_by_a_restart_is_marked_failed(
    client_for: Any, quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(quality_manager)
    for _ in range(2):
        _ask(client, "/nonconformances/", {}, "csv", django_capture_on_commit_callbacks)
    lost, recent = ExportJob.objects.order_by("pk")
    ExportJob.objects.filter(pk=lost.pk).update(
        state=ExportState.RUNNING, created_at=timezone.now() - timedelta(hours=3)
    )

    result = jobs.run_all(only=["exports-expire"])

    assert result == {"exports-expire": "0 expired export(s) removed, 0 file(s); 1 interrupted"}
    lost.refresh_from_db()
    recent.refresh_from_db()
    assert (lost.state, recent.state) == (ExportState.FAILED, ExportState.QUEUED)
    page = client.get(f"/exports/{lost.pk}/").text
    assert "interrupted" in page
    assert "every 2s" not in page


@pytest.mark.usefixtures("ncs", "dispatched")
def test_the_job_pages_cost_the_same_whatever_the_job(
    client_for: Any, quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(quality_manager)
    client.get("/exports/")  # warm the session
    _ask(client, "/nonconformances/", {}, "csv", django_capture_on_commit_callbacks)
    queued = _only_job()
    with CaptureQueriesContext(connection) as queued_page:
        assert client.get(f"/exports/{queued.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as one_listed:
        client.get("/exports/")

    for fmt in ("xlsx", "csv", "xlsx"):
        _ask(
            client,
            "/nonconformances/",
            {"sort": "title"},
            fmt,
            django_capture_on_commit_callbacks,
        )
    done = ExportJob.objects.exclude(pk=queued.pk).first()
    assert done is not None
    backgroundexports.run(done.pk)
    with CaptureQueriesContext(connection) as done_page:
        assert client.get(f"/exports/{done.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as polled:
        client.get(f"/exports/{done.pk}/", headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as four_listed:
        listed = client.get("/exports/")

    assert listed.text.count("/download") == 1
    assert len(done_page) == len(queued_page)
    assert len(polled) <= len(done_page)
    assert len(four_listed) == len(one_listed)
