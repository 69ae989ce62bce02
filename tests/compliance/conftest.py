"""Compliance tests reuse the documents tests' people and their way of releasing a
revision (evidence is often a controlled document)."""

from tests.documents.conftest import (  # noqa: F401  (fixtures)
    approver,
    author,
    controller,
    new_document,
    procedure,
    release,
)
