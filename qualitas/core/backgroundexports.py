"""List exports too long for the request: written by a background job, fetched afterwards.

A list export of more than QUALITAS_EXPORT_BACKGROUND_ROWS rows becomes an `ExportJob`. The
job rebuilds the list's table as the person who asked, from the page's path and query string
(so their permissions and filters apply and the rows are those the streamed export would
give), writes it through the same functions as the streamed export (exports.csv_pieces,
exports.write_xlsx) and keeps the file in the file storage under `exports/` for 24 hours.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import IO, TYPE_CHECKING, Any

import django_tables2 as tables
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone

from qualitas.core import export_plan, exports, permissions
from qualitas.core.errors import QualitasError
from qualitas.core.models import ExportJob, ExportState, User

if TYPE_CHECKING:
    from qualitas.core.views.generic import ObjectListView

logger = logging.getLogger(__name__)

FOLDER = "exports"
KEEP = timedelta(hours=24)
# A job still queued or running after this long was lost (its worker or server restarted).
STALE = timedelta(hours=2)
# Rows between two progress updates: one UPDATE per this many rows keeps the page's progress
# bar moving without slowing the export.
PROGRESS_EVERY = 2000


class ExportFailed(Exception):
    """A reason the person can act on; shown on the job's page as it is."""


def runs_in_background(table: tables.Table) -> bool:
    """Does this list have more rows than an export in the request may write?"""
    threshold = settings.QUALITAS_EXPORT_BACKGROUND_ROWS
    queryset = table.data.data
    if not isinstance(queryset, QuerySet):  # a table over a list is already in memory
        return False
    # Counting at most threshold + 1 rows, without the sort: the request's cost stays bounded
    # however long the list is.
    return bool(queryset.order_by()[: threshold + 1].count() > threshold)


EXPORT_TASK = "qualitas.export_list"


def start(view: ObjectListView, request: HttpRequest, export_format: str) -> ExportJob:
    """Queue the export of the list this request shows; the job starts once this commits."""
    if not isinstance(request.user, User):
        raise TypeError("start() needs a list behind login_required")
    query = request.GET.copy()
    for name in ("export", "page"):
        query.pop(name, None)
    job = ExportJob.objects.create(
        user=request.user,
        title=str(view.title)[:200],
        path=request.path_info,
        query=query.urlencode(),
        export_name=view.export_name,
        format=export_format,
    )
    transaction.on_commit(lambda: dispatch(job.pk))
    return job


