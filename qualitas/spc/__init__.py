"""qualitas.spc: the statistical quality engine of Qualitas.

Pure computation on NumPy and SciPy: control charts with run rules and their
average run lengths (``arl``), process capability (normal and non-normal), Pareto
analysis, measurement system analysis (Gage R&R, attribute agreement, linearity
and bias, type 1), acceptance sampling (single, double and multiple attribute
plans with their OC/AOQ/ATI curves; variables plans) and life data (Weibull,
lognormal, exponential).  matplotlib is imported only by :mod:`qualitas.spc.plot` and the
command line, lazily.
"""

from __future__ import annotations

from qualitas.spc import arl
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
from qualitas.spc.msa import GageRR, attribute_agreement, bias_linearity, gage_rr, type1
from qualitas.spc.pareto import ParetoRow, pareto
from qualitas.spc.reliability import LifeFit, WeibullFit, compare, fit, weibull_fit
from qualitas.spc.rules import run_rules
from qualitas.spc.sampling import (
    InspectionState,
    LotResult,
    SamplingPlan,
    aoq,
    aoql,
    ati,
    double_plan,
    find_plan,
    multiple_plan,
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
    "LifeFit",
    "LotResult",
    "ParetoRow",
    "SamplingPlan",
    "SpcInputError",
    "WeibullFit",
    "aoq",
    "aoql",
    "arl",
    "ati",
    "attribute_agreement",
    "bias_linearity",
    "c_chart",
    "capability",
    "compare",
    "cusum",
    "double_plan",
    "ewma",
    "find_plan",
    "fit",
    "gage_rr",
    "individuals_mr",
    "multiple_plan",
    "next_inspection_state",
    "np_chart",
    "oc_curve",
    "p_chart",
    "pareto",
    "run_rules",
    "sampling_plan",
    "type1",
    "u_chart",
    "weibull_fit",
    "xbar_r",
    "xbar_s",
]
