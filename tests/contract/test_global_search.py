"""Contract 10 (issue 13, defect 5): the global search box finds a record of every type by
its number and by words of its title, for whoever may see it, and for nobody else."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import records
from qualitas.core.registry import registry
from tests.contract.conftest import NO_ROLE, Cast

pytestmark = pytest.mark.django_db


def _found(client: Any, text: str) -> str:
    """The hits' text (the search box itself echoes what was typed)."""
    page = client.get("/search/", {"q": text})
    assert page.status_code == 200
    parts = page.content.decode().split('data-testid="search-hit"')[1:]
    return " | ".join(part.split("</li>", 1)[0] for part in parts)


def test_every_record_type_declares_its_search_source(record_type: records.RecordType) -> None:
    assert record_type.key in [source.record_type for source in registry.search]


def test_the_search_box_finds_a_record_by_number_and_title(
    record_type: records.RecordType, make_record: Any, cast: Cast, client_for: Any
) -> None:
    record = make_record()
    others = [make_record() for _ in range(2)]
    raiser = client_for(cast.raiser(record_type))
    outsider = client_for(cast.people[NO_ROLE])

    by_number = _found(raiser, record.number)
    by_title = _found(raiser, record.title.split()[0])

    assert record.number in by_number
    assert not any(o.number in by_number for o in others if record.number not in o.number)
    assert record.number in by_title
    assert record.number not in _found(outsider, record.number)