def dispatch(job_id: int) -> threading.Thread | None:
    """Hand the job to a Celery worker, or to a thread of this process without a broker."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Without a broker (the embedded, single-server mode) Celery runs a task inside
        # .delay(), so the request would wait for the whole export: exactly what the job
        # avoids. A daemon thread writes it instead and the page answers at once; a restart
        # of the server loses a running export, which the person then asks for again.
        thread = threading.Thread(
            target=_run_in_thread, args=(job_id,), name=f"qualitas-export-{job_id}", daemon=True
        )
        thread.start()
        return thread
    # The project's Celery app (configured with the broker), imported here: web processes
    # do not import it at start-up, and qualitas/__init__ stays free of it (qualitas.spc
    # must load without Django). By name: core.tasks wraps this module's run().
    from qualitas.celery import app

    try:
        app.send_task(EXPORT_TASK, args=[job_id])
    except Exception:  # the broker is down: say so on the job's page, not as a 500
        logger.exception("export job %s could not be queued", job_id)
        _fail(job_id, "The export could not be queued (the job queue is unavailable). Try again.")
    return None


def _run_in_thread(job_id: int) -> None:
    try:
        run(job_id)
    finally:
        # The thread's own database connection: closed, not left for the server to reap.
        connections.close_all()


def run(job_id: int) -> str:
    """Write the job's file. Never raises for the export itself: a failure is recorded on
    the job with a message the person can read, and no partial file is left."""
    now = timezone.now()
    # Claimed once: a task delivered twice (acks_late) does not write the file twice.
    claimed = ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, started_at=now
    )
    if not claimed:
        return f"export {job_id}: not queued"
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    stored = ""
    counter = _Progress(job.pk)
    with tempfile.TemporaryFile() as spool:  # removed when closed, whatever happens
        try:
            table = _rebuild_table(job)
            total = table.data.data.order_by().count()
            ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
            rows = counter.count(export_plan.export_rows(table))
            _write(rows, spool, export_format=job.format, title=job.title)
            spool.seek(0)
            name = f"{FOLDER}/{job.pk}-{exports.filename(job.export_name, job.format)}"
            stored = default_storage.save(name, File(spool))
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportState.DONE,
                rows_written=counter.rows,
                rows_total=counter.rows,
                file_name=stored,
                finished_at=timezone.now(),
            )
        except Exception as exc:
            logger.exception("export job %s failed", job.pk)
            if stored:
                default_storage.delete(stored)
            _fail(job.pk, _readable(exc, job.pk))
            return f"export {job.pk}: failed"
    return f"export {job.pk}: {counter.rows} rows"


def download_name(job: ExportJob) -> str:
    """The file's name as saved by the person: without the job's id in front."""
    return job.file_name.rsplit("/", 1)[-1].split("-", 1)[-1]


def content_type(job: ExportJob) -> str:
    return exports.CSV_TYPE if job.format == "csv" else exports.XLSX_TYPE


def remove_expired() -> str:
    """Export jobs and their files live 24 hours: a copy of records outside the system is
    kept no longer than it takes to fetch it. A job lost by a restart is marked failed, so
    its page stops waiting and says what to do."""
    now = timezone.now()
    lost = ExportJob.objects.filter(
        state__in=(ExportState.QUEUED, ExportState.RUNNING), created_at__lt=now - STALE
    ).update(
        state=ExportState.FAILED,
        error="The export was interrupted (the server restarted). Export the list again.",
        finished_at=now,
    )
    old = ExportJob.objects.filter(created_at__lt=now - KEEP)
    files = 0
    for name in old.exclude(file_name="").values_list("file_name", flat=True):
        if default_storage.exists(name):
            default_storage.delete(name)
            files += 1
    removed, _ = old.delete()
    return f"{removed} expired export(s) removed, {files} file(s); {lost} interrupted"


def recent(user: User) -> list[ExportJob]:
    """The person's own exports, newest first (only the last 24 hours are kept)."""
    return list(ExportJob.objects.filter(user=user).order_by("-created_at", "-id")[:50])


# --- the job's parts ----------------------------------------------------------------------


def _rebuild_table(job: ExportJob) -> tables.Table:
    """The list's table, filtered and sorted, as the page built it for this person."""
    try:
        match = resolve(job.path)
    except Resolver404:
        raise ExportFailed("This list no longer exists.") from None
    view_class: Any = getattr(match.func, "view_class", None)
    # Any ObjectListView (recognised by what the job uses: this layer imports no views).
    if not callable(getattr(view_class, "filtered_table", None)):
        raise ExportFailed("This page is not a list that can be exported.")
    if not job.user.is_active:
        raise ExportFailed("The account that asked for this export is deactivated.")
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = job.path
    request.GET = QueryDict(job.query)
    request.user = job.user
    view = view_class(**match.func.view_initkwargs)  # type: ignore[attr-defined]
    view.setup(request, *match.args, **match.kwargs)
    # Asked again now: a role revoked since the request takes the export with it.
    permissions.require(job.user, view.permission)
    table, _ = view.filtered_table(request)
    return table


def _write(
    rows: Iterable[Sequence[object]], target: IO[bytes], *, export_format: str, title: str
) -> None:
    if export_format == "csv":
        for piece in exports.csv_pieces(rows, neutralised=True):  # export_plan neutralised them
            target.write(piece.encode())
    elif export_format == "xlsx":
        exports.write_xlsx(rows, target, title=title)
    else:
        raise ExportFailed(f"Unknown export format {export_format!r}.")


class _Progress:
    """Counts the rows going past (not the header) and records the count every few thousand."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.rows = 0

    def count(self, rows: Iterator[list[object]]) -> Iterator[list[object]]:
        header = next(rows, None)
        if header is None:
            return
        yield header
        for row in rows:
            yield row
            self.rows += 1
            if self.rows % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=self.job_id).update(rows_written=self.rows)


def _readable(exc: Exception, job_id: int) -> str:
    if isinstance(exc, ExportFailed):
        return str(exc)
    if isinstance(exc, QualitasError):
        return exc.detail
    # Anything else is a fault, not the person's doing: the log has the details.
    return (
        f"The export failed ({type(exc).__name__}). Try again; if it fails again, tell your "
        f"administrator the export number {job_id}."
    )


def _fail(job_id: int, message: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(
        state=ExportState.FAILED, error=message, finished_at=timezone.now()
    )
