"""Contract 8: a record type's list is written from a plan of its columns (core.listrender),
and the HTML is what django-tables2's own template gives for the same table: the same
cells, links, labels and empty texts, sorted either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qualitas.core import records
from qualitas.core.views.records import RecordListView
from tests.contract.conftest import Cast
from tests.core.test_list_rendering import both, table_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["", "sort=-number", "sort=owner", "sort=-state"])
def test_the_list_renders_as_django_tables2_does(
    record_type: records.RecordType, make_record: Callable[..., Any], cast: Cast, query: str
) -> None:
    for _ in range(3):
        make_record()
    table, request = table_of(
        RecordListView, cast.raiser(record_type), query, resource=record_type.resource
    )
    theirs, ours = both(table, request)
    assert ours.count("<tr") == 4  # the header and the three records
    assert ours == theirs
