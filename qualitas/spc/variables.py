"""Variables sampling by the s-method (unknown sigma), single specification limit, form k.

What this module builds, plainly:

* ``variables_plan`` gives n and the acceptability constant k from **MIL-STD-414**
  (11 June 1957, US Department of Defense, public domain), Section B, "variability
  unknown, standard deviation method": Table A-2 (sample size code letters,
  inspection levels I-V, default IV) and Table B-1 (master table for normal and
  tightened inspection, single specification limit, Form 1).  It is *not* the
  ISO 3951-1 table: ISO 3951-1 (and ANSI/ASQ Z1.9, which re-indexed MIL-STD-414
  to the Z1.4 code letters) are copyrighted and no citable public encoding of
  their k tables was found, so those are not offered.  MIL-STD-414 Table B-2
  (reduced inspection) is not encoded either: ``inspection="reduced"`` is refused.
* ``find_variables_plan`` designs (n, k) from a producer's risk point (AQL, alpha)
  and a consumer's risk point (LTPD, beta): exactly with the non-central t
  distribution (as R's AcceptanceSampling ``find.plan``) or with the Wallis
  normal approximation (Schilling & Neubauer, *Acceptance Sampling in Quality
  Control*, 2nd ed., ch. on variables plans; Montgomery, *Introduction to SQC*).
* ``variables_oc`` is the OC curve of an s-method plan (non-central t, exact;
  Wallis approximation on request).
* ``judge_lot`` computes the quality statistic Q_U = (U - mean)/s or
  Q_L = (mean - L)/s and accepts when Q >= k (MIL-STD-414 B4, ISO 3951-1 form k).

Sources of the table: the numbers of Table A-2 and Table B-1 are those of R
package Planesmuestra 0.1 (E. Marroquin, CRAN, data ``code_letter.milstd414`` and
``k_plans.milstd414``, transcribed from Montgomery, *Introduction to Statistical
Quality Control*, 5th ed.).  That encoding fills each down-arrow cell with the k
of the plan below but keeps the row's own n, which is wrong for the arrow cells;
here the arrows are restored (a column's leading run of equal k values is one
plan and the arrows above it), as the standard prints them: "use the first
sampling plan below the arrow, that is, both sample size as well as k value".
Letters B-J at AQL 0.65-10 agree cell for cell with a second, independent
transcription from a scan of MIL-STD-414 found in public code; letters K-Q rest
on the Planesmuestra encoding alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from qualitas.spc.errors import SpcInputError

__all__ = [
    "LotJudgement",
    "VariablesPlan",
    "estimated_percent_nonconforming",
    "find_variables_plan",
    "judge_lot",
    "mil414_code_letter",
    "variables_oc",
    "variables_plan",
]

MIL414_LEVELS = ("I", "II", "III", "IV", "V")
MIL414_LETTERS = "BCDEFGHIJKLMNOPQ"
MIL414_SIZES = (3, 4, 5, 7, 10, 15, 20, 25, 30, 35, 40, 50, 75, 100, 150, 200)
# Table A-2: upper bound of each lot-size class, code letters for levels I..V.
MIL414_CODE_LETTERS: tuple[tuple[float, str], ...] = (
    (8, "BBBBC"),
    (15, "BBBBD"),
    (25, "BBBCE"),
    (40, "BBBDF"),
    (65, "BBCEG"),
    (110, "BBDFH"),
    (180, "BCEGI"),
    (300, "BDFHJ"),
    (500, "CEGIK"),
    (800, "DFHJL"),
    (1300, "EGIKL"),
    (3200, "FHJLM"),
    (8000, "GILMN"),
    (22000, "HJMNO"),
    (110000, "IKNOP"),
    (550000, "IKOPQ"),
    (math.inf, "IKPQQ"),
)
# Table B-1 column headings: normal inspection AQLs (percent).  The tightened
# headings are shifted one column: tightened AQL 0.065 uses the normal 0.04
# column, ..., tightened 15 the normal 10 column (there is no tightened 0.04).
MIL414_AQLS: tuple[float, ...] = (
    0.04, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0, 15.0,
)  # fmt: skip
# Table B-1, k for each letter (rows) and normal AQL (columns); None = down arrow.
_: None = None
MIL414_K: dict[str, tuple[float | None, ...]] = {
    "B": (_, _, _, _, _, _, _, _, _, 1.12, 0.958, 0.765, 0.566, 0.341),
    "C": (_, _, _, _, _, _, _, 1.45, 1.34, 1.17, 1.01, 0.814, 0.617, 0.393),
    "D": (_, _, _, _, _, _, 1.65, 1.53, 1.40, 1.24, 1.07, 0.874, 0.675, 0.455),
    "E": (_, _, _, _, 2.00, 1.88, 1.75, 1.62, 1.50, 1.33, 1.15, 0.955, 0.755, 0.536),
    "F": (_, _, _, 2.24, 2.11, 1.98, 1.84, 1.72, 1.58, 1.41, 1.23, 1.03, 0.828, 0.611),
    "G": (2.64, 2.53, 2.42, 2.32, 2.20, 2.06, 1.91, 1.79, 1.65, 1.47, 1.30, 1.09, 0.886, 0.664),
    "H": (2.69, 2.58, 2.47, 2.36, 2.24, 2.11, 1.96, 1.82, 1.69, 1.51, 1.33, 1.12, 0.917, 0.695),
    "I": (2.72, 2.61, 2.50, 2.40, 2.26, 2.14, 1.98, 1.85, 1.72, 1.53, 1.35, 1.14, 0.936, 0.712),
    "J": (2.73, 2.61, 2.51, 2.41, 2.28, 2.15, 2.00, 1.86, 1.73, 1.55, 1.36, 1.15, 0.946, 0.723),
    "K": (2.77, 2.65, 2.54, 2.45, 2.31, 2.18, 2.03, 1.89, 1.76, 1.57, 1.39, 1.18, 0.969, 0.745),
    "L": (2.77, 2.66, 2.55, 2.44, 2.31, 2.18, 2.03, 1.89, 1.76, 1.58, 1.39, 1.18, 0.971, 0.746),
    "M": (2.83, 2.71, 2.60, 2.50, 2.35, 2.22, 2.08, 1.93, 1.80, 1.61, 1.42, 1.21, 1.00, 0.774),
    "N": (2.90, 2.77, 2.66, 2.55, 2.41, 2.27, 2.12, 1.98, 1.84, 1.65, 1.46, 1.24, 1.03, 0.804),
    "O": (2.92, 2.80, 2.69, 2.58, 2.43, 2.29, 2.14, 2.00, 1.86, 1.67, 1.48, 1.26, 1.05, 0.819),
    "P": (2.96, 2.84, 2.73, 2.61, 2.47, 2.33, 2.18, 2.03, 1.89, 1.70, 1.51, 1.29, 1.07, 0.841),
    "Q": (2.97, 2.85, 2.73, 2.62, 2.47, 2.33, 2.18, 2.04, 1.89, 1.70, 1.51, 1.29, 1.07, 0.845),
}  # fmt: skip

STANDARDS = {
    "mil-std-414": "mil-std-414",
    "milstd414": "mil-std-414",
    "mil std 414": "mil-std-414",
    "414": "mil-std-414",
}
DEFAULT_LEVEL = {"mil-std-414": "IV"}


@dataclass(frozen=True)
class VariablesPlan:
    """An s-method plan: measure ``sample_size`` items, accept when Q >= ``k``."""

    lot_size: int
    aql: float
    level: str
    inspection: str
    standard: str
    code_letter: str
    plan_letter: str
    sample_size: int
    k: float
    method: str
    form: str
    hundred_percent: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)


@dataclass(frozen=True)
class LotJudgement:
    """Outcome of the form-k acceptance test for one lot."""

    n: int
    mean: float
    s: float
    limit: str
    specification: float
    q: float
    k: float
    accepted: bool
    estimated_percent_nonconforming: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)


def _standard(standard: str) -> str:
    key = str(standard).strip().lower().replace("_", "-")
    if key not in STANDARDS:
        raise SpcInputError(
            f"standard: unknown {standard!r}; use 'mil-std-414' (ISO 3951-1 and ANSI/ASQ "
            "Z1.9 tables are copyrighted and not encoded)"
        )
    return STANDARDS[key]


def _mil414_level(level: str) -> str:
    key = str(level).strip().upper()
    key = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}.get(key, key)
    if key not in MIL414_LEVELS:
        raise SpcInputError(f"level: unknown {level!r}; MIL-STD-414 has levels I, II, III, IV, V")
    return key


def _aql_column(aql: float | str, inspection: str) -> int:
    try:
        value = float(aql)
    except (TypeError, ValueError):
        raise SpcInputError(f"aql: must be a number, got {aql!r}") from None
    headings = MIL414_AQLS if inspection == "normal" else MIL414_AQLS[1:]
    for j, tabled in enumerate(headings):
        if math.isclose(value, tabled, rel_tol=1e-9):
            return j  # tightened column j+1 is printed above normal column j
    listed = ", ".join(f"{a:g}" for a in headings)
    raise SpcInputError(
        f"aql: {value:g} is not in MIL-STD-414 Table B-1 for {inspection} inspection; use {listed}"
    )


def mil414_code_letter(lot_size: int, level: str = "IV") -> str:
    """Sample size code letter of MIL-STD-414 Table A-2 (lot sizes from 3)."""
    if isinstance(lot_size, bool) or int(lot_size) != lot_size or lot_size < 3:
        raise SpcInputError(
            f"lot_size: must be a whole number of at least 3 (MIL-STD-414), got {lot_size}"
        )
    column = MIL414_LEVELS.index(_mil414_level(level))
    for upper, letters in MIL414_CODE_LETTERS:
        if lot_size <= upper:
            return letters[column]
    raise AssertionError("unreachable: the last lot-size class is open-ended")


def variables_plan(
    lot_size: int,
    aql: float | str,
    level: str | None = None,
    inspection: str = "normal",
    standard: str = "mil-std-414",
) -> VariablesPlan:
    """s-method plan (n, k) for a lot size and AQL (percent nonconforming), single limit, form k.

    ``level`` defaults to the standard's normal level (IV for MIL-STD-414).
    ``inspection`` is "normal" or "tightened"; "reduced" is refused because
    MIL-STD-414 Table B-2 is not encoded.  Down arrows are followed to the first
    plan below (its n and k).  When n reaches the lot size every item is
    inspected (``hundred_percent``), as the note to Table B-1 requires.
    """
    std = _standard(standard)
    mode = str(inspection).strip().lower()
    if mode == "reduced":
        raise SpcInputError(
            "inspection: reduced inspection (MIL-STD-414 Table B-2) is not encoded; "
            "use 'normal' or 'tightened'"
        )
    if mode not in ("normal", "tightened"):
        raise SpcInputError(f"inspection: unknown {inspection!r}; use 'normal' or 'tightened'")
    lvl = _mil414_level(DEFAULT_LEVEL[std] if level is None else level)
    letter = mil414_code_letter(lot_size, lvl)
    j = _aql_column(aql, mode)
    row = MIL414_LETTERS.index(letter)
    k = MIL414_K[MIL414_LETTERS[row]][j]
    while k is None:  # down arrow: the first plan below (the last row Q has every plan)
        row += 1
        k = MIL414_K[MIL414_LETTERS[row]][j]
    n = MIL414_SIZES[row]
    hundred = n >= lot_size
    return VariablesPlan(
        lot_size=int(lot_size),
        aql=(MIL414_AQLS if mode == "normal" else MIL414_AQLS[1:])[j],
        level=lvl,
        inspection=mode,
        standard=std,
        code_letter=letter,
        plan_letter=MIL414_LETTERS[row],
        sample_size=int(lot_size) if hundred else n,
        k=float(k),
        method="s",
        form="k",
        hundred_percent=hundred,
    )


def _plan_n_k(plan: VariablesPlan | tuple[int, float]) -> tuple[int, float]:
    if isinstance(plan, VariablesPlan):
        return plan.sample_size, plan.k
    try:
        n, k = plan
    except (TypeError, ValueError):
        raise SpcInputError("plan: must be a VariablesPlan or an (n, k) pair") from None
    return _check_n_k(n, k)


def _check_n_k(n: Any, k: Any) -> tuple[int, float]:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise SpcInputError(f"n: sample size must be a whole number of at least 2, got {n!r}")
    try:
        kk = float(k)
    except (TypeError, ValueError):
        raise SpcInputError(f"k: must be a number, got {k!r}") from None
    if not math.isfinite(kk):
        raise SpcInputError(f"k: must be finite, got {k!r}")
    return int(n), kk


def estimated_percent_nonconforming(q: float, n: int) -> float | None:
    """Form 2 estimate of the lot percent nonconforming from Q (s-method, minimum variance).

    p = I_x((n-2)/2, (n-2)/2) with x = max(0, 1/2 - Q sqrt(n) / (2 (n-1))), the
    regularised incomplete beta function (Lieberman & Resnikoff 1955; the
    function tabulated in MIL-STD-414 Table B-5 and ISO 3951-1 Annex J).
    Undefined for n = 2 (None).
    """
    if n < 3:
        return None
    x = max(0.0, 0.5 - q * math.sqrt(n) / (2.0 * (n - 1)))
    x = min(x, 1.0)
    a = (n - 2) / 2.0
    return float(100.0 * stats.beta.cdf(x, a, a))


def judge_lot(
    plan: VariablesPlan | tuple[int, float],
    measurements: ArrayLike,
    lsl: float | None = None,
    usl: float | None = None,
) -> LotJudgement:
    """Accept or reject a lot by the s-method, form k, against ONE specification limit.

    Q_U = (U - mean)/s or Q_L = (mean - L)/s with s the sample standard deviation
    (divisor n - 1); the lot is accepted when Q >= k (MIL-STD-414 B4.1; ISO 3951-1
    form k).  Two limits are refused: the combined double-limit control of ISO
    3951-1 (acceptance curve) and the separate-AQL procedure are not implemented.
    The measurements must number exactly the plan's sample size.  All measurements
    equal (s = 0) is refused: Q is then undefined or infinite and the s-method
    gives no answer (check the gauge resolution; decide by the standard's own rules).
    """
    n, k = _plan_n_k(plan)
    x = np.asarray(measurements, dtype=np.float64)
    if x.ndim != 1:
        raise SpcInputError("measurements: must be a one-dimensional sequence of numbers")
    if x.size < 2:
        raise SpcInputError(f"measurements: at least 2 are needed for s, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise SpcInputError("measurements: must all be finite numbers (no NaN or infinity)")
    if x.size != n:
        raise SpcInputError(
            f"measurements: the plan's sample size is {n}, got {x.size} measurements"
        )
    if (lsl is None) == (usl is None):
        name = "usl" if lsl is not None else "lsl"
        raise SpcInputError(
            f"{name}: give exactly one specification limit (lsl or usl); the form k test is "
            "for a single limit, and the double-limit procedure of ISO 3951-1 is not implemented"
        )
    spec_name, spec = ("usl", usl) if usl is not None else ("lsl", lsl)
    try:
        limit_value = float(spec)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SpcInputError(f"{spec_name}: must be a number, got {spec!r}") from None
    if not math.isfinite(limit_value):
        raise SpcInputError(f"{spec_name}: must be finite, got {spec!r}")
    mean = float(x.mean())
    s = float(x.std(ddof=1))
    if s == 0.0 or s <= 1e-12 * max(1.0, abs(mean)):
        raise SpcInputError(
            "measurements: all equal (s = 0), so Q is undefined; the s-method cannot judge "
            "this lot (check the measurement resolution)"
        )
    if usl is not None:
        q = (limit_value - mean) / s
        limit, label = "upper", "Q_U = (U - mean)/s"
    else:
        q = (mean - limit_value) / s
        limit, label = "lower", "Q_L = (mean - L)/s"
    accepted = bool(q >= k)
    verdict = "accept: Q >= k" if accepted else "reject: Q < k"
    reason = f"{label} = {q:.4g}, k = {k:.4g}; {verdict}"
    return LotJudgement(
        n=n,
        mean=mean,
        s=s,
        limit=limit,
        specification=limit_value,
        q=float(q),
        k=k,
        accepted=accepted,
        estimated_percent_nonconforming=estimated_percent_nonconforming(q, n),
        reason=reason,
    )


def _fraction(value: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
        raise SpcInputError(f"{name}: fraction nonconforming must be in [0, 1]")
    return arr


def variables_oc(n: int, k: float, p: ArrayLike, *, method: str = "exact") -> NDArray[np.float64]:
    """Probability of accepting a lot with fraction nonconforming ``p`` (0-1), s-method.

    ``method="exact"``: sqrt(n) Q is non-central t with n - 1 degrees of freedom and
    non-centrality sqrt(n) z_p, z_p = Phi^-1(1 - p), so P(accept) =
    P(T' >= k sqrt(n)) (the formula of R's AcceptanceSampling ``OCvar``).
    ``method="wallis"``: the normal approximation
    P(accept) = Phi((z_p - k) / sqrt(1/n + k^2 / (2n))) (Wallis 1947; Schilling &
    Neubauer), good for n of about 10 and more.
    """
    nn, kk = _check_n_k(n, k)
    probs = _fraction(p, "p")
    inner = np.clip(probs, 1e-300, 1.0 - 1e-16)
    zp = stats.norm.isf(inner)
    key = str(method).lower()
    if key == "exact":
        root = math.sqrt(nn)
        pa = stats.nct.sf(kk * root, nn - 1, root * zp)
    elif key == "wallis":
        pa = stats.norm.cdf((zp - kk) / np.sqrt(1.0 / nn + kk * kk / (2.0 * nn)))
    else:
        raise SpcInputError(f"method: unknown {method!r}; use 'exact' or 'wallis'")
    pa = np.where(probs == 0.0, 1.0, np.where(probs == 1.0, 0.0, pa))
    return np.asarray(np.clip(pa, 0.0, 1.0), dtype=np.float64)


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpcInputError(f"{name}: must be a number, got {value!r}") from None


def _percent(value: Any, name: str) -> float:
    v = _number(value, name)
    if not 0.0 < v < 100.0:
        raise SpcInputError(
            f"{name}: percent nonconforming must be between 0 and 100, got {value!r}"
        )
    return v / 100.0


def _risk(value: Any, name: str) -> float:
    v = _number(value, name)
    if not 0.0 < v < 1.0:
        raise SpcInputError(f"{name}: must be strictly between 0 and 1, got {value!r}")
    return v


def find_variables_plan(
    aql: float,
    alpha: float,
    ltpd: float,
    beta: float,
    *,
    method: str = "exact",
    max_n: int = 5000,
) -> tuple[int, float]:
    """Design an s-method plan (n, k) through two risk points.

    ``aql`` and ``ltpd`` are percent nonconforming (as the AQL elsewhere in
    qualitas.spc), ``alpha`` the producer's risk at the AQL and ``beta`` the
    consumer's risk at the LTPD (fractions).

    * ``method="exact"`` (default, as R AcceptanceSampling ``find.plan``): the
      smallest n whose k, set so that P(accept | AQL) = 1 - alpha exactly by the
      non-central t, gives P(accept | LTPD) <= beta.  All n up to ``max_n`` are
      evaluated at once (vectorised).
    * ``method="wallis"``: k = (z_p2 z_alpha + z_p1 z_beta) / (z_alpha + z_beta),
      n = ceil((1 + k^2/2) ((z_alpha + z_beta)/(z_p1 - z_p2))^2) (Wallis; Schilling
      & Neubauer; Montgomery).
    """
    p1 = _percent(aql, "aql")
    p2 = _percent(ltpd, "ltpd")
    a = _risk(alpha, "alpha")
    b = _risk(beta, "beta")
    if p2 <= p1:
        raise SpcInputError(f"ltpd: must be larger than the AQL, got {ltpd} <= {aql}")
    if a + b >= 1.0:
        raise SpcInputError("beta: alpha + beta must be below 1 for the risk points to separate")
    z1, z2 = stats.norm.isf(p1), stats.norm.isf(p2)
    za, zb = stats.norm.isf(a), stats.norm.isf(b)
    key = str(method).lower()
    if key == "wallis":
        k = (z2 * za + z1 * zb) / (za + zb)
        n = math.ceil((1.0 + k * k / 2.0) * ((za + zb) / (z1 - z2)) ** 2 - 1e-9)
        return max(n, 2), float(k)
    if key != "exact":
        raise SpcInputError(f"method: unknown {method!r}; use 'exact' or 'wallis'")
    ns = np.arange(2, int(max_n) + 1, dtype=np.float64)
    root = np.sqrt(ns)
    ks = stats.nct.ppf(a, ns - 1.0, root * z1) / root
    pa2 = stats.nct.sf(ks * root, ns - 1.0, root * z2)
    ok = np.flatnonzero(pa2 <= b)
    if ok.size == 0:
        raise SpcInputError(f"max_n: no plan with n <= {max_n} meets both risk points")
    i = int(ok[0])
    return int(ns[i]), float(ks[i])
