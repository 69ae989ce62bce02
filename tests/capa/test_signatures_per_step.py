"""A signature covers its step and the steps before it: filling in later steps (the
effectiveness criteria, the effectiveness check) never invalidates the plan approval, while a
change to the approved plan still does."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qualitas.capa import services
from qualitas.capa.models import Capa
from qualitas.core import actions, attachments, records, signatures, workflow
from qualitas.core.models import Signature, User
from tests.capa.conftest import approved_plan
from tests.core.records.test_attachments import PDF
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _sign(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


def _all_valid(capa: Capa) -> dict[str, bool]:
    return {
        s.transition: signatures.is_valid(s, capa)
        for s in Signature.objects.filter(
            object_type=ContentType.objects.get_for_model(Capa), object_id=capa.pk
        )
    }


def test_every_signature_stays_valid_while_the_later_steps_are_filled(
    owner: User, engineer: User, quality_manager: User, client_for: Any, api_for: Any
) -> None:
    capa = approved_plan(owner, engineer)
    assert _all_valid(capa) == {"approve_plan": True}

    # D6: the actions done and the effectiveness criteria set, after the plan was approved.
    actions.complete(actions.actions_of(capa).get(), actor=owner, note="Counter at 350")
    capa = records.update(
        capa,
        actor=owner,
        expected_version=capa.version,
        effectiveness_criteria="No DIM-01 on HSG-4471 for 90 days",
        effectiveness_method="Pareto of NCs by part",
        effectiveness_due_on=TODAY,
    )
    assert _all_valid(capa) == {"approve_plan": True}
    capa = workflow.fire(capa, "implemented", actor=owner)

    # D7: the effectiveness check, at its own step.
    capa = services.record_effectiveness(
        capa, actor=owner, expected_version=capa.version, result="passed", evidence="0 NCs"
    )
    assert _all_valid(capa) == {"approve_plan": True}

    # D8: closed with the quality manager's signature, which covers the check.
    capa = workflow.fire(capa, "close", actor=quality_manager, signature=_sign(quality_manager))

    assert _all_valid(capa) == {"approve_plan": True, "close": True}
    page = client_for(quality_manager).get(f"/capas/{capa.pk}/").content.decode()
    assert "invalid: content changed" not in page
    rows = api_for(quality_manager).get(f"/capas/{capa.pk}/signatures").json()
    assert [(r["transition"], r["valid"]) for r in rows] == [
        ("approve_plan", True),
        ("close", True),
    ]


def test_a_change_to_the_approved_plan_still_invalidates_the_approval(
    owner: User, engineer: User
) -> None:
    capa = approved_plan(owner, engineer)

    capa = records.update(
        capa, actor=owner, expected_version=capa.version, root_cause="Operator error"
    )

    assert _all_valid(capa) == {"approve_plan": False}


def test_the_closing_signature_covers_the_effectiveness_check(owner: User, engineer: User) -> None:
    capa = approved_plan(owner, engineer)
    before = {
        step: signatures.content_hash(capa, transition=step) for step in ("approve_plan", "close")
    }

    capa.effectiveness_evidence = "A different story"
    capa.effectiveness_criteria = "Other criteria"

    assert signatures.content_hash(capa, transition="approve_plan") == before["approve_plan"]
    assert signatures.content_hash(capa, transition="close") != before["close"]


def test_the_steps_declare_which_fields_they_bring() -> None:
    capa_type = records.RECORD_TYPES["capa"]

    assert signatures.later_fields(capa_type, "approve_plan") == {
        "effectiveness_criteria",
        "effectiveness_method",
        "effectiveness_due_on",
        "effectiveness_result",
        "effectiveness_evidence",
        "effectiveness_checked_by",
        "effectiveness_checked_on",
    }
    assert signatures.later_fields(capa_type, "implemented") == set(services.EFFECTIVENESS_FIELDS)
    assert signatures.later_fields(capa_type, "close") == set()
    # A signature made outside the workflow covers the whole content, as always.
    assert signatures.later_fields(capa_type, "") == set()


def test_every_declared_step_and_field_exists() -> None:
    for record_type in records.RECORD_TYPES.values():
        names = {t.name for t in record_type.workflow.transitions}
        fields = {f.name for f in record_type.model._meta.concrete_fields}
        for step, declared in record_type.fields_signed_from.items():
            assert step in names, f"{record_type.key}: no transition {step}"
            assert set(declared) <= fields, f"{record_type.key}: {set(declared) - fields}"
            assert not set(declared) & set(record_type.unsigned_fields)


def test_an_approval_signed_over_the_whole_content_still_validates(
    owner: User, engineer: User
) -> None:
    """Signed before the CAPA declared its later steps, a plan approval hashed the whole
    content: it stays valid until that content changes, as it did."""
    capa = approved_plan(owner, engineer)
    signature = Signature(
        object_type=ContentType.objects.get_for_model(Capa),
        object_id=capa.pk,
        signer=engineer,
        printed_name=engineer.printed_name,
        signed_at=timezone.now(),
        meaning="approved",
        transition="approve_plan",
        record_version=capa.version,
        content_hash=signatures.content_hash(capa),
    )
    signature.seal = signatures.seal_of(signature)

    assert signatures.is_valid(signature, capa)
    capa.effectiveness_criteria = "Set afterwards"
    assert not signatures.is_valid(signature, capa)


def test_evidence_attached_after_the_approval_leaves_it_valid(owner: User, engineer: User) -> None:
    """A signature covers the files there when it was made: evidence of a later step does
    not touch the plan approval."""
    capa = approved_plan(owner, engineer)

    attachments.add(capa, actor=owner, file=io.BytesIO(PDF), name="counter-photo.pdf")

    assert _all_valid(capa) == {"approve_plan": True}


def test_a_file_there_at_signing_and_withdrawn_since_changes_the_content(owner: User) -> None:
    capa = services.open_capa(actor=owner, title="Bore oversize", problem_statement="3 NCs")
    attached = attachments.add(capa, actor=owner, file=io.BytesIO(PDF), name="ncs.pdf")
    moment = timezone.now()
    signed = signatures.content_hash(capa, as_of=moment)

    later = attachments.add(capa, actor=owner, file=io.BytesIO(PDF + b"2"), name="more.pdf")
    unchanged = signatures.content_hash(capa, as_of=moment)
    attachments.remove(attached, actor=owner, reason="Wrong file")
    withdrawn = signatures.content_hash(capa, as_of=moment)

    assert later.uploaded_at > moment
    assert unchanged == signed
    assert withdrawn != signed
