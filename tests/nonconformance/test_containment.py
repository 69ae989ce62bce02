"""Containment as structured fields (issue 13, defect 7): recorded on its own page, by the
API and by the "Start containment" step, audited, shown, and carried into the CAPA's D3."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from qualitas.core import workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, User
from qualitas.core.recordapi import history_of
from qualitas.nonconformance import services

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_recording_containment_fills_who_and_when_and_is_audited(
    raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc(detected_on=TODAY - timedelta(days=2))

    nc = services.record_containment(
        nc,
        actor=inspector,
        expected_version=nc.version,
        containment_action="Lot 2611 on hold, 100% gauged",
        quantity_quarantined=Decimal(50),
        containment_location="Bonded store B2",
    )
    nc = services.record_containment(
        nc, actor=quality_manager, expected_version=nc.version, containment_verified=True
    )

    assert (nc.contained_by, nc.contained_on) == (inspector, TODAY)
    assert (nc.containment_verified_by, nc.containment_verified_on) == (quality_manager, TODAY)
    recorded = history_of(nc).filter(action="update").order_by("id")
    assert recorded[0].changes["containment_location"] == {"old": "", "new": "Bonded store B2"}
    assert recorded[0].actor_id == inspector.pk
    assert recorded[1].changes["containment_verified"] == {"old": False, "new": True}
    assert recorded[1].actor_id == quality_manager.pk


def test_taking_the_verification_back_forgets_the_verifier(
    raise_nc: Any, quality_manager: User
) -> None:
    nc = raise_nc()
    nc = services.record_containment(
        nc,
        actor=quality_manager,
        expected_version=nc.version,
        containment_action="Hold",
        containment_verified=True,
    )

    nc = services.record_containment(
        nc, actor=quality_manager, expected_version=nc.version, containment_verified=False
    )

    assert (nc.containment_verified_by, nc.containment_verified_on) == (None, None)


@pytest.mark.parametrize(
    ("_case", "fields", "field"),
    [
        ("future", {"contained_on": TODAY + timedelta(days=1)}, "contained_on"),
        ("before detection", {"contained_on": TODAY - timedelta(days=9)}, "contained_on"),
        (
            "verified before contained",
            {
                "contained_on": TODAY,
                "containment_verified": True,
                "containment_verified_on": TODAY - timedelta(days=1),
            },
            "containment_verified_on",
        ),
        ("negative quantity", {"quantity_quarantined": Decimal(-1)}, "quantity_quarantined"),
        ("not a containment field", {"severity": "minor"}, "severity"),
    ],
)
def test_impossible_containment_is_refused_naming_the_field(
    raise_nc: Any, inspector: User, _case: str, fields: dict[str, Any], field: str
) -> None:
    nc = raise_nc(detected_on=TODAY - timedelta(days=3))

    with pytest.raises(InvalidInput) as refused:
        services.record_containment(
            nc, actor=inspector, expected_version=nc.version, containment_action="Hold", **fields
        )

    assert [e.field for e in refused.value.errors] == [field]
    nc.refresh_from_db()
    assert nc.containment_action == ""


def test_only_those_who_work_on_the_nc_record_its_containment(
    raise_nc: Any, contributor: User
) -> None:
    nc = raise_nc()
    before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        services.record_containment(
            nc, actor=contributor, expected_version=nc.version, containment_action="Hold"
        )

    assert AuditEvent.objects.count() == before


def test_the_start_containment_comment_becomes_the_containment_action(
    raise_nc: Any, inspector: User
) -> None:
    nc = raise_nc()

    nc = workflow.fire(nc, "contain", actor=inspector, comment="Lot 2611 quarantined")

    nc.refresh_from_db()
    assert (nc.state, nc.containment_action) == ("containment", "Lot 2611 quarantined")
    assert (nc.contained_by, nc.contained_on) == (inspector, TODAY)


def test_a_recorded_containment_is_not_overwritten_by_the_step_comment(
    raise_nc: Any, inspector: User
) -> None:
    nc = raise_nc()
    nc = services.record_containment(
        nc, actor=inspector, expected_version=nc.version, containment_action="Stop shipment"
    )

    nc = workflow.fire(nc, "contain", actor=inspector, comment="Starting now")

    nc.refresh_from_db()
    assert nc.containment_action == "Stop shipment"


def test_escalation_copies_the_containment_into_the_capa(
    raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc(unit="pcs")
    nc = services.record_containment(
        nc,
        actor=inspector,
        expected_version=nc.version,
        containment_action="Lot 2611 on hold",
        quantity_quarantined=Decimal("48.000"),
        containment_location="Cage B2",
    )
    nc = services.record_containment(
        nc, actor=quality_manager, expected_version=nc.version, containment_verified=True
    )

    capa = services.escalate_to_capa(nc, actor=quality_manager)

    assert capa.containment_summary == (
        f"{nc.number}: Lot 2611 on hold\n"
        f"48 pcs quarantined at Cage B2 by {inspector.printed_name} on {TODAY.isoformat()}.\n"
        f"Verified by {quality_manager.printed_name} on {TODAY.isoformat()}."
    )


def test_an_unverified_containment_says_so_in_the_capa(
    raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc()
    nc = services.record_containment(
        nc, actor=inspector, expected_version=nc.version, containment_action="Hold"
    )

    capa = services.escalate_to_capa(nc, actor=quality_manager)

    assert capa.containment_summary.endswith("Not verified yet.")


def test_the_containment_page_records_and_the_detail_page_shows_it(
    client_for: Any, raise_nc: Any, inspector: User
) -> None:
    nc = raise_nc()
    client = client_for(inspector)
    form = client.get(f"/nonconformances/{nc.pk}/containment/")

    saved = client.post(
        f"/nonconformances/{nc.pk}/containment/",
        {
            "version": nc.version,
            "containment_action": "Lot 2611 on hold",
            "quantity_quarantined": "50",
            "containment_location": "Cage B2",
            "containment_verified": "on",
        },
    )
    detail = client.get(f"/nonconformances/{nc.pk}/").content.decode()
    again = client.get(f"/nonconformances/{nc.pk}/containment/").content.decode()

    assert form.status_code == 200 and 'name="containment_location"' in form.content.decode()
    assert 'value="Cage B2"' in again and f'value="{TODAY.isoformat()}"' in again
    assert saved.status_code == 302
    assert 'data-testid="edit-containment"' in detail
    assert "Cage B2" in detail and "50 pcs" in detail
    assert f"Yes, by {inspector.printed_name} on {TODAY.isoformat()}" in detail


def test_the_containment_page_shows_a_refusal_on_its_field(
    client_for: Any, raise_nc: Any, inspector: User
) -> None:
    nc = raise_nc()

    page = client_for(inspector).post(
        f"/nonconformances/{nc.pk}/containment/",
        {
            "version": nc.version,
            "containment_action": "Hold",
            "contained_on": (TODAY + timedelta(days=1)).isoformat(),
        },
    )

    assert page.status_code == 422
    assert page.context["form"].errors["contained_on"] == [
        "The containment date cannot be in the future."
    ]


def test_readers_get_no_containment_form(client_for: Any, raise_nc: Any, viewer: User) -> None:
    nc = raise_nc()

    page = client_for(viewer).get(f"/nonconformances/{nc.pk}/containment/")
    detail = client_for(viewer).get(f"/nonconformances/{nc.pk}/").content.decode()

    assert page.status_code == 403
    assert 'data-testid="edit-containment"' not in detail


def test_the_api_reads_and_patches_the_containment(
    api_for: Any, raise_nc: Any, inspector: User
) -> None:
    nc = raise_nc()
    api = api_for(inspector)

    patched = api.patch(
        f"/nonconformances/{nc.pk}",
        {
            "version": nc.version,
            "containment_action": "Lot on hold",
            "quantity_quarantined": "12.5",
            "containment_verified": True,
        },
    )
    refused = api.patch(
        f"/nonconformances/{nc.pk}",
        {"version": patched.json()["version"], "containment_verified_on": "2000-01-01"},
    )
    shown = api.get(f"/nonconformances/{nc.pk}").json()

    assert patched.status_code == 200, patched.content
    assert shown["containment_action"] == "Lot on hold"
    assert Decimal(shown["quantity_quarantined"]) == Decimal("12.5")
    assert (shown["contained_by"], shown["containment_verified_by"]) == (inspector.pk, inspector.pk)
    assert shown["containment_verified_on"] == TODAY.isoformat()
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["containment_verified_on"]


def test_unticking_the_verification_on_the_edit_page_forgets_the_verifier(
    raise_nc: Any, quality_manager: User, client: Any
) -> None:
    """The generic edit page hands the service the record as it was, not as the form has
    already filled it in: the service tells what changed."""
    from qualitas.core import records
    from tests.contract.conftest import form_data

    nc = raise_nc()
    nc = services.record_containment(
        nc,
        actor=quality_manager,
        expected_version=nc.version,
        containment_action="Hold",
        containment_verified=True,
    )
    record_type = records.type_of(nc)
    fields = {name: getattr(nc, name) for name in record_type.editable_fields}
    fields["containment_verified"] = False
    data = form_data(record_type, fields) | {"version": nc.version}
    client.force_login(quality_manager)

    answer = client.post(f"/nonconformances/{nc.pk}/edit/", data)

    assert answer.status_code == 302, answer.content.decode()[:2000]
    nc.refresh_from_db()
    assert not nc.containment_verified
    assert (nc.containment_verified_by, nc.containment_verified_on) == (None, None)
