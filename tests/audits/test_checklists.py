"""Audit checklists: generated from the criteria and question banks (idempotent; headings and
retired requirements left out), answered by the audit team only during fieldwork, stale
answers refused (409 naming the answer there now), a batch kept offline saved all-or-nothing
on bad input, evidence attached, question banks kept; the API, the pages and their exports;
query counts that do not grow with the checklist."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.audits import checklists, question_banks, services
from qualitas.audits.models import (
    Audit,
    BankQuestion,
    ChecklistEvidence,
    ChecklistItem,
    QuestionBank,
    TeamRole,
)
from qualitas.core import audit, permissions, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import Attachment, AuditEvent, Department, Site, User
from tests.audits.conftest import ISO_9001, person, requirement_ids, sign
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _requirement(ref: str) -> Any:
    from qualitas.compliance.models import Requirement

    return Requirement.objects.get(framework__key=ISO_9001, ref_id=ref)


def _questions(audit_: Audit) -> list[str]:
    return list(audit_.checklist.order_by("order").values_list("question", flat=True))


@pytest.fixture
def team_auditor(plant: Site, quality: Department) -> User:
    """A second qualified auditor from Quality, on the team."""
    return person("teamauditor", permissions.AUDITOR, site=plant, department=quality)


@pytest.fixture
def observer(plant: Site, quality: Department) -> User:
    """A colleague who watches the audit: on the team, but does not judge conformity."""
    return person("observer", permissions.CONTRIBUTOR, site=plant, department=quality)


@pytest.fixture
def bank(qm: User) -> QuestionBank:
    """A machining bank: one question tied to 8.7.1 (under a criterion), one tied to 8.5.2
    (not one), one free, one retired."""
    found = question_banks.create_bank(actor=qm, name="Machining", audit_type="internal")
    question_banks.add_bank_question(
        found,
        actor=qm,
        text="Are nonconforming parts tagged and segregated?",
        requirement_id=_requirement("8.7.1").pk,
    )
    question_banks.add_bank_question(
        found,
        actor=qm,
        text="Is the traceability of lots kept?",
        requirement_id=_requirement("8.5.2").pk,
    )
    question_banks.add_bank_question(found, actor=qm, text="Are the work instructions at hand?")
    retired = question_banks.add_bank_question(
        found, actor=qm, text="Old question", requirement_id=_requirement("8.7").pk
    )
    question_banks.retire_bank_question(retired, actor=qm)
    return found


def start(audit_: Audit, qm: User, lead: User) -> Audit:
    audit_ = workflow.fire(audit_, "prepare", actor=qm)
    started: Audit = workflow.fire(audit_, "start", actor=lead)
    return started


@pytest.fixture
def fieldwork(
    planned_audit: Audit, qm: User, auditor: User, team_auditor: User, observer: User
) -> Audit:
    """The planned audit with a team (an auditor and an observer), its checklist generated
    from the three clauses (five questions: 7.1.5 and 8.7 are headings of two each), started
    by its lead auditor."""
    found = services.set_team(
        planned_audit,
        actor=qm,
        members=[
            services.MemberInput(team_auditor),
            services.MemberInput(observer, TeamRole.OBSERVER),
        ],
        expected_version=planned_audit.version,
    )
    done = checklists.generate(found, actor=qm, expected_version=found.version)
    return start(done.audit, qm, auditor)


def _items(audit_: Audit) -> list[ChecklistItem]:
    return list(audit_.checklist.order_by("order"))


# --- Generation --------------------------------------------------------------------------------


def test_generate_asks_each_criterion_once_in_the_standards_order(
    planned_audit: Audit, qm: User
) -> None:
    done = checklists.generate(planned_audit, actor=qm, expected_version=planned_audit.version)
    assert done.added == 5
    refs = [i.requirement.ref_id for i in done.audit.checklist.select_related("requirement")]
    # 7.1.5 and 8.7 are headings: their requirements are asked, not the headings.
    assert refs == ["7.1.5.1", "7.1.5.2", "8.5.1", "8.7.1", "8.7.2"]
    first = done.audit.checklist.order_by("order").first()
    assert first is not None and first.question.startswith("7.1.5.1 General")
    assert first.guidance == _requirement("7.1.5.1").guidance

    again = checklists.generate(done.audit, actor=qm, expected_version=done.audit.version)
    assert again.added == 0
    assert again.audit.checklist.count() == 5
    assert again.audit.version == done.audit.version  # nothing added, nothing changed


def test_headings_and_retired_requirements_are_not_asked(planned_audit: Audit, qm: User) -> None:
    audit_ = services.set_criteria(
        planned_audit,
        actor=qm,
        requirement_ids=[*requirement_ids(), _requirement("8.5.2").pk],
        expected_version=planned_audit.version,
    )
    with audit.context(actor=None, actor_name="a newer framework file"):
        for ref in ("8.5.2", "8.7.2"):
            retired = _requirement(ref)
            retired.retired = True
            retired.save()
    done = checklists.generate(audit_, actor=qm, expected_version=audit_.version)
    asked = list(done.audit.checklist.values_list("requirement__ref_id", flat=True))
    assert asked == ["7.1.5.1", "7.1.5.2", "8.5.1", "8.7.1"]


def test_bank_questions_of_the_criteria_come_with_them_and_whole_banks_on_request(
    planned_audit: Audit, qm: User, bank: QuestionBank
) -> None:
    other = question_banks.create_bank(actor=qm, name="Supplier visits")
    question_banks.add_bank_question(other, actor=qm, text="Is the supplier approved?")

    done = checklists.generate(planned_audit, actor=qm, expected_version=planned_audit.version)
    assert done.added == 6
    questions = _questions(done.audit)
    # The bank's question on 8.7.1 follows 8.7.1's own question; the retired one is not asked.
    assert questions[3].startswith("8.7.1 ")
    assert questions[4] == "Are nonconforming parts tagged and segregated?"
    assert questions[5].startswith("8.7.2 ")

    done = checklists.generate(
        done.audit, actor=qm, bank_ids=[bank.pk], expected_version=done.audit.version
    )
    assert done.added == 2
    assert _questions(done.audit)[6:] == [
        "Is the traceability of lots kept?",
        "Are the work instructions at hand?",
    ]
    done = checklists.generate(
        done.audit, actor=qm, bank_ids=[str(bank.pk)], expected_version=done.audit.version
    )
    assert done.added == 0
    assert "Old question" not in _questions(done.audit)
    orders = list(done.audit.checklist.order_by("order").values_list("order", flat=True))
    assert orders == [1, 2, 3, 4, 5, 6, 7, 8]


def test_an_unknown_bank_is_refused_naming_bank_ids_and_nothing_is_added(
    planned_audit: Audit, qm: User
) -> None:
    with pytest.raises(InvalidInput) as refused:
        checklists.generate(
            planned_audit, actor=qm, bank_ids=[999999], expected_version=planned_audit.version
        )
    assert [e.field for e in refused.value.errors] == ["bank_ids"]
    with pytest.raises(InvalidInput) as refused:
        checklists.generate(
            planned_audit, actor=qm, bank_ids=["x"], expected_version=planned_audit.version
        )
    assert [e.field for e in refused.value.errors] == ["bank_ids"]
    assert not planned_audit.checklist.exists()


def test_only_planners_generate(planned_audit: Audit, outsider: User, auditee: User) -> None:
    for who in (outsider, auditee):
        with pytest.raises(PermissionDenied):
            checklists.generate(planned_audit, actor=who, expected_version=None)
    assert not planned_audit.checklist.exists()


def test_the_plan_is_fixed_once_the_audit_starts(fieldwork: Audit, qm: User) -> None:
    with pytest.raises(Conflict):
        checklists.generate(fieldwork, actor=qm, expected_version=None)
    with pytest.raises(Conflict):
        checklists.add_question(fieldwork, actor=qm, question="Late question?")
    assert fieldwork.checklist.count() == 5


def test_own_questions_are_added_and_unanswered_ones_may_go(planned_audit: Audit, qm: User) -> None:
    item = checklists.add_question(
        planned_audit,
        actor=qm,
        question="Are the shift handovers recorded?",
        guidance="Look at the log book of both shifts.",
    )
    assert item.order == 1
    with pytest.raises(InvalidInput) as refused:
        checklists.add_question(planned_audit, actor=qm, question="  ")
    assert [e.field for e in refused.value.errors] == ["question"]
    with pytest.raises(InvalidInput) as refused:
        checklists.add_question(planned_audit, actor=qm, question="Q?", requirement_id=999999)
    assert [e.field for e in refused.value.errors] == ["requirement"]
    assert planned_audit.checklist.count() == 1


def test_an_unanswered_question_is_taken_off_the_plan(planned_audit: Audit, qm: User) -> None:
    item = checklists.add_question(planned_audit, actor=qm, question="Are the handovers recorded?")
    checklists.remove_item(item, actor=qm)
    assert not planned_audit.checklist.exists()


def test_answered_questions_stay_on_the_checklist(
    fieldwork: Audit, qm: User, auditor: User
) -> None:
    item = _items(fieldwork)[0]
    checklists.answer(item, actor=auditor, answer="conforming", expected_revision=0)
    with pytest.raises(Conflict):
        checklists.remove_item(item, actor=qm)
    assert fieldwork.checklist.filter(pk=item.pk).exists()


# --- Answering ---------------------------------------------------------------------------------


def test_the_team_answers_and_the_answer_is_on_the_audit_trail(
    fieldwork: Audit, auditor: User, team_auditor: User, qm: User
) -> None:
    first, second, third = _items(fieldwork)[:3]
    version = fieldwork.version
    saved = checklists.answer(
        first,
        actor=team_auditor,
        answer="minor_nc",
        notes="Tag missing on rack 3",
        expected_revision=0,
    )
    assert (saved.answer, saved.revision, saved.answered_by) == ("minor_nc", 1, team_auditor)
    assert saved.answered_at is not None
    assert Audit.objects.get(pk=fieldwork.pk).version == version + 1
    checklists.answer(second, actor=auditor, answer="conforming", expected_revision=0)
    checklists.answer(third, actor=qm, answer="not_audited", expected_revision=0)
    event = AuditEvent.objects.filter(
        object_type__model="checklistitem", object_id=str(first.pk)
    ).last()
    assert event is not None
    assert event.changes["answer"] == {"old": "", "new": "minor_nc"}


@pytest.mark.parametrize("who", ["observer", "outsider", "auditee"])
def test_observers_outsiders_and_auditees_do_not_answer(
    fieldwork: Audit, who: str, request: pytest.FixtureRequest
) -> None:
    item = _items(fieldwork)[0]
    with pytest.raises(PermissionDenied):
        checklists.answer(
            item, actor=request.getfixturevalue(who), answer="conforming", expected_revision=0
        )
    item.refresh_from_db()
    assert (item.answer, item.revision) == ("", 0)


def test_a_bad_answer_is_refused_naming_it(fieldwork: Audit, auditor: User) -> None:
    item = _items(fieldwork)[0]
    with pytest.raises(InvalidInput) as refused:
        checklists.answer(item, actor=auditor, answer="fine", expected_revision=0)
    assert [e.field for e in refused.value.errors] == ["answer"]


def test_a_stale_answer_is_refused_with_the_answer_there_now(
    fieldwork: Audit, auditor: User, team_auditor: User
) -> None:
    item = _items(fieldwork)[0]
    checklists.answer(item, actor=team_auditor, answer="major_nc", expected_revision=0)
    with pytest.raises(Conflict) as refused:
        checklists.answer(item, actor=auditor, answer="conforming", expected_revision=0)
    assert "Major nonconformity" in refused.value.detail
    assert "Teamauditor" in refused.value.detail
    item.refresh_from_db()
    assert (item.answer, item.revision, item.answered_by) == ("major_nc", 1, team_auditor)


def test_before_fieldwork_nothing_is_answered(planned_audit: Audit, qm: User) -> None:
    done = checklists.generate(planned_audit, actor=qm, expected_version=planned_audit.version)
    item = _items(done.audit)[0]
    with pytest.raises(Conflict) as refused:
        checklists.answer(item, actor=qm, answer="conforming", expected_revision=0)
    assert [e.field for e in refused.value.errors] == ["answer"]


def _closed(audit_: Audit, lead: User) -> Audit:
    """Every question answered, the fieldwork finished, the report signed, the audit closed."""
    for item in _items(audit_):
        checklists.answer(item, actor=lead, answer="conforming", expected_revision=item.revision)
    audit_ = workflow.fire(Audit.objects.get(pk=audit_.pk), "finish_fieldwork", actor=lead)
    audit_ = services.change_audit(
        audit_,
        actor=lead,
        expected_version=audit_.version,
        summary="Machining conforms.",
        conclusion="Effective.",
    )
    audit_ = workflow.fire(audit_, "issue_report", actor=lead, signature=sign(lead))
    closed: Audit = workflow.fire(audit_, "close", actor=lead)
    return closed


def test_a_closed_audit_refuses_answers_naming_the_field_and_saves_nothing(
    fieldwork: Audit, auditor: User, api_for: Any
) -> None:
    closed = _closed(fieldwork, auditor)
    assert closed.state == "closed"
    item = _items(closed)[0]
    before = (item.answer, item.revision, item.notes)
    api = api_for(auditor)
    refused = api.patch(
        f"/audits/{closed.pk}/checklist/{item.pk}",
        {"answer": "major_nc", "notes": "Changed my mind", "revision": item.revision},
    )
    assert refused.status_code == 409
    assert [e["field"] for e in refused.json()["errors"]] == ["answer"]
    assert "Closed" in refused.json()["detail"]
    batch = api.post(
        f"/audits/{closed.pk}/checklist/answers",
        {"answers": [{"item": item.pk, "answer": "major_nc", "revision": item.revision}]},
    )
    assert batch.status_code == 409
    assert [e["field"] for e in batch.json()["errors"]] == ["answers"]
    item.refresh_from_db()
    assert (item.answer, item.revision, item.notes) == before


def test_a_cancelled_audit_refuses_evidence(fieldwork: Audit, qm: User, auditor: User) -> None:
    cancelled = workflow.fire(fieldwork, "cancel", actor=qm, comment="Plant shut down")
    item = _items(cancelled)[0]
    with pytest.raises(Conflict) as refused:
        checklists.attach_evidence(item, actor=auditor, file=io.BytesIO(PNG), name="rack.png")
    assert [e.field for e in refused.value.errors] == ["file"]
    assert not ChecklistEvidence.objects.exists()


# --- The offline batch -------------------------------------------------------------------------


def test_a_batch_with_one_bad_answer_saves_nothing(
    fieldwork: Audit, auditor: User, api_for: Any
) -> None:
    first, second, _third = _items(fieldwork)[:3]
    api = api_for(auditor)
    refused = api.post(
        f"/audits/{fieldwork.pk}/checklist/answers",
        {
            "answers": [
                {"item": first.pk, "answer": "conforming", "revision": 0},
                {"item": second.pk, "answer": "fine", "revision": 0},
                {"item": 999999, "answer": "conforming", "revision": 0},
            ]
        },
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [
        "answers[1].answer",
        "answers[2].item",
    ]
    assert not fieldwork.checklist.exclude(answer="").exists()
    assert not fieldwork.checklist.filter(revision__gt=0).exists()


def test_a_batch_saves_what_is_current_and_returns_conflicts(
    fieldwork: Audit, auditor: User, team_auditor: User, api_for: Any
) -> None:
    first, second = _items(fieldwork)[:2]
    checklists.answer(second, actor=team_auditor, answer="observation", expected_revision=0)
    api = api_for(auditor)
    batch = {
        "answers": [
            {"item": first.pk, "answer": "conforming", "notes": "Seen calibrated", "revision": 0},
            {"item": second.pk, "answer": "conforming", "revision": 0},
        ]
    }
    reply = api.post(f"/audits/{fieldwork.pk}/checklist/answers", batch)
    assert reply.status_code == 200, reply.content
    results = {r["item"]: r for r in reply.json()["results"]}
    assert results[first.pk]["status"] == "saved" and results[first.pk]["revision"] == 1
    assert results[second.pk]["status"] == "conflict"
    assert results[second.pk]["answer"] == "observation"
    assert results[second.pk]["answered_by"] == team_auditor.printed_name
    assert reply.json()["answered"] == 2

    # The same batch again (the first reply was lost on the way): the saved one stays saved.
    again = api.post(f"/audits/{fieldwork.pk}/checklist/answers", batch).json()["results"]
    assert [r["status"] for r in again] == ["saved", "conflict"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.answer, first.revision) == ("conforming", 1)
    assert (second.answer, second.answered_by) == ("observation", team_auditor)


# --- Evidence ----------------------------------------------------------------------------------


def test_a_photo_is_kept_as_evidence_of_an_answer(
    fieldwork: Audit, team_auditor: User, api_for: Any
) -> None:
    item = _items(fieldwork)[0]
    api = api_for(team_auditor)
    url = f"/api/v1/audits/{fieldwork.pk}/checklist/{item.pk}/evidence"
    photo = io.BytesIO(PNG)
    photo.name = "rack-3.png"
    added = api.client.post(url, {"file": photo}, headers=api.headers)
    assert added.status_code == 201, added.content
    assert added.json()["media_type"] == "image/png"
    evidence = ChecklistEvidence.objects.get()
    assert evidence.item == item
    assert evidence.attachment.object_id == fieldwork.pk
    assert evidence.attachment.description.startswith("Evidence: 7.1.5")
    listed = api.get(f"/audits/{fieldwork.pk}/checklist").json()["items"][0]["evidence"]
    assert [e["name"] for e in listed] == ["rack-3.png"]

    program = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 60)
    program.name = "photo.png"
    refused = api.client.post(url, {"file": program}, headers=api.headers)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["file"]
    assert ChecklistEvidence.objects.count() == 1
    assert Attachment.objects.count() == 1


# --- The API -----------------------------------------------------------------------------------


def test_the_checklist_through_the_api(
    planned_audit: Audit, qm: User, auditor: User, bank: QuestionBank, api_for: Any
) -> None:
    api = api_for(qm)
    generated = api.post(
        f"/audits/{planned_audit.pk}/checklist/generate",
        {"version": planned_audit.version, "bank_ids": [bank.pk]},
    )
    assert generated.status_code == 200, generated.content
    assert generated.json()["added"] == 8
    version = generated.json()["version"]
    added = api.post(
        f"/audits/{planned_audit.pk}/checklist/questions",
        {"question": "Is the handover recorded?", "version": version},
    )
    assert added.status_code == 201
    assert added.json()["order"] == 9
    unknown = api.post(f"/audits/{planned_audit.pk}/checklist/generate", {"bank_ids": [999999]})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["bank_ids"]
    stale = api.post(f"/audits/{planned_audit.pk}/checklist/generate", {"version": 1})
    assert stale.status_code == 409

    audit_ = start(Audit.objects.get(pk=planned_audit.pk), qm, auditor)
    lead = api_for(auditor)
    checklist = lead.get(f"/audits/{audit_.pk}/checklist").json()
    assert checklist["may_answer"] is True and checklist["total"] == 9
    item = checklist["items"][0]
    answered = lead.patch(
        f"/audits/{audit_.pk}/checklist/{item['id']}",
        {"answer": "ofi", "notes": "Label the gauges' drawers", "revision": item["revision"]},
    )
    assert answered.status_code == 200
    assert answered.json()["answer_label"] == "Opportunity for improvement"
    assert answered.json()["revision"] == 1
    stale = lead.patch(
        f"/audits/{audit_.pk}/checklist/{item['id']}", {"answer": "conforming", "revision": 0}
    )
    assert stale.status_code == 409
    assert "Opportunity for improvement" in stale.json()["detail"]
    assert [e["field"] for e in stale.json()["errors"]] == ["revision"]
    assert lead.get(f"/audits/{audit_.pk}/checklist").json()["counts"] == {"ofi": 1}


def test_the_checklist_is_seen_only_by_who_sees_the_audit(fieldwork: Audit, api_for: Any) -> None:
    elsewhere = person(
        "elsewhere", permissions.AUDITOR, site=SiteFactory(code="X", name="Elsewhere")
    )
    api = api_for(elsewhere)
    assert api.get(f"/audits/{fieldwork.pk}/checklist").status_code == 404
    item = _items(fieldwork)[0]
    refused = api.patch(
        f"/audits/{fieldwork.pk}/checklist/{item.pk}", {"answer": "conforming", "revision": 0}
    )
    assert refused.status_code == 404


def _queries(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def test_reading_the_checklist_takes_as_many_queries_for_30_questions_as_for_3(
    planned_audit: Audit,
    qm: User,
    auditor: User,
    api_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    small = checklists.generate(
        planned_audit, actor=qm, expected_version=planned_audit.version
    ).audit
    large = services.raise_audit(
        actor=qm,
        title="Assembly audit",
        audit_type="internal",
        site=planned_audit.site,
        lead_auditor=auditor,
        planned_start=datetime.date(2026, 4, 1),
    )
    for n in range(30):
        checklists.add_question(large, actor=qm, question=f"Question {n}?")
    small, large = start(small, qm, auditor), start(Audit.objects.get(pk=large.pk), qm, auditor)
    for audit_ in (small, large):
        item = _items(audit_)[0]
        checklists.answer(item, actor=auditor, answer="conforming", expected_revision=0)
        checklists.attach_evidence(item, actor=auditor, file=io.BytesIO(PNG), name="a.png")
    api = api_for(auditor)
    api.get(f"/audits/{small.pk}/checklist")  # the token's first read
    few = _queries(lambda: api.get(f"/audits/{small.pk}/checklist"))
    many = _queries(lambda: api.get(f"/audits/{large.pk}/checklist"))
    assert many == few
    with django_assert_max_num_queries(12):
        api.get(f"/audits/{large.pk}/checklist")


# --- Question banks ----------------------------------------------------------------------------


def test_question_banks_through_the_api(
    qm: User, auditee: User, outsider: User, api_for: Any
) -> None:
    api = api_for(qm)
    created = api.post("/question-banks", {"name": "ISMS controls", "audit_type": "isms"})
    assert created.status_code == 201
    bank_id = created.json()["id"]
    assert api.post("/question-banks", {"name": "isms controls"}).status_code == 422
    bad_type = api.post("/question-banks", {"name": "Other", "audit_type": "random"})
    assert [e["field"] for e in bad_type.json()["errors"]] == ["audit_type"]
    question = api.post(
        f"/question-banks/{bank_id}/questions",
        {"text": "Are access rights reviewed?", "requirement": _requirement("7.5.3").pk},
    )
    assert question.status_code == 201
    unknown = api.post(
        f"/question-banks/{bank_id}/questions", {"text": "Q?", "requirement": 999999}
    )
    assert [e["field"] for e in unknown.json()["errors"]] == ["requirement"]
    renamed = api.patch(f"/question-banks/{bank_id}", {"name": "ISMS Annex A"})
    assert renamed.json()["name"] == "ISMS Annex A"
    retired = api.post(f"/question-banks/{bank_id}/questions/{question.json()['id']}/retire")
    assert retired.json()["retired"] is True

    # Everyone who sees audits reads the banks; only those who keep them change them.
    reader = api_for(auditee)
    assert reader.get("/question-banks").json()["count"] == 1
    assert [q["text"] for q in reader.get(f"/question-banks/{bank_id}").json()["questions"]] == [
        "Are access rights reviewed?"
    ]
    assert reader.post("/question-banks", {"name": "Mine"}).status_code == 403
    assert reader.post(f"/question-banks/{bank_id}/questions", {"text": "Q?"}).status_code == 403
    assert api_for(outsider).get("/question-banks").status_code == 403
    assert QuestionBank.objects.count() == 1
    assert BankQuestion.objects.count() == 1


# --- Pages -------------------------------------------------------------------------------------


def test_the_checklist_page_answers_without_javascript(
    fieldwork: Audit, team_auditor: User, client_for: Any
) -> None:
    client = client_for(team_auditor)
    page = client.get(f"/audits/checklists/{fieldwork.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="card mb-3 checklist-item"') == 5
    assert "audit-checklist.js" in body and "<span data-answered>0</span> of 5 answered" in body
    item = _items(fieldwork)[0]
    photo = io.BytesIO(PNG)
    photo.name = "gauge.png"
    saved = client.post(
        f"/audits/checklists/{fieldwork.pk}/items/{item.pk}/",
        {"answer": "conforming", "notes": "Gauge G-12 in date", "revision": "0", "photo": photo},
    )
    assert saved.status_code == 302
    item.refresh_from_db()
    assert (item.answer, item.notes, item.revision) == ("conforming", "Gauge G-12 in date", 1)
    assert item.evidence.count() == 1
    assert "gauge.png" in client.get(f"/audits/checklists/{fieldwork.pk}/").content.decode()

    stale = client.post(
        f"/audits/checklists/{fieldwork.pk}/items/{item.pk}/",
        {"answer": "major_nc", "notes": "", "revision": "0"},
    )
    assert stale.status_code == 409
    assert "Someone else answered" in stale.content.decode()
    item.refresh_from_db()
    assert item.answer == "conforming"


def test_the_page_refuses_an_answer_to_a_closed_audit_and_saves_nothing(
    fieldwork: Audit, auditor: User, client_for: Any
) -> None:
    closed = _closed(fieldwork, auditor)
    item = _items(closed)[0]
    refused = client_for(auditor).post(
        f"/audits/checklists/{closed.pk}/items/{item.pk}/",
        {"answer": "major_nc", "notes": "x", "revision": str(item.revision)},
    )
    assert refused.status_code == 409
    assert "no longer changes" in refused.content.decode()
    item.refresh_from_db()
    assert (item.answer, item.notes) == ("conforming", "")


def test_the_checklist_exports(fieldwork: Audit, auditor: User, client_for: Any) -> None:
    item = _items(fieldwork)[0]
    checklists.answer(item, actor=auditor, answer="minor_nc", notes="=cmd()", expected_revision=0)
    client = client_for(auditor)
    csv = client.get(f"/audits/checklists/{fieldwork.pk}/?export=csv")
    assert csv.status_code == 200
    text = csv.content.decode("utf-8-sig")
    assert "Minor nonconformity" in text and "7.1.5" in text
    assert "'=cmd()" in text  # a formula in the notes is not run by a spreadsheet
    xlsx = client.get(f"/audits/checklists/{fieldwork.pk}/?export=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"/audits/checklists/{fieldwork.pk}/?export=pdf").status_code == 422


def test_generate_from_the_page_and_the_panel(
    planned_audit: Audit, qm: User, bank: QuestionBank, client_for: Any, rf: Any
) -> None:
    from qualitas.audits import checklist_views

    client = client_for(qm)
    generated = client.post(
        f"/audits/checklists/{planned_audit.pk}/generate/",
        {"version": str(planned_audit.version), "bank_ids": [str(bank.pk)]},
    )
    assert generated.status_code == 302
    assert planned_audit.checklist.count() == 8
    refused = client.post(
        f"/audits/checklists/{planned_audit.pk}/generate/", {"bank_ids": ["999999"]}
    )
    assert refused.status_code == 422 and "No such question bank" in refused.content.decode()

    request = rf.get("/")
    request.user = qm
    html = checklist_views.panel(request, Audit.objects.get(pk=planned_audit.pk))
    assert "0 of 8 questions answered" in html
    assert 'data-testid="generate-form"' in html and "Machining" in html


def test_question_bank_pages(qm: User, auditee: User, bank: QuestionBank, client_for: Any) -> None:
    client = client_for(qm)
    listed = client.get("/audits/checklists/banks/")
    assert listed.status_code == 200 and "Machining" in listed.content.decode()
    assert b"Machining" in client.get("/audits/checklists/banks/?export=csv").content
    detail = client.get(f"/audits/checklists/banks/{bank.pk}/")
    assert "Are the work instructions at hand?" in detail.content.decode()
    added = client.post(f"/audits/checklists/banks/{bank.pk}/", {"text": "Is 5S kept?"})
    assert added.status_code == 302
    assert bank.questions.filter(text="Is 5S kept?").exists()
    created = client.post(
        "/audits/checklists/banks/new/",
        {"name": "Welding", "description": "", "audit_type": "process", "active": "on"},
    )
    assert created.status_code == 302
    duplicate = client.post("/audits/checklists/banks/new/", {"name": "welding"})
    assert duplicate.status_code == 422 and "exists already" in duplicate.content.decode()
    assert client_for(auditee).get("/audits/checklists/banks/new/").status_code == 403
    assert QuestionBank.objects.count() == 2


def test_the_page_shows_the_bank_form_fields_escaped(qm: User, client_for: Any) -> None:
    question_banks.create_bank(actor=qm, name="<script>alert(1)</script>")
    body = client_for(qm).get("/audits/checklists/banks/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_the_batch_endpoint_takes_the_browser_session_with_its_csrf_token(
    fieldwork: Audit, auditor: User
) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(auditor)
    page = client.get(f"/audits/checklists/{fieldwork.pk}/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    assert token is not None
    item = _items(fieldwork)[0]
    body = json.dumps({"answers": [{"item": item.pk, "answer": "conforming", "revision": 0}]})
    url = f"/api/v1/audits/{fieldwork.pk}/checklist/answers"
    assert client.post(url, body, content_type="application/json").status_code == 403
    saved = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert saved.status_code == 200, saved.content
    item.refresh_from_db()
    assert item.answer == "conforming"


def test_a_bank_is_created_with_its_first_questions_or_not_at_all(qm: User) -> None:
    bank = question_banks.create_bank(
        actor=qm,
        name="Clean room",
        questions=["Is the gowning procedure kept?", "Are counts logged?"],
    )
    assert list(bank.questions.values_list("order", "text")) == [
        (1, "Is the gowning procedure kept?"),
        (2, "Are counts logged?"),
    ]
    with pytest.raises(InvalidInput) as refused:
        question_banks.create_bank(actor=qm, name="Warehouse", questions=["Is FIFO kept?", " "])
    assert [e.field for e in refused.value.errors] == ["questions[1]"]
    assert not QuestionBank.objects.filter(name="Warehouse").exists()
