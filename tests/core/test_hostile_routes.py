"""Every page and every API operation, asked by every system role held at the wrong site,
with hostile values: the answer is never a 5xx, and hostile text comes back escaped.

The routes are enumerated (Django's resolver, the OpenAPI schema), never listed, so a new
module's pages are covered the day they are mounted; a path parameter this file cannot fill
with a real id fails the test until `_path_value` learns it. Hostile values are spread over
the routes deterministically (a rotation, not the full cross product) to keep the run short.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from qualitas.core import actions, attachments, demo, permissions, records, services
from qualitas.core.models import (
    ActionItem,
    Attachment,
    Department,
    RecordLink,
    RoleAssignment,
    Site,
    User,
)
from tests.factories import UserFactory, with_role

# Paging values the review found 500s with, and integers beyond 64 bits.
PAGING = ["x", "0", "-5", "999999", "1e22", "7" + "0" * 35]
HUGE_ID = str(10**22)
MARKER = "</script><b>x"
HOSTILE_TEXT = [
    MARKER,
    "' OR 1=1 --",
    "nul\x00byte",
    "Ünïcødé ✓ \U0001d518 \u202e ﷽ 😀",  # with a Fraktur U and a right-to-left mark
    "x" * 5000,
    "1e22",
    "7" + "0" * 35,
    "-5",
]
# Query parameters lists and searches read (besides those their filter forms show).
QUERY_NAMES = ["q", "site", "owner", "state", "department", "role", "sort", "revision", "kind"]
FIELD_NAMES = ["title", "name", "comment", "reason", "note", "description", "password", "role"]


def _pick(values: list[str], *keys: object) -> str:
    """The same value for the same keys on every run (no random, no hash seed)."""
    return values[zlib.crc32("|".join(map(str, keys)).encode()) % len(values)]


# --- The records every route is asked about ------------------------------------------------


def _demo_ids() -> dict[str, Any]:
    """Load the demo company, add what it lacks (a deviation, an action with evidence, a
    token, a link), and return ids by what they are."""
    demo.load()
    manager = User.objects.get(username="hmarsh")
    site = Site.objects.get(code=demo.DEMO_MARKER_SITE)
    deviation = records.create(
        records.RECORD_TYPES["deviation"], actor=manager, title="Hostile", site=site
    )
    nc_type = records.RECORD_TYPES["nonconformance"]
    nc = nc_type.model.objects.filter(site=site).order_by("pk").first()
    action = actions.assign(
        deviation,
        actor=manager,
        title="Check",
        due_on=timezone.localdate() + timedelta(days=7),
        assignee=manager,
    )
    attachments.add(action, actor=manager, file=io.BytesIO(b"evidence"), name="e.txt")
    attachments.add(deviation, actor=manager, file=io.BytesIO(b"record file"), name="r.txt")
    token, _plain = services.create_token(actor=manager, name="hostile routes")
    Client().force_login(manager)  # a session of someone else's to try to end
    from qualitas.core import links

    links.add(deviation, actor=manager, target=nc, kind="references")
    _chart_alarm(manager)
    _statement_of_applicability(manager, site)
    return {"manager": manager, "site": site, "action": action, "token": token}


def _statement_of_applicability(manager: User, site: Site) -> None:
    """An ISO 27001 SoA draft, if the demo has none (prepared from a 27001 scope)."""
    from qualitas.compliance import services as compliance, soa
    from qualitas.compliance.models import Framework, Scope
    from qualitas.compliance.soa_models import StatementOfApplicability

    if StatementOfApplicability.objects.exists():
        return
    framework = Framework.objects.get(key=soa.FRAMEWORK_KEY)
    scope = Scope.objects.filter(framework=framework).order_by("pk").first()
    if scope is None:
        scope = compliance.create_scope(actor=manager, framework=framework, site=site)
    soa.prepare_soa(scope, actor=manager)


def _chart_alarm(manager: User) -> None:
    """A control chart alarm to work (the demo's come with its bulk history, left out here)."""
    from qualitas.core import audit
    from qualitas.inspection import live
    from qualitas.inspection.models import ChartAlarm, Measurement

    measured = Measurement.objects.filter(value__isnull=False).select_related("batch").first()
    assert measured is not None
    baseline = live.freeze_baseline(measured.characteristic, actor=manager, reason="Hostile routes")
    with audit.context(actor=manager):
        ChartAlarm.objects.create(
            characteristic=measured.characteristic, baseline=baseline, lot_id=measured.lot_id,
            batch=measured.batch, chart="xbar", rule="nelson1", description="Beyond a limit",
            point=0, value=measured.value,
        )  # fmt: skip


def _record_of(model: type[Any], **where: Any) -> Any:
    return model.objects.filter(**where).order_by("pk").first()


def _parts_of(record: Any) -> dict[str, Any]:
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(type(record))
    files = Attachment.objects.filter(object_type=kind, object_id=record.pk).order_by("pk")
    link = RecordLink.objects.filter(source_type=kind, source_id=record.pk).order_by("pk")
    return {"attachment": files.first(), "link": link.first()}


def _record_ids() -> dict[str, dict[str, str]]:
    """Per resource: a record, one of its files and links, a transition name."""
    found = {}
    for record_type in records.RECORD_TYPES.values():
        record = _record_of(record_type.model)
        assert record is not None, f"the demo has no {record_type.key}: create one above"
        parts = _parts_of(record)
        transitions = record_type.workflow.transitions
        found[record_type.resource] = {
            "pk": str(record.pk),
            "attachment": str(parts["attachment"].pk if parts["attachment"] else 1),
            "link": str(parts["link"].pk if parts["link"] else 1),
            "transition": transitions[0].name,
        }
    return found


@pytest.fixture(scope="module")
def demo_ids(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo, loaded once for the module and rolled back after it (each test's own
    changes are rolled back to a savepoint by pytest-django, as usual)."""
    with django_db_blocker.unblock(), transaction.atomic():
        ids = _demo_ids()
        ids["records"] = _record_ids()
        yield ids
        transaction.set_rollback(True)


def _path_value(route: str, name: str, ids: dict[str, Any], resource: str) -> str:
    """A real id for URL parameter `name` of `route` (both Django's and the API's names)."""
    from qualitas.capa.models import Capa, WhyStep
    from qualitas.documents.models import Document, DocumentType
    from qualitas.nonconformance.models import CostLine, Nonconformance
    from qualitas.studies.models import SpcStudy

    manager: User = ids["manager"]
    action: ActionItem = ids["action"]
    rec = ids["records"].get(resource, {})
    if name == "resource":
        return resource
    if (
        route.startswith(
            ("audits/", "api/v1/audits/", "api/v1/audit-programmes/", "api/v1/question-banks/")
        )
        and name != "resource"
    ):
        from qualitas.audits.models import (
            Audit,
            AuditProgramme,
            BankQuestion,
            ChecklistItem,
            ProgrammeEntry,
            QuestionBank,
        )

        model: type[Any] = Audit
        if route.startswith(("audits/programmes/", "api/v1/audit-programmes/")):
            model = AuditProgramme
        if name in {"item_pk", "item_id"}:
            model = ChecklistItem
        elif name in {"entry_pk", "entry_id"}:
            model = ProgrammeEntry
        elif name in {"bank_pk", "bank_id"}:
            model = QuestionBank
        elif name in {"question_pk", "question_id"}:
            model = BankQuestion
        found = _record_of(model)  # none: a 404, never a 500
        return str(found.pk if found else 1)
    if name == "key" and route.startswith(("compliance/checks/", "api/v1/compliance-checks/")):
        return "audit-trail-verifies"  # declared by the core, synced after every migrate
    if name == "key" and route.startswith(("compliance/", "api/v1/frameworks/")):
        return "iso-27001-2022"  # shipped: loaded after every migrate
    if (
        route.startswith("compliance/") and name in {"pk", "scope_pk", "evidence_pk", "mapping_pk"}
    ) or (route.startswith("api/v1/frameworks/") and name in {"evidence_id", "mapping_id"}):
        from qualitas.compliance.models import Evidence, Requirement, RequirementMapping, Scope
        from qualitas.compliance.soa_models import StatementOfApplicability

        model: type[Any] = Requirement
        if route.startswith("compliance/soa/"):
            model = StatementOfApplicability
        elif name == "scope_pk" or route.startswith("compliance/scopes/"):
            model = Scope
        elif name in {"evidence_pk", "evidence_id"}:
            model = Evidence
        elif name in {"mapping_pk", "mapping_id"}:
            model = RequirementMapping
        found = _record_of(model)  # none: a 404, never a 500
        return str(found.pk if found else 1)
    if name in {"question", "question_id", "attempt_id"} or route.startswith("training/records/"):
        from qualitas.training.models import QuizAttempt, QuizQuestion

        # The demo's quiz: a record with attempts, one of its attempts, a question.
        attempt = _record_of(QuizAttempt)
        if name == "record_id":
            return str(attempt.record_id if attempt else rec.get("pk", 1))
        found = _record_of(QuizAttempt if name == "attempt_id" else QuizQuestion)
        return str(found.pk if found else 1)
    if name in {"record_id"} or (name == "pk" and route.startswith("<resource:resource>/")):
        return rec["pk"]
    if name == "name":
        return rec.get("transition", "submit")
    if name == "link_id" or name == "link_pk":
        return rec["link"]
    if name in {"attachment_pk", "attachment_id"}:
        if route.startswith(("actions/", "api/v1/actions/")):
            return str(_record_of(Attachment, object_id=action.pk, description="").pk)
        if "revisions/" in route:
            return str(_parts_of(_revision_with_file())["attachment"].pk)
        return rec.get("attachment", "1")
    if name in {"action_pk", "action_id"}:
        return str(action.pk)
    if route.startswith(("people/", "api/v1/users/")) and name in {"pk", "user_id"}:
        return str(manager.pk)
    if name in {"assignment_pk", "assignment_id"}:
        return str(_record_of(RoleAssignment, user=manager).pk)
    if name in {"site_id"} or (route.startswith("sites/") and name == "pk"):
        return str(ids["site"].pk)
    if name in {"department_id"} or (route.startswith("departments/") and name == "pk"):
        return str(_record_of(Department).pk)
    if name == "uidb64":  # a password-reset link: a real person, a token that is not valid
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        return urlsafe_base64_encode(force_bytes(manager.pk))
    if name == "token":
        return "bad-token"
    if name == "code":
        return permissions.QUALITY_MANAGER
    if route.startswith("me/mfa/passkeys/") and name == "pk":
        from django_otp_webauthn.models import WebAuthnCredential

        key = _record_of(WebAuthnCredential)  # none: a missing key must answer 404, not 500
        return str(key.pk if key else 1)
    if name == "session_id" or route.startswith(("me/sessions/<", "api/v1/me/sessions/<")):
        from qualitas.core.models.sessions import UserSession

        session = _record_of(UserSession, user=manager)
        return str(session.pk if session else 1)
    if name == "token_id" or "tokens/" in route:
        return str(ids["token"].pk)
    if name in {"nc_id"} or (route.startswith("nonconformances/") and name == "pk"):
        return str(_record_of(Nonconformance).pk)
    if name in {"cost_pk", "line_id"}:
        return str(_record_of(CostLine).pk)
    if name in {"capa_id"} or (route.startswith("capas/") and name == "pk"):
        return str(_record_of(Capa).pk)
    if name == "kind":
        return "why"
    if name == "item_pk":
        return str(_record_of(WhyStep).pk)
    if name in {"study_id"} or (route.startswith("spc-studies/") and name == "pk"):
        return str(_record_of(SpcStudy).pk)
    if name == "type_id" or (route.startswith("documents/types/") and name == "pk"):
        return str(_record_of(DocumentType).pk)
    if name == "revision_id" or (route.startswith("document-revisions/") and name == "pk"):
        return str(_revision_with_file().pk)
    if name == "document_id" or (route.startswith("documents/") and name == "pk"):
        return str(_record_of(Document).pk)
    if route.startswith(("inspection/", "api/v1/gage-studies/")) or name in {
        "alarm_id",
        "gauge_id",
        "calibration_id",
        "part_id",
        "part_revision_id",
        "part_revision_pk",
        "characteristic_id",
        "plan_id",
        "lot_id",
        "state_id",
    }:
        return _inspection_id(route, name)
    if name in {"course_id", "requirement_id"}:
        from qualitas.training.models import Course, Requirement

        # None made here: a missing course or curriculum line must answer 404, not 500.
        found = _record_of(Course if name == "course_id" else Requirement)
        return str(found.pk if found else 1)
    if name == "cr_id" or (route.startswith("change-requests/") and name == "pk"):
        from qualitas.changes.models import ChangeRequest

        return str(_record_of(ChangeRequest).pk)
    if name in {"skill_id", "requirement"} or (
        route.startswith(("training/skills/", "training/effectiveness/")) and name == "pk"
    ):
        from qualitas.training.models import EffectivenessReview, Skill, SkillRequirement

        # None made here: a missing skill, level or follow-up must answer 404, not 500.
        model = {"requirement": SkillRequirement, "skill_id": Skill}.get(name, Skill)
        if route.startswith("training/effectiveness/"):
            model = EffectivenessReview
        found = _record_of(model)
        return str(found.pk if found else 1)
    if name == "person_id" or (route.startswith("training/people/") and name == "pk"):
        return str(manager.pk)
    if route.startswith(("training/courses/", "training/curricula/", "training/job-roles/")):
        from qualitas.training.models import Course, JobRole, Requirement

        # None made here: a missing course, curriculum line or job role must answer 404.
        model = {"courses": Course, "curricula": Requirement}.get(route.split("/")[1], JobRole)
        found = _record_of(model)
        return str(found.pk if found else 1)
    if route.startswith("exports/") and name == "pk":
        from qualitas.core.models import ExportJob

        job = _record_of(ExportJob)  # none, or another person's: either answers 404, not 500
        return str(job.pk if job else 1)
    raise AssertionError(f"teach _path_value a real id for <{name}> in {route!r}")


def _inspection_id(route: str, name: str) -> str:
    from qualitas.inspection.models import (
        Calibration,
        Characteristic,
        ChartAlarm,
        GageStudy,
        Gauge,
        InspectionLot,
        InspectionPlan,
        Part,
        PartRevision,
        SwitchingState,
    )

    revision = _record_of(PartRevision)
    by_name = {
        "part_id": revision.part,
        "part_revision_id": revision,
        "part_revision_pk": revision,
        "characteristic_id": _record_of(Characteristic, revision=revision),
        "plan_id": _record_of(InspectionPlan),
        "lot_id": _record_of(InspectionLot),
        "state_id": _record_of(SwitchingState),
        "gauge_id": _record_of(Gauge),
        "calibration_id": _record_of(Calibration),
        "study_id": _record_of(GageStudy),
        "alarm_id": _record_of(ChartAlarm),
    }
    if name in by_name:
        found = by_name[name]
        return str(found.pk if found is not None else 1)  # none: a 404, never a 500
    for prefix, model in (
        ("inspection/parts/revisions/", PartRevision),
        ("inspection/parts/characteristics/", Characteristic),
        ("inspection/parts/", Part),
        ("inspection/plans/", InspectionPlan),
        ("inspection/lots/", InspectionLot),
        ("inspection/gauges/", Gauge),
        ("inspection/gage-studies/", GageStudy),
        ("inspection/alarms/", ChartAlarm),
        ("inspection/characteristics/", Characteristic),
    ):
        if route.startswith(prefix) and name == "pk":
            found = _record_of(model)
            return str(found.pk if found is not None else 1)
    raise AssertionError(f"teach _inspection_id a real id for <{name}> in {route!r}")


def _revision_with_file() -> Any:
    from django.contrib.contenttypes.models import ContentType

    from qualitas.documents.models import DocumentRevision

    kind = ContentType.objects.get_for_model(DocumentRevision)
    with_file = Attachment.objects.filter(object_type=kind).order_by("pk").first()
    if with_file is not None:
        return DocumentRevision.objects.get(pk=with_file.object_id)
    return _record_of(DocumentRevision)


# --- Who asks ------------------------------------------------------------------------------

ROLES = sorted(permissions.SYSTEM_ROLES)


def _person_at_wrong_site(role: str, other_site: Site) -> User:
    """Holds `role` only at a site where none of the demo's records are."""
    return with_role(UserFactory(username=f"wrong-{role}"), role, site=other_site)


def _server_errors_and_leaks(
    response: Any, label: str, problems: list[str], *, html_check: bool = True
) -> None:
    if response.status_code >= 500:
        problems.append(f"{response.status_code} {label}")
        return
    kind = response.get("Content-Type", "")
    if html_check and kind.startswith("text/html") and not getattr(response, "streaming", False):
        body = response.content.decode("utf-8", "replace")
        if MARKER in body or "<b>x" in body:
            problems.append(f"unescaped hostile text in {label}")


# --- Pages -----------------------------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _page_urls(ids: dict[str, Any]) -> list[str]:
    """Every HTML route, with real ids (a record route once per record type)."""
    urls: list[str] = []
    for route, _entry in _walk(get_resolver()):
        if route.startswith(("api/", "^")):
            continue  # the API is asked below; regex routes (static) are not ours
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        resources = sorted(ids["records"]) if "resource" in names else [""]
        for resource in resources:
            url = route
            for name in names:
                value = _path_value(route, name, ids, resource)
                url = re.sub(rf"<(?:\w+:)?{name}>", value, url, count=1)
            urls.append("/" + url)
    return urls


class _FieldNames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"input", "textarea", "select"}:
            name = dict(attrs).get("name")
            if name and name != "csrfmiddlewaretoken":
                self.names.add(name)


def _hostile_query(url: str, role: str) -> dict[str, str]:
    query = {name: _pick(HOSTILE_TEXT, url, role, name) for name in QUERY_NAMES}
    query["page"] = _pick(PAGING, url, role, "page")
    query["per_page"] = _pick(PAGING, url, role, "per_page")
    return query


def _huge_id(url: str) -> str | None:
    """The URL with its last numeric id made too big for any database integer."""
    parts = url.rstrip("/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if re.fullmatch(r"\d+", parts[i]):
            parts[i] = HUGE_ID
            return "/".join(parts) + ("/" if url.endswith("/") else "")
    return None


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role_at_the_wrong_site(
    demo_ids: dict[str, Any], other_site: Site, role: str
) -> None:
    person = _person_at_wrong_site(role, other_site)
    client = Client(raise_request_exception=False)  # a 500 is counted, not raised
    client.force_login(person)
    problems: list[str] = []
    urls = _page_urls(demo_ids)
    seen_fields: set[str] = set(FIELD_NAMES)
    logout = [u for u in urls if u.startswith("/logout/")]
    urls = [u for u in urls if u not in logout] + logout  # signing out ends the session: last

    def send(method: str, url: str, data: Any = None) -> Any:
        response = getattr(client, method)(url, data)
        if response.status_code == 302 and response["Location"].startswith("/login/"):
            client.force_login(person)  # a route ended this session: sign in again, ask again
            response = getattr(client, method)(url, data)
        return response

    for url in urls:
        response = send("get", url, _hostile_query(url, role))
        _server_errors_and_leaks(response, f"GET {url} as {role}", problems)
        if response.get("Content-Type", "").startswith("text/html"):
            parser = _FieldNames()
            parser.feed(response.content.decode("utf-8", "replace"))
            seen_fields |= parser.names
        # Each page is asked once (by one role) for an id too big for the database.
        huge = _huge_id(url)
        if huge and _pick(ROLES, url) == role:
            response = send("get", huge)
            _server_errors_and_leaks(response, f"GET {huge} as {role}", problems)

    for url in urls:
        form = {name: _pick(HOSTILE_TEXT, url, role, name) for name in sorted(seen_fields)}
        response = send("post", url, form)
        _server_errors_and_leaks(response, f"POST {url} as {role}", problems)

    assert not problems, "\n".join(problems)


# --- The API ---------------------------------------------------------------------------------


def _operations(client: Client) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Any]]:
    """Every operation of the schema the app serves, and the schema (for its components)."""
    schema = client.get("/api/v1/openapi.json").json()
    operations = [
        (path, method.upper(), operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    return operations, schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _types(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    node = _resolve(schema, node)
    if "anyOf" in node:
        return set().union(*(_types(schema, n) for n in node["anyOf"]))
    if "type" in node:
        return {node["type"]}
    return {"string"}


def _hostile_value(types: set[str], *keys: object) -> Any:
    if "integer" in types or "number" in types:
        return _pick([10**22, 7 * 10**35, -5, 0, 2**63, "x", MARKER], *keys)  # type: ignore[list-item]
    if "array" in types:
        return [_pick(HOSTILE_TEXT, *keys)]
    if "boolean" in types:
        return _pick(["x", MARKER], *keys)
    return _pick([*HOSTILE_TEXT, None], *keys)  # type: ignore[list-item]


def _body(schema: dict[str, Any], operation: dict[str, Any], *keys: object) -> Any:
    """A JSON body with a hostile value in every field, and null in one required field."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    node = _resolve(schema, content["application/json"]["schema"])
    fields = node.get("properties", {})
    body = {
        name: _hostile_value(_types(schema, spec), *keys, name) for name, spec in fields.items()
    }
    required = node.get("required", [])
    if required:
        body[_pick(required, *keys)] = None
    return body


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_every_api_operation_as_every_role_at_the_wrong_site(
    demo_ids: dict[str, Any], other_site: Site, role: str
) -> None:
    person = _person_at_wrong_site(role, other_site)
    _token, plain = services.create_token(actor=person, name="hostile")
    client = Client(headers={"Authorization": f"Bearer {plain}"}, raise_request_exception=False)
    operations, schema = _operations(client)
    problems: list[str] = []
    for path, method, operation in operations:
        resource = path.split("/")[3] if path.count("/") >= 3 else ""
        route = path.removeprefix("/").replace("{", "<").replace("}", ">")
        url = path
        for name in re.findall(r"{(\w+)}", path):
            url = url.replace(f"{{{name}}}", _path_value(route, name, demo_ids, resource))
        query = {
            p["name"]: _hostile_value(_types(schema, p.get("schema", {})), path, role, p["name"])
            for p in operation.get("parameters", [])
            if p["in"] == "query"
        }
        if "page" in query:
            query["page"] = _pick(PAGING, path, role, "page")
        query = {k: v for k, v in query.items() if v is not None}
        label = f"{method} {path} as {role}"
        call = getattr(client, method.lower())
        body = _body(schema, operation, path, role)
        if method == "GET":
            response = call(url, query)
        elif body is not None:
            response = call(url, json.dumps(body), content_type="application/json")
        elif "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
            data = {"description": MARKER, "file": io.BytesIO(b"x\x00" * 10)}
            response = call(url, data)
        else:
            response = call(url)
        _server_errors_and_leaks(response, f"{label} {query or body}"[:300], problems)
        if re.search(r"{\w+}", path) and _pick(ROLES, path, method) == role:
            huge = re.sub(r"{\w+}", HUGE_ID, path)
            if method == "GET":
                response = call(huge)
            else:
                response = call(huge, json.dumps(body or {}), content_type="application/json")
            _server_errors_and_leaks(response, f"{method} {huge} as {role}", problems)

    assert not problems, "\n".join(problems)
