"""Process capability (Cp, Cpk, Cpm with confidence intervals; Pp, Ppk; ppm).

Indices and their confidence intervals follow qcc's ``process.capability``
(Montgomery, Introduction to SQC, section 8.3 / Kotz and Johnson):

    Cp  = (USL - LSL) / (6 sigma)        CI: Cp * sqrt(chi2_{a/2, n-1} / (n-1)) ...
    Cpl = (mean - LSL) / (3 sigma)
          CI: Cpl * (1 -/+ z_{1-a/2} sqrt(1 / (9 n Cpl^2) + 1 / (2 (n - 1))))
    Cpu = (USL - mean) / (3 sigma)       CI: as Cpl
    Cpk = min(Cpl, Cpu)                  CI: as Cpl
    Cpm = Cp / sqrt(1 + ((mean - T) / sigma)^2)
          CI: Cpm * sqrt(chi2_{a/2, df} / df), df = n (1 + d^2) / (1 + 2 d^2), d = (mean - T)/sigma

``sigma`` is the within-subgroup sigma (R-bar/d2 "UWAVE-R" for subgroups,
MR-bar/d2(2) for individuals) unless given; Pp/Ppk use the overall sample
standard deviation.  n is the number of individual observations.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from qualitas.spc.constants import d2
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import _individuals, _subgroups, _within_sigma

__all__ = ["Capability", "capability"]

Interval = tuple[float, float]


@dataclass(frozen=True)
class Capability:
    """Capability indices, confidence intervals and expected/observed ppm.

    An index that needs a missing specification limit is None (one-sided
    specifications give only Cpl or Cpu, and Cpk equal to it).
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    target: float | None
    confidence: float
    cp: float | None
    cp_ci: Interval | None
    cpl: float | None
    cpl_ci: Interval | None
    cpu: float | None
    cpu_ci: Interval | None
    cpk: float | None
    cpk_ci: Interval | None
    cpm: float | None
    cpm_ci: Interval | None
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float | None
    ppm_below_within: float | None
    ppm_above_within: float | None
    ppm_total_within: float
    ppm_below_overall: float | None
    ppm_above_overall: float | None
    ppm_total_overall: float
    ppm_below_observed: float | None
    ppm_above_observed: float | None
    ppm_total_observed: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (intervals become two-element lists)."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _cpk_interval(value: float, n: int, z: float) -> Interval:
    half = z * math.sqrt(1.0 / (9.0 * n * value**2) + 1.0 / (2.0 * (n - 1)))
    return value * (1.0 - half), value * (1.0 + half)


def _data(data: Any) -> tuple[np.ndarray[Any, np.dtype[np.float64]], float, bool]:
    """Flattened observations, the within sigma estimate and whether data were subgroups."""
    arr = data if isinstance(data, np.ndarray) and data.dtype != object else None
    one_d = arr is not None and arr.ndim == 1
    if arr is None:
        seq = list(data)
        one_d = bool(seq) and np.ndim(seq[0]) == 0
        data = seq
    if one_d:
        x = _individuals(data, "capability", minimum=2)
        mr = np.abs(np.diff(x)).mean()
        return x, float(mr / float(d2(2))), False
    g = _subgroups(data, 2, "capability")
    values = g.data[~np.isnan(g.data)] if g.missing else g.data.ravel()
    return values, _within_sigma(g, "uwave-r"), True


