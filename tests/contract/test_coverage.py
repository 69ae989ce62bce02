"""Every installed record type is held to the contract: none may be left out silently."""

from __future__ import annotations

from qualitas.core import records
from tests.contract.conftest import MAKERS, maker_for


def test_every_installed_record_type_has_a_factory() -> None:
    missing = sorted(set(records.RECORD_TYPES) - set(MAKERS))

    assert not missing, (
        f"The contract suite needs a factory for record type(s) {', '.join(missing)}: "
        "add an entry to MAKERS in tests/contract/conftest.py."
    )


def test_the_contract_runs_for_the_record_type(record_key: str) -> None:
    """One case per installed type; fails (does not skip) for a type MAKERS does not know."""
    maker = maker_for(record_key)

    assert (maker.fields is None) != (maker.make is None)
