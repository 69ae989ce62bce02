"""Frameworks in the database: the shipped ones loaded after migrate, an organisation's own
imported through the service, the API, the page and the CLI, upgrades that keep every
requirement's identity, and who may do what."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qualitas.compliance import services
from qualitas.compliance.models import Framework, Requirement, RequirementMapping
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent
from qualitas.core.services import system_user

pytestmark = pytest.mark.django_db

OWN = """\
key: acme-customer-requirements
name: ACME customer requirements
title: Supplier quality manual of ACME Corp.
version: "2026-03"
publisher: ACME Corp.
kind: customer
requirements:
  - ref_id: "CSR-1"
    title: Quality system
    auditable: false
    children:
      - ref_id: "CSR-1.1"
        title: Certification to ISO 9001
        guidance: A valid certificate is on file.
      - ref_id: "CSR-1.2"
        title: Change notification
        guidance: ACME is told 90 days before a process change.
  - ref_id: "CSR-2"
    title: Traceability by lot
"""


def _own(text: str = OWN) -> bytes:
    return text.encode()


# --- Shipped frameworks ------------------------------------------------------------------------


def test_the_shipped_frameworks_are_loaded_after_migrate():
    keys = set(Framework.objects.values_list("key", flat=True))
    assert {
        "iso-9001-2015",
        "iso-13485-2016",
        "iso-27001-2022",
        "nist-csf-2.0",
        "21-cfr-11",
        "21-cfr-820",
    } <= keys
    annex_a = Requirement.objects.filter(
        framework__key="iso-27001-2022", ref_id__regex=r"^A\.[5-8]\.\d+$"
    )
    assert annex_a.count() == 93
    control = Requirement.objects.get(framework__key="iso-27001-2022", ref_id="A.5.15")
    assert control.title == "Access control" and control.parent.ref_id == "A.5"
    assert control.parent.parent.ref_id == "A" and control.depth == 2
    csf = Requirement.objects.filter(framework__key="nist-csf-2.0", ref_id__contains="-")
    assert csf.count() == 106
    assert RequirementMapping.objects.filter(
        source__framework__key="iso-27001-2022", target__framework__key="nist-csf-2.0"
    ).exists()
    assert Framework.objects.filter(shipped=True).count() == 6


def test_loading_the_shipped_files_again_changes_nothing():
    before = AuditEvent.objects.count()
    results = services.load_shipped(actor=system_user())
    assert results and all(r.unchanged for r in results)
    assert AuditEvent.objects.count() == before


def test_a_shipped_framework_cannot_be_replaced_by_an_upload(quality_manager):
    path = Path(services.files.FRAMEWORKS_DIR) / "iso-9001-2015.yaml"
    text = path.read_text().replace('version: "2015"', 'version: "2015-ours"')
    with pytest.raises(InvalidInput, match="shipped with Qualitas") as caught:
        services.import_framework(text.encode(), actor=quality_manager, filename=path.name)
    assert caught.value.errors[0].field == "key"


# --- The organisation's own framework -----------------------------------------------------------


def test_an_own_framework_is_imported_with_its_tree_on_the_audit_trail(quality_manager):
    loaded = services.import_framework(_own(), actor=quality_manager, filename="acme.yaml")
    framework = loaded.framework
    assert (framework.key, framework.kind, framework.shipped) == (
        "acme-customer-requirements",
        "customer",
        False,
    )
    assert loaded.created == ["CSR-1", "CSR-1.1", "CSR-1.2", "CSR-2"]
    child = Requirement.objects.get(framework=framework, ref_id="CSR-1.2")
    assert child.parent.ref_id == "CSR-1" and child.depth == 1 and child.auditable
    assert not Requirement.objects.get(framework=framework, ref_id="CSR-1").auditable
    created = AuditEvent.objects.filter(object_type__model="requirement", action="create")
    assert created.filter(actor=quality_manager).count() == 4


def test_an_upgrade_keeps_each_requirement_and_retires_what_it_leaves_out(quality_manager):
    first = services.import_framework(_own(), actor=quality_manager).framework
    kept = Requirement.objects.get(framework=first, ref_id="CSR-1.2")
    gone = Requirement.objects.get(framework=first, ref_id="CSR-2")
    newer = (
        OWN.replace('version: "2026-03"', 'version: "2026-09"')
        .replace("90 days", "120 days")
        .replace('  - ref_id: "CSR-2"\n    title: Traceability by lot\n', "")
        + '  - ref_id: "CSR-3"\n    title: Annual layout inspection\n'
    )
    loaded = services.import_framework(_own(newer), actor=quality_manager)
    assert (loaded.created, loaded.changed, loaded.retired) == (
        ["CSR-3"],
        ["CSR-1.2"],
        ["CSR-2"],
    )
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (
        "120 days" in kept.guidance
        and kept.pk == Requirement.objects.get(framework=first, ref_id="CSR-1.2").pk
    )
    assert gone.retired
    assert Framework.objects.get(pk=first.pk).version == "2026-09"
    # The same file again: nothing changes. The first version again: CSR-2 is back, same row.
    assert services.import_framework(_own(newer), actor=quality_manager).unchanged
    back = services.import_framework(_own(), actor=quality_manager)
    assert "CSR-2" in back.changed and "CSR-3" in back.retired
    gone.refresh_from_db()
    assert not gone.retired


def test_a_malformed_file_names_the_line_and_field_and_loads_nothing(quality_manager):
    bad = OWN.replace("title: Change notification", 'title: ""')
    with pytest.raises(InvalidInput) as caught:
        services.import_framework(_own(bad), actor=quality_manager, filename="acme.yaml")
    error = caught.value.errors[0]
    assert error.field == "file"
    assert "acme.yaml line 16" in error.message and "children[1].title" in error.message
    assert not Framework.objects.filter(key="acme-customer-requirements").exists()


def test_only_a_quality_manager_imports(viewer, quality_manager):
    with pytest.raises(PermissionDenied):
        services.import_framework(_own(), actor=viewer)
    assert not Framework.objects.filter(key="acme-customer-requirements").exists()


# --- API -----------------------------------------------------------------------------------


def test_api_lists_frameworks_and_their_requirements(api_for, viewer):
    api = api_for(viewer)
    listed = api.get("/frameworks", page_size=50).json()
    keys = {f["key"]: f for f in listed["results"]}
    assert (
        keys["iso-27001-2022"]["requirements"]
        == Requirement.objects.filter(framework__key="iso-27001-2022", retired=False).count()
    )
    page = api.get("/frameworks/iso-27001-2022/requirements", page_size=200).json()
    refs = [r["ref_id"] for r in page["results"]]
    assert refs[:2] == ["4", "4.1"] and "A.8.34" in refs
    control = next(r for r in page["results"] if r["ref_id"] == "A.5.15")
    assert control["parent"] == "A.5" and control["auditable"] is True
    auditable = api.get(
        "/frameworks/iso-9001-2015/requirements", auditable="false", page_size=200
    ).json()
    assert {r["ref_id"] for r in auditable["results"]} >= {"4", "10"}
    one = api.get("/frameworks/iso-27001-2022/requirement", ref_id="A.5.15").json()
    assert one["framework"] == "iso-27001-2022"
    assert any(m["framework"] == "nist-csf-2.0" for m in one["mappings"])


def test_api_refuses_unknown_keys_and_ref_ids(api_for, viewer, anonymous_api):
    api = api_for(viewer)
    assert api.get("/frameworks/no-such-thing").status_code == 404
    unknown = api.get("/frameworks/iso-9001-2015/requirement", ref_id="11.1")
    assert unknown.status_code == 422 and "ref_id" in unknown.content.decode()
    assert anonymous_api.get("/frameworks").status_code == 401


def test_api_import(client_for, quality_manager, viewer):
    def upload(user, data: bytes, name: str = "acme.yaml"):
        client = client_for(user)
        return client.post(
            "/api/v1/frameworks/import",
            {"file": io.BytesIO(data)},
            format="multipart",
        )

    refused = upload(viewer, _own())
    assert refused.status_code == 403
    made = upload(quality_manager, _own())
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["framework"]["key"] == "acme-customer-requirements"
    assert body["framework"]["requirements"] == 4 and body["created"][0] == "CSR-1"
    again = upload(quality_manager, _own())
    assert again.status_code == 200 and again.json()["unchanged"] is True
    bad = upload(quality_manager, b"key: [unclosed")
    assert bad.status_code == 422 and "line 1" in bad.content.decode()


# --- Pages and CLI --------------------------------------------------------------------------


def test_pages(client_for, viewer, quality_manager):
    client = client_for(viewer)
    listing = client.get(reverse("compliance:frameworks"))
    assert listing.status_code == 200 and b"ISO/IEC 27001:2022" in listing.content
    with CaptureQueriesContext(connection) as first:
        page = client.get(reverse("compliance:framework", args=["iso-27001-2022"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A.5.15" in html and "Access control" in html and "NIST CSF 2.0" in html
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("compliance:framework", args=["nist-csf-2.0"]))
    # A fixed number of queries whatever the size of the framework.
    assert len(second.captured_queries) == len(first.captured_queries)
    exported = client.get(
        reverse("compliance:requirements"),
        {"framework": Framework.objects.get(key="21-cfr-11").pk, "export": "csv"},
    )
    text = b"".join(exported.streaming_content).decode()
    assert "11.10(a)" in text and "Reference" in text
    assert client.get(reverse("compliance:import")).status_code == 403
    manager = client_for(quality_manager)
    form = manager.get(reverse("compliance:import"))
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.content
    sent = manager.post(
        reverse("compliance:import"), {"file": io.BytesIO(_own())}, format="multipart"
    )
    assert sent.status_code == 302
    bad = manager.post(
        reverse("compliance:import"),
        {"file": io.BytesIO(OWN.replace("kind: customer", "kind: wishlist").encode())},
    )
    assert bad.status_code == 422 and b"kind" in bad.content


def test_cli_import(tmp_path, quality_manager):
    good = tmp_path / "acme.yaml"
    good.write_text(OWN)
    out = io.StringIO()
    call_command("compliance", "import", str(good), "--user", quality_manager.username, stdout=out)
    assert "acme-customer-requirements 2026-03: 4 added" in out.getvalue()
    bad = tmp_path / "bad.yaml"
    bad.write_text(OWN.replace('ref_id: "CSR-2"', 'ref_id: "CSR-1"'))
    with pytest.raises(CommandError, match=r"bad\.yaml line") as caught:
        call_command("compliance", "import", str(bad), "--user", quality_manager.username)
    assert "\n" not in str(caught.value)
