"""qualitas.spc: the statistical quality engine of Qualitas.

Pure computation on NumPy and SciPy: control charts with run rules, process
capability, Pareto analysis, Gage R&R, attribute sampling plans and Weibull
life data.  matplotlib is imported only by :mod:`qualitas.spc.plot` and the
command line, lazily.
"""

from __future__ import annotations

from qualitas.spc.capability import Capability, capability
from qualitas.spc.charts import (
    ControlChart,
    c_chart,
    individuals_mr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)
from qualitas.spc.errors import SpcInputError
from qualitas.spc.msa import GageRR, gage_rr
from qualitas.spc.pareto import ParetoRow, pareto
from qualitas.spc.reliability import WeibullFit, weibull_fit
from qualitas.spc.rules import run_rules
from qualitas.spc.sampling import (
    InspectionState,
    LotResult,
    SamplingPlan,
    next_inspection_state,
    oc_curve,
    sampling_plan,
)
from qualitas.spc.timeweighted import cusum, ewma

__all__ = [
    "Capability",
    "ControlChart",
    "GageRR",
    "InspectionState",
    "LotResult",
    "ParetoRow",
    "SamplingPlan",
    "SpcInputError",
    "WeibullFit",
    "c_chart",
    "capability",
    "cusum",
    "ewma",
    "gage_rr",
    "individuals_mr",
    "next_inspection_state",
    "np_chart",
    "oc_curve",
    "p_chart",
    "pareto",
    "run_rules",
    "sampling_plan",
    "u_chart",
    "weibull_fit",
    "xbar_r",
    "xbar_s",
]
