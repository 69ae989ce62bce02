"""The analysis examples in docs/api.md are accepted by the API as written, so the guide
cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from qualitas.core.models import User

pytestmark = pytest.mark.django_db

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_documented_analysis_body_is_accepted(api_for: Any, contributor: User) -> None:
    bodies = [json.loads(b) for b in re.findall(r"spc '(\{.*?\})'", API_DOC.read_text(), re.S)]
    kinds = {body.get("analysis", "chart") for body in bodies}

    assert len(kinds) >= 8
    for body in bodies:
        response = api_for(contributor).post("/spc-studies/analyses", body)
        assert response.status_code == (201 if body.get("save", True) else 200), (
            body.get("analysis"),
            response.json(),
        )
