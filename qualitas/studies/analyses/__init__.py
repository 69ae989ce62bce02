"""The analyses a study can hold besides a control chart, each declared once in its module.

Adding a kind is one module here (its inputs, run, pictures, summary, form and panel template)
and one entry in KINDS; the API body, the new-study pages, the study page, the PDF and the
figure view all read `ANALYSES`.
"""

from __future__ import annotations

from qualitas.studies.analyses import (
    agreement,
    arl,
    gage,
    linearity,
    reliability,
    sampling,
    type1,
    variables,
)
from qualitas.studies.analyses.base import Analysis, Figure

__all__ = ["ANALYSES", "Analysis", "Figure"]

# In the order the new-study chooser offers them.
KINDS = (
    sampling,
    variables,
    arl,
    gage,
    type1,
    linearity,
    agreement,
    reliability,
)

ANALYSES: dict[str, Analysis] = {kind.ANALYSIS.key: kind.ANALYSIS for kind in KINDS}
