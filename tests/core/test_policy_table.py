"""The user guide's "who may do what" page: generated from the code, and true to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualitas.core import permissions, policytable, records, workflow
from qualitas.core.models import Site, User
from tests.factories import UserFactory, with_role

PAGE = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "who-may-do-what.md"
REGENERATE = "qualitas policy_table --output docs/user-guide/who-may-do-what.md"


def everything(record_type: records.RecordType) -> bool:
    return True


def table(markdown: str, record_type: records.RecordType) -> dict[str, dict[str, str]]:
    """The section's rows by action, each a mapping column → cell."""
    lines = markdown.split("\n")
    start = lines.index(f"## {record_type.label_plural}")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    header, _rule, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def test_the_committed_page_is_what_the_code_declares() -> None:
    assert PAGE.exists(), f"docs/user-guide/who-may-do-what.md is missing: run `{REGENERATE}`"
    assert PAGE.read_text(encoding="utf-8") == policytable.render_markdown(), (
        f"The permissions or workflows changed: run `{REGENERATE}` and commit the page."
    )


def test_the_page_leaves_out_record_types_declared_only_by_the_tests() -> None:
    shipped = policytable.render_markdown()
    with_tests = policytable.render_markdown(include=everything)

    assert "## Deviations" not in shipped
    assert "deviations." not in shipped  # nor their permissions, as "other" ones
    assert "## Deviations" in with_tests
    assert "## Nonconformances" in shipped


def test_other_permissions_leave_out_those_of_record_types() -> None:
    page = policytable.render_markdown(include=lambda rt: False)

    assert "## Other permissions" in page
    assert "`nc.manage_taxonomy`" in page
    assert "`org.manage_users`" in page
    assert "`nc.create`" not in page  # it belongs to the nonconformance table


def _holder_of(role: str, site: Site | None) -> User:
    return with_role(UserFactory(), role, site=site)


@pytest.mark.django_db
@pytest.mark.parametrize("granted_everywhere", [False, True], ids=["at-one-site", "everywhere"])
def test_each_tick_is_what_the_permission_check_decides(
    site: Site, other_site: Site, granted_everywhere: bool
) -> None:
    """A person holding only that role: ✓ exactly where has_perm lets them act at the site,
    and nothing at another site unless the role was granted everywhere."""
    page = policytable.render_markdown(include=everything)
    holders = {
        role.code: (role.name, _holder_of(role.code, None if granted_everywhere else site))
        for role in permissions.SYSTEM_ROLES.values()
    }
    wrong = []
    for record_type in records.RECORD_TYPES.values():
        rows = table(page, record_type)
        codes = {
            "See": record_type.permissions.view,
            "Raise": record_type.permissions.create,
            "Edit": record_type.permissions.edit,
        }
        codes |= {t.title: t.permission for t in record_type.workflow.transitions}
        assert set(rows) == set(codes), record_type.key
        for action, code in codes.items():
            for name, person in holders.values():
                here = code is not None and permissions.has_perm(person, code, site=site)
                elsewhere = code is not None and permissions.has_perm(person, code, site=other_site)
                shown = rows[action][name]
                if shown != ("✓" if here else "—"):
                    wrong.append(f"{record_type.key} / {action} / {name}: page says {shown}")
                if elsewhere != (here and granted_everywhere):
                    wrong.append(f"{record_type.key} / {action} / {name}: leaks to other site")
    assert not wrong, "\n".join(wrong)


def test_raise_is_ticked_for_some_roles_and_not_others() -> None:
    """Guards the test above against a table of all ticks or all dashes."""
    rows = table(policytable.render_markdown(), records.RECORD_TYPES["nonconformance"])

    assert rows["Raise"]["Contributor"] == "✓"
    assert rows["Raise"]["Viewer"] == "—"
    assert rows["Edit"]["Contributor"] == "—"
    assert rows["Edit"]["Also open to"] == "the record's owner"


def test_every_separation_of_duties_is_shown() -> None:
    page = policytable.render_markdown(include=everything)
    seen = 0
    for record_type in records.RECORD_TYPES.values():
        rows = table(page, record_type)
        for transition in record_type.workflow.transitions:
            never = rows[transition.title]["Never by"]
            for relation in transition.not_by:
                seen += 1
                words = "whoever raised the record" if relation == "creator" else relation
                assert words in never, f"{record_type.key} / {transition.title}: {never!r}"
    assert seen >= 3  # NC concessions (two), CAPA plan approval, SPC review, deviations


def test_the_capa_plan_is_never_approved_by_its_owner() -> None:
    rows = table(policytable.render_markdown(), records.RECORD_TYPES["capa"])

    approve = rows["Approve the action plan"]
    assert approve["Never by"] == "the record's owner"
    assert approve["Signature"] == "Approved"
    assert approve["Approver"] == "✓"


@pytest.mark.django_db
def test_never_by_is_what_the_workflow_refuses() -> None:
    """The deviation's approval names its creator under "Never by", though the creator holds
    the role with the ✓: the workflow refuses them for separation of duties."""
    deviations = records.RECORD_TYPES["deviation"]
    rows = table(policytable.render_markdown(include=everything), deviations)
    assert rows["Approve"]["Quality Manager"] == "✓"
    assert "whoever raised the record" in rows["Approve"]["Never by"]

    manager = _holder_of(permissions.QUALITY_MANAGER, None)
    deviation = records.create(
        deviations, actor=manager, title="Spare gauge", description="Calibrated", impact="None"
    )
    workflow.fire(deviation, "submit", actor=manager)
    deviation.refresh_from_db()
    approve = deviations.workflow.transition("approve")

    refused = {r.code for r in workflow.evaluate(deviation, approve, manager)}
    another_manager = _holder_of(permissions.QUALITY_MANAGER, None)
    assert "separation_of_duties" in refused
    assert workflow.evaluate(deviation, approve, another_manager) == ()


def test_the_command_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    call_command("policy_table")

    assert capsys.readouterr().out == policytable.render_markdown()


def test_the_command_writes_the_page(tmp_path: Path) -> None:
    from django.core.management import call_command

    target = tmp_path / "who.md"
    call_command("policy_table", "--output", str(target))

    assert target.read_text(encoding="utf-8") == policytable.render_markdown()