def capability(
    data: Any,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    sigma: float | None = None,
    confidence: float = 0.95,
) -> Capability:
    """Process capability of ``data`` (individuals 1-D, or subgroups as for the charts).

    At least one of ``lsl``/``usl`` is required.  ``target`` defaults to the
    mid-point of the specification when both limits are given (as qcc).
    ``sigma`` is a known within sigma.  Expected ppm assume a normal
    distribution; observed ppm count the data outside the limits.
    """
    if lsl is None and usl is None:
        raise SpcInputError("capability needs at least one specification limit (LSL or USL)")
    for name, value in (("LSL", lsl), ("USL", usl), ("target", target)):
        if value is not None and not math.isfinite(value):
            raise SpcInputError(f"{name} must be a finite number, got {value}")
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpcInputError(f"LSL ({lsl:g}) must be below USL ({usl:g})")
    if not 0.0 < confidence < 1.0:
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence}")
    if sigma is not None and (not math.isfinite(sigma) or sigma <= 0):
        raise SpcInputError(f"known sigma must be a positive number, got {sigma}")
    x, within, _ = _data(data)
    n = int(x.shape[0])
    if n < 2:
        raise SpcInputError(f"capability needs at least 2 observations, got {n}")
    s_within = float(sigma) if sigma is not None else within
    s_overall = float(np.std(x, ddof=1))
    if s_within <= 0 or s_overall <= 0:
        raise SpcInputError("capability: the data have no variation, so sigma is zero")
    mean = float(x.mean())
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2.0
    alpha = 1.0 - confidence
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))

    cp = cp_ci = cpm = cpm_ci = pp = None
    if lsl is not None and usl is not None:
        cp = (usl - lsl) / (6.0 * s_within)
        cp_ci = (
            cp * math.sqrt(stats.chi2.ppf(alpha / 2.0, n - 1) / (n - 1)),
            cp * math.sqrt(stats.chi2.ppf(1.0 - alpha / 2.0, n - 1) / (n - 1)),
        )
        pp = (usl - lsl) / (6.0 * s_overall)
        if target is not None:
            dev = (mean - target) / s_within
            cpm = cp / math.sqrt(1.0 + dev**2)
            df = n * (1.0 + dev**2) / (1.0 + 2.0 * dev**2)
            cpm_ci = (
                cpm * math.sqrt(stats.chi2.ppf(alpha / 2.0, df) / df),
                cpm * math.sqrt(stats.chi2.ppf(1.0 - alpha / 2.0, df) / df),
            )
    cpl = (mean - lsl) / (3.0 * s_within) if lsl is not None else None
    cpu = (usl - mean) / (3.0 * s_within) if usl is not None else None
    ppl = (mean - lsl) / (3.0 * s_overall) if lsl is not None else None
    ppu = (usl - mean) / (3.0 * s_overall) if usl is not None else None
    cpk = min(v for v in (cpl, cpu) if v is not None)
    ppk = min(v for v in (ppl, ppu) if v is not None)

    def below(s: float) -> float | None:
        return None if lsl is None else float(stats.norm.cdf((lsl - mean) / s) * 1e6)

    def above(s: float) -> float | None:
        return None if usl is None else float(stats.norm.sf((usl - mean) / s) * 1e6)

    obs_below = None if lsl is None else float(np.count_nonzero(x < lsl) / n * 1e6)
    obs_above = None if usl is None else float(np.count_nonzero(x > usl) / n * 1e6)
    bw, aw, bo, ao = below(s_within), above(s_within), below(s_overall), above(s_overall)
    return Capability(
        n=n,
        mean=mean,
        sigma_within=s_within,
        sigma_overall=s_overall,
        lsl=lsl,
        usl=usl,
        target=target,
        confidence=confidence,
        cp=cp,
        cp_ci=cp_ci,
        cpl=cpl,
        cpl_ci=None if cpl is None else _cpk_interval(cpl, n, z),
        cpu=cpu,
        cpu_ci=None if cpu is None else _cpk_interval(cpu, n, z),
        cpk=cpk,
        cpk_ci=_cpk_interval(cpk, n, z),
        cpm=cpm,
        cpm_ci=cpm_ci,
        pp=pp,
        ppl=ppl,
        ppu=ppu,
        ppk=ppk,
        ppm_below_within=bw,
        ppm_above_within=aw,
        ppm_total_within=(bw or 0.0) + (aw or 0.0),
        ppm_below_overall=bo,
        ppm_above_overall=ao,
        ppm_total_overall=(bo or 0.0) + (ao or 0.0),
        ppm_below_observed=obs_below,
        ppm_above_observed=obs_above,
        ppm_total_observed=(obs_below or 0.0) + (obs_above or 0.0),
    )
