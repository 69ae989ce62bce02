"""My exports: a long list export's progress, its download, and my recent exports.

Only the person who asked sees a job: anyone else gets 404, not 403, so export numbers
cannot be probed for what others exported.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.core import backgroundexports, queries
from qualitas.core.errors import NotFound
from qualitas.core.models import ExportJob, ExportState
from qualitas.core.views import signed_in_user


def _own_job(request: HttpRequest, pk: int) -> ExportJob:
    mine = ExportJob.objects.filter(user=signed_in_user(request))
    job: ExportJob = queries.get_or_404(mine, pk=pk)
    return job


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    context = {"title": "My exports", "jobs": backgroundexports.recent(signed_in_user(request))}
    return render(request, "core/export_list.html", context)


@login_required
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    context = {"title": f"Export of {job.title}", "job": job}
    # While it runs the page asks again every 2 s for this fragment alone (htmx).
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "core/partials/_export_job.html", context)
    return render(request, "core/export_job.html", context)


@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = _own_job(request, pk)
    if job.state != ExportState.DONE or not job.file_name:
        raise NotFound("This export has no file (yet).")
    try:
        stored = default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        raise NotFound("This export's file has been removed; export the list again.") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=backgroundexports.download_name(job),
        content_type=backgroundexports.content_type(job),
    )
    response.block_size = 64 * 1024
    return response
