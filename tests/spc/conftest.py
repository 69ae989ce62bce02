"""Fixtures for the qualitas.spc tests."""

from __future__ import annotations

import numpy as np
import pytest
from spc_data import AIAG_GAGE, PISTON_RINGS


@pytest.fixture
def piston_rings() -> np.ndarray:
    return np.array(PISTON_RINGS)


@pytest.fixture
def aiag_long() -> tuple[list[int], list[str], list[float]]:
    parts, operators, values = [], [], []
    for operator, trials in AIAG_GAGE.items():
        for trial in trials:
            for part, value in enumerate(trial, start=1):
                parts.append(part)
                operators.append(operator)
                values.append(value)
    return parts, operators, values
