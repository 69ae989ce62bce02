"""Errors raised by the statistical quality engine."""

from __future__ import annotations

__all__ = ["SpcInputError"]


class SpcInputError(ValueError):
    """Input that cannot give a meaningful statistical result.

    The message says what is wrong in the words a quality engineer would use
    (too few subgroups, negative counts, defectives larger than the sample size,
    LSL not below USL, an AQL that is not in the tables ...).
    """
