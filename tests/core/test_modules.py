"""Each module is one declaration (`module.py`), and every record type has one tree of pages
and endpoints; paths that moved answer 308."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from qualitas.core import events, modules, records
from qualitas.core.registry import MenuItem, registry

ROOT = Path(__file__).resolve().parents[2]
# What a module may only do inside its `module.py`: put something into a core registry.
REGISTERING = re.compile(
    r"register_permission\(|grant_to_roles\(|audit\.register\(|records\.register\("
    r"|events\.subscribe\(|registry\.\w+\.(append|extend)\(|registry\.add_menu_item\("
    r"|JOBS\[|post_migrate\.connect\("
)


def test_nothing_is_registered_outside_a_module_declaration() -> None:
    assert modules.undeclared() == []


def test_a_registration_behind_the_declarations_back_is_found() -> None:
    def stray(event: Any) -> None:
        """A subscriber no module declared."""

    events.subscribe(events.RecordCreated, stray)
    registry.add_menu_item("Statistics", MenuItem("Stray", "home", "x"))
    try:
        found = modules.undeclared()
    finally:
        events._subscribers[events.RecordCreated].remove(stray)
        registry.menu[:] = [
            type(g)(g.label, tuple(i for i in g.items if i.label != "Stray"), g.order)
            for g in registry.menu
        ]
    assert any("RecordCreated" in line and "stray" in line for line in found)
    assert "menu item: Statistics > Stray" in found


def test_every_installed_app_of_ours_installs_a_module() -> None:
    ours = [a for a in apps.get_app_configs() if a.name.startswith(("qualitas.", "tests."))]
    assert {a.label for a in ours} == set(modules.INSTALLED)
    for app in ours:
        if app.label != "core":  # the core wires the audit trail's signals beside its module
            assert isinstance(app, modules.ModuleConfig), app.name
        assert (Path(app.path) / "module.py").exists(), app.name


def test_no_module_registers_anything_outside_its_module_py() -> None:
    offenders = []
    # The core implements the registries (and is checked at run time by `undeclared`).
    packages = [p for p in (ROOT / "qualitas").iterdir() if p.is_dir() and p.name != "core"]
    for package in [*packages, ROOT / "tests" / "recordtypes"]:
        for path in package.rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if path.name == "module.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if REGISTERING.search(line) and not line.lstrip().startswith(("#", "def ")):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_app_configs_only_install() -> None:
    for app in apps.get_app_configs():
        if isinstance(app, modules.ModuleConfig):
            assert type(app).ready is modules.ModuleConfig.ready, app.name


# --- One tree per record type ------------------------------------------------------------------

SUB_PATHS = ("history", "transitions", "signatures", "attachments", "links", "actions")


@pytest.mark.django_db
def test_every_record_type_has_the_same_sub_paths_under_its_one_resource(
    api_for: Any, viewer: Any
) -> None:
    schema = api_for(viewer).get("/openapi.json").json()
    paths = set(schema["paths"])
    for record_type in records.RECORD_TYPES.values():
        base = f"/api/v1/{record_type.resource}"
        assert base in paths
        assert f"{base}/{{record_id}}" in paths
        for sub in SUB_PATHS:
            assert f"{base}/{{record_id}}/{sub}" in paths, (record_type.key, sub)
    # A document's identity has the same sub-paths, gathered over its revisions.
    for sub in SUB_PATHS:
        assert f"/api/v1/documents/{{document_id}}/{sub}" in paths, sub
    # The old second trees are gone from the schema.
    old = [p for p in paths if p.startswith(("/api/v1/nc/", "/api/v1/capa/", "/api/v1/spc/"))]
    assert old == []


@pytest.mark.django_db
def test_a_module_action_lives_under_its_record_types_resource(
    api_for: Any, quality_manager: Any
) -> None:
    schema = api_for(quality_manager).get("/openapi.json").json()
    assert "/api/v1/nonconformances/{nc_id}/disposition" in schema["paths"]
    assert "/api/v1/capas/metrics" in schema["paths"]
    assert "/api/v1/spc-studies/{study_id}/analysis" in schema["paths"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/records/nonconformances/?state=open", "/nonconformances/?state=open"),
        ("/records/capas/7/", "/capas/7/"),
        ("/reports/capas/7/8d.pdf", "/capas/7/8d.pdf"),
        ("/spc/studies/new/", "/spc-studies/new/"),
        ("/api/v1/nc/7/disposition", "/api/v1/nonconformances/7/disposition"),
        ("/api/v1/capa/metrics", "/api/v1/capas/metrics"),
        ("/api/v1/spc/analyses", "/api/v1/spc-studies/analyses"),
    ],
)
def test_old_paths_answer_308_to_their_one_place(client: Any, old: str, new: str) -> None:
    response = client.post(old) if old.startswith("/api/v1/nc") else client.get(old)
    assert response.status_code == 308
    assert response["Location"] == new
    assert response["Deprecation"] == "true"


@pytest.mark.django_db
def test_an_old_api_post_still_lands_after_following_the_redirect(
    api_for: Any, quality_manager: Any
) -> None:
    api = api_for(quality_manager)
    body = {"chart_type": "imr", "values": [1.0, 1.2, 0.9, 1.1, 1.0], "save": False}
    first = api.client.post(
        "/api/v1/spc/analyses",
        json.dumps(body),
        content_type="application/json",
        headers=api.headers,
    )
    assert first.status_code == 308
    landed = api.client.post(
        first["Location"], json.dumps(body), content_type="application/json", headers=api.headers
    )
    assert landed.status_code == 200, landed.content
    assert landed.json()["results"]


@pytest.mark.django_db
def test_a_saved_analysis_moved_under_its_study(api_for: Any, quality_manager: Any) -> None:
    api = api_for(quality_manager)
    moved = api.client.get("/api/v1/spc-studies/analyses/5", headers=api.headers)
    assert moved.status_code == 308
    assert moved["Location"] == "/api/v1/spc-studies/5/analysis"
