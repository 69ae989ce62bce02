"""The nonconformance workflow: containment, material review, split disposition, concession
approvals by two other people, verification, cancellation; and every refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qualitas.core import records, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import Signature, User
from qualitas.nonconformance import services
from qualitas.nonconformance.models import Nonconformance
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

D = services.DispositionInput


def _to_review(nc: Nonconformance, owner: User) -> Nonconformance:
    nc = workflow.fire(nc, "contain", actor=owner, comment="Lot quarantined")
    return workflow.fire(nc, "submit_review", actor=owner)


def _sign(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)


def test_the_whole_path_to_closed(raise_nc: object, inspector: User, quality_manager: User) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]
    nc = services.set_disposition(
        nc,
        actor=quality_manager,
        lines=[D("rework", Decimal(7)), D("scrap", Decimal(3))],
        expected_version=nc.version,
    )
    nc = workflow.fire(nc, "dispose", actor=quality_manager)
    nc = workflow.fire(nc, "carry_out", actor=quality_manager)
    closed = workflow.fire(
        nc,
        "close",
        actor=quality_manager,
        signature=_sign(quality_manager),
        comment="Rework checked",
    )

    assert closed.state == "closed"
    assert Signature.objects.get().meaning == "verified"
    assert [(line.decision, line.quantity) for line in closed.disposition_lines.all()] == [
        ("rework", Decimal(7)),
        ("scrap", Decimal(3)),
    ]


def test_containment_needs_severity_defect_and_finding(raise_nc: object, inspector: User) -> None:
    nc = raise_nc(severity="", finding="")  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(nc, "contain", actor=inspector)

    assert {e.field for e in refused.value.errors} == {"severity", "finding"}


def test_states_cannot_be_skipped(raise_nc: object, quality_manager: User) -> None:
    nc = raise_nc()  # type: ignore[operator]

    with pytest.raises(Conflict, match="only possible from Material review"):
        workflow.fire(nc, "dispose", actor=quality_manager)


def test_only_the_material_review_board_decides(
    raise_nc: object, inspector: User, contributor: User
) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]

    with pytest.raises(PermissionDenied):
        services.set_disposition(
            nc, actor=inspector, lines=[D("scrap", Decimal(10))], expected_version=nc.version
        )
    assert not nc.disposition_lines.exists()


@pytest.mark.parametrize(
    ("_case", "lines", "message"),
    [
        (
            "too little",
            [D("scrap", Decimal(4)), D("rework", Decimal(5))],
            "add up to 9 pcs, but 10 pcs are nonconforming",
        ),
        ("too much", [D("scrap", Decimal(11))], "add up to 11 pcs, but 10 pcs"),
        ("nothing", [], "at least one disposition line"),
    ],
)
def test_the_split_must_equal_the_nonconforming_quantity(
    raise_nc: object,
    inspector: User,
    quality_manager: User,
    _case: str,
    lines: list[D],
    message: str,
) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]

    with pytest.raises(InvalidInput, match=message):
        services.set_disposition(
            nc, actor=quality_manager, lines=lines, expected_version=nc.version
        )

    assert not nc.disposition_lines.exists()


def test_an_unknown_decision_is_named(
    raise_nc: object, inspector: User, quality_manager: User
) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        services.set_disposition(
            nc,
            actor=quality_manager,
            lines=[D("sell_anyway", Decimal(10))],
            expected_version=nc.version,
        )

    assert refused.value.errors[0].field == "lines[1].decision"


def _concession(raise_nc: object, raiser: User, qm: User) -> Nonconformance:
    nc = _to_review(raise_nc(actor=raiser), raiser)  # type: ignore[operator]
    nc = services.set_disposition(
        nc,
        actor=qm,
        lines=[D("use_as_is", Decimal(6), "Cosmetic only"), D("scrap", Decimal(4))],
        expected_version=nc.version,
    )
    return workflow.fire(nc, "dispose", actor=qm)


def test_a_concession_needs_quality_and_engineering_approval(
    raise_nc: object, inspector: User, quality_manager: User, engineer: User
) -> None:
    nc = _concession(raise_nc, inspector, quality_manager)

    with pytest.raises(InvalidInput, match="needs the quality and engineering approval"):
        workflow.fire(nc, "carry_out", actor=quality_manager)
    nc = workflow.fire(
        nc, "approve_quality", actor=quality_manager, signature=_sign(quality_manager)
    )
    with pytest.raises(InvalidInput, match="needs the engineering approval"):
        workflow.fire(nc, "carry_out", actor=quality_manager)
    nc = workflow.fire(nc, "approve_engineering", actor=engineer, signature=_sign(engineer))
    done = workflow.fire(nc, "carry_out", actor=quality_manager)

    assert done.state == "verification"
    assert sorted(Signature.objects.values_list("transition", flat=True)) == [
        "approve_engineering",
        "approve_quality",
    ]


def test_whoever_raised_it_cannot_approve_its_concession(
    raise_nc: object, quality_manager: User, engineer: User
) -> None:
    nc = _concession(raise_nc, quality_manager, quality_manager)  # the QM raised it

    with pytest.raises(PermissionDenied, match="creator"):
        workflow.fire(
            nc, "approve_quality", actor=quality_manager, signature=_sign(quality_manager)
        )


def test_one_person_cannot_give_both_approvals(
    raise_nc: object, inspector: User, quality_manager: User
) -> None:
    from tests.factories import with_role

    both = with_role(quality_manager, "approver")
    nc = _concession(raise_nc, inspector, both)
    nc = workflow.fire(nc, "approve_quality", actor=both, signature=_sign(both))

    with pytest.raises(PermissionDenied, match="another person must sign"):
        workflow.fire(nc, "approve_engineering", actor=both, signature=_sign(both))


def test_changing_an_approved_disposition_invalidates_the_approval(
    raise_nc: object, inspector: User, quality_manager: User
) -> None:
    nc = _concession(raise_nc, inspector, quality_manager)
    nc = workflow.fire(
        nc, "approve_quality", actor=quality_manager, signature=_sign(quality_manager)
    )
    approval = Signature.objects.get()
    assert signatures.is_valid(approval)

    nc = workflow.fire(
        nc, "revise_disposition", actor=quality_manager, comment="Customer refused the concession"
    )
    services.set_disposition(
        nc, actor=quality_manager, lines=[D("scrap", Decimal(10))], expected_version=nc.version
    )

    assert signatures.is_valid(approval) is False


def test_cancelling_needs_a_reason(raise_nc: object, inspector: User) -> None:
    nc = raise_nc()  # type: ignore[operator]

    with pytest.raises(InvalidInput):
        workflow.fire(nc, "cancel", actor=inspector)
    cancelled = workflow.fire(nc, "cancel", actor=inspector, comment="Duplicate of NC-2026-0001")

    assert cancelled.state == "cancelled"


def test_closing_needs_the_close_permission(
    raise_nc: object, inspector: User, quality_manager: User, engineer: User
) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]
    nc = services.set_disposition(
        nc, actor=quality_manager, lines=[D("scrap", Decimal(10))], expected_version=nc.version
    )
    nc = workflow.fire(
        workflow.fire(nc, "dispose", actor=quality_manager), "carry_out", actor=quality_manager
    )

    with pytest.raises(PermissionDenied):
        workflow.fire(nc, "close", actor=engineer, signature=_sign(engineer))


def test_returning_to_the_supplier_needs_the_supplier(
    raise_nc: object, inspector: User, quality_manager: User
) -> None:
    nc = _to_review(raise_nc(), inspector)  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        services.set_disposition(
            nc,
            actor=quality_manager,
            lines=[D("return_to_supplier", Decimal(10))],
            expected_version=nc.version,
        )
    nc = records.update(
        nc, actor=quality_manager, expected_version=nc.version, supplier_name="Calder Castings"
    )
    services.set_disposition(
        nc,
        actor=quality_manager,
        lines=[D("return_to_supplier", Decimal(10))],
        expected_version=nc.version,
    )

    assert refused.value.errors[0].field == "supplier_name"
    assert nc.disposition_lines.get().decision == "return_to_supplier"


def test_the_raiser_is_told_who_may_approve_for_quality_and_a_deputy_can(
    raise_nc: object, quality_manager: User, client_for: object
) -> None:
    """Issue 13, defect 6: the rule stays; the page explains it and names who may sign at
    the site, and a deputy holding the quality role there signs."""
    from django.urls import reverse

    from qualitas.core import permissions
    from tests.factories import SiteFactory, UserFactory, with_role

    nc = _concession(raise_nc, quality_manager, quality_manager)  # the QM raised it
    deputy = with_role(
        UserFactory(first_name="Owen", last_name="Price", job_title="Deputy Quality Manager"),
        permissions.QUALITY_MANAGER,
        site=nc.site,
    )
    elsewhere = with_role(
        UserFactory(first_name="Elsa", last_name="Where"),
        permissions.QUALITY_MANAGER,
        site=SiteFactory(code="LDS", name="Leeds"),
    )
    url = reverse("core:record_transition", args=["nonconformances", nc.pk, "approve_quality"])
    transition = nc.record_type.workflow.transition("approve_quality")

    page = client_for(quality_manager).get(url).content.decode()  # type: ignore[operator]
    signed = workflow.fire(nc, "approve_quality", actor=deputy, signature=_sign(deputy))

    assert "someone else must do this" in page
    assert "Owen Price (Deputy Quality Manager)" in page.split('data-testid="who-may"')[1]
    assert quality_manager not in workflow.who_may(nc, transition)
    assert elsewhere not in workflow.who_may(nc, transition)  # the quality role at Leeds only
    assert signed.signatures.filter(signer=deputy, transition="approve_quality").exists()
