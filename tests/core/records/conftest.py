"""Fixtures for the record core, exercised on the test-only Deviation record type."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import records, signatures
from qualitas.core.models import User
from tests.factories import PASSWORD, UserFactory, with_role


@pytest.fixture
def deviations() -> records.RecordType:
    return records.RECORD_TYPES["deviation"]


@pytest.fixture
def author(db: None) -> User:
    return with_role(
        UserFactory(username="author", first_name="Ada", last_name="Author"), "contributor"
    )


@pytest.fixture
def approver(db: None) -> User:
    return with_role(
        UserFactory(username="approver", first_name="Abe", last_name="Approver"), "approver"
    )


@pytest.fixture
def second_approver(db: None) -> User:
    return with_role(UserFactory(username="approver2"), "approver")


@pytest.fixture
def raise_deviation(deviations: records.RecordType, author: User) -> Any:
    def make(actor: User | None = None, **fields: Any) -> Any:
        values = {"title": "Use alternate torque wrench", "description": "Calibrated spare in use"}
        values.update(fields)
        return records.create(deviations, actor=actor or author, **values)

    return make


def token_for(user: User) -> signatures.SignatureToken:
    return signatures.authenticate(user, PASSWORD)
