"""schemathesis over the whole API, in-process: no operation may answer with a server error.

Every operation of the schema the app serves gets data that fits the schema and data that
does not (nulls, wrong types, out-of-range numbers), as a quality manager with a real token.
Bounded and seeded so it runs in the normal suite: a few examples per operation, the same
ones on every run. To search longer (docs/api.md):

    QUALITAS_FUZZ_EXAMPLES=200 QUALITAS_FUZZ_SEED=7 pytest tests/api/test_schemathesis.py

(schemathesis' own pytest loader, `from_fixture`, does not run under pytest 9 yet, hence
the loop over operations below.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from qualitas.core import services
from qualitas.core.models import Site, User

EXAMPLES = int(os.environ.get("QUALITAS_FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("QUALITAS_FUZZ_SEED")


@pytest.fixture
def same_connection() -> Any:
    """Keep the test's database connection across the WSGI calls, as Django's test client
    does: otherwise each request's end closes it, ending the test's transaction (PostgreSQL)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.usefixtures("same_connection")
def test_no_operation_answers_with_a_server_error(
    quality_manager: User, raise_nc: Any, site: Site
) -> None:
    raise_nc(site=site)  # real records, so that small generated ids find something
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            derandomize=SEED is None,  # the same examples on every run unless a seed is given
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        def call(case: Any) -> None:
            # A fresh token per call: an operation that revokes tokens must not blind the rest.
            _token, plain = services.create_token(actor=quality_manager, name="schemathesis")
            case.call_and_validate(
                headers={"Authorization": f"Bearer {plain}"}, checks=[not_a_server_error]
            )

        if SEED is not None:
            call = schemathesis_seed(call, int(SEED))
        try:
            call()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:2000]}")

    assert operations > 100, "the schema lost its operations"
    assert not failures, "\n\n".join(failures)


def schemathesis_seed(test: Any, seed: int) -> Any:
    from hypothesis import seed as hypothesis_seed

    return hypothesis_seed(seed)(test)
