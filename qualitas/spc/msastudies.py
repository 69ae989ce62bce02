"""Measurement system studies besides Gage R&R: attribute agreement, bias and linearity, type 1.

* ``attribute_agreement`` (AIAG MSA 4th ed. III-C; Minitab Attribute Agreement Analysis):
  percent agreement with exact Clopper-Pearson intervals; Fleiss' kappa (Fleiss 1971,
  Psychol. Bull. 76:378) with the null standard errors of Fleiss, Nee and Landis (1979,
  Psychol. Bull. 86:974) as Minitab and R irr::kappam.fleiss; optionally Cohen's kappa
  with the null standard error of Fleiss, Cohen and Everitt (1969), as SAS PROC FREQ.
  An appraiser (or all) against the standard is the average over trials of the two-rater
  kappa between one trial and the standard (Minitab); with one trial, that kappa.
* ``bias_linearity`` (AIAG MSA 4th ed. III-B): least squares of every bias on its
  reference; per-reference bias t = |bias| / (s / sqrt(n)), n - 1 df. %linearity =
  100 |slope|, %bias = 100 |bias| / process variation, as Minitab.
* ``type1`` (Bosch booklet 10, VDA 5, Minitab): Cg = (K/100 Tol)/(L s),
  Cgk = (K/200 Tol - |bias|)/(L/2 s), %Var = K/Cg and K/Cgk; bias t test, n - 1 df.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from qualitas.spc.errors import SpcInputError

__all__ = [
    "AgreementRow",
    "AttributeAgreement",
    "BiasLinearity",
    "BiasRow",
    "KappaRow",
    "RegressionCoef",
    "Type1Study",
    "attribute_agreement",
    "bias_linearity",
    "type1",
]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, int | float) and 0.0 < confidence < 1.0):
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(confidence)


@dataclass(frozen=True)
class AgreementRow:
    """Parts on which the ratings agree, with an exact binomial interval (in percent)."""

    appraiser: str | None
    inspected: int
    matched: int
    percent: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class KappaRow:
    """Kappa for one response (category); ``response`` None is the overall kappa.

    ``p`` is one-sided, P(kappa > 0) rejected, as Minitab's "P(vs > 0)". Values are
    None where kappa is undefined (a response nobody used, or only one response used).
    """

    response: str | None
    kappa: float | None
    se: float | None
    z: float | None
    p: float | None


@dataclass(frozen=True)
class AttributeAgreement:
    """Result of an attribute agreement study (Minitab's session tables).

    ``within*`` are empty with one trial; ``vs_standard*`` and ``all_vs_standard*`` are
    empty / None without a standard; ``cohen_*`` are filled only with ``cohen=True`` and
    where Cohen's kappa applies (two trials, two appraisers with one trial, a standard).
    """

    appraisers: tuple[str, ...]
    parts: int
    trials: int
    categories: tuple[str, ...]
    confidence: float
    within: dict[str, AgreementRow]
    within_kappa: dict[str, list[KappaRow]]
    vs_standard: dict[str, AgreementRow]
    vs_standard_kappa: dict[str, list[KappaRow]]
    between: AgreementRow
    between_kappa: list[KappaRow]
    all_vs_standard: AgreementRow | None
    all_vs_standard_kappa: list[KappaRow]
    cohen_within: dict[str, list[KappaRow]] = field(default_factory=dict)
    cohen_between: list[KappaRow] = field(default_factory=list)
    cohen_vs_standard: dict[str, list[KappaRow]] = field(default_factory=dict)
    cohen_all_vs_standard: list[KappaRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (``asdict`` converts the nested rows)."""
        out = asdict(self)
        out["appraisers"], out["categories"] = list(self.appraisers), list(self.categories)
        return out


def _label_array(values: Any, name: str) -> NDArray[np.str_]:
    """Labels as strings; numbers that are whole print without ".0" (1.0 -> "1")."""
    ragged = f"{name}: every appraiser must rate every part the same number of times"
    missing = f"{name}: a rating is missing; every rating must be given"
    try:
        arr = np.asarray(values)
    except ValueError:
        raise SpcInputError(ragged) from None
    if arr.size == 0:
        raise SpcInputError(f"{name}: no ratings given")
    if arr.dtype == object:
        kind = np.frompyfunc(
            lambda v: (
                2 * isinstance(v, list | tuple | np.ndarray)
                or v is None
                or (isinstance(v, float) and v != v)
                or v == ""
            ),
            1,
            1,
        )(arr).astype(int)
        if kind.any():
            raise SpcInputError(ragged if kind.max() == 2 else missing)
    elif arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise SpcInputError(missing)
        if np.all(np.isfinite(arr) & (arr == np.round(arr))):
            return arr.astype(np.int64).astype(str)
    out = arr.astype(str)
    if np.any(out == ""):
        raise SpcInputError(missing)
    return out


def _encode(
    ratings: NDArray[np.str_], standard: NDArray[np.str_] | None
) -> tuple[IntArray, IntArray | None, tuple[str, ...]]:
    pool = ratings.ravel() if standard is None else np.concatenate([ratings.ravel(), standard])
    cats, inverse = np.unique(pool, return_inverse=True)
    try:  # numeric labels in numeric order (-2, -1, 0, 1, 2), not text order
        order = np.argsort(cats.astype(np.float64), kind="stable")
    except ValueError:
        order = np.arange(cats.shape[0])
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    codes = rank[inverse.ravel()]
    n = ratings.size
    std_codes = None if standard is None else codes[n:]
    return codes[:n].reshape(ratings.shape), std_codes, tuple(str(c) for c in cats[order])


def _clopper_pearson(x: int, n: int, confidence: float) -> tuple[float, float]:
    """Exact binomial interval in percent (Clopper and Pearson 1934), as Minitab prints it:
    when all or none of the parts match, the one bound that exists takes the whole
    alpha (15 of 15 gives 81.90 = 0.05^(1/15), not 0.025^(1/15))."""
    alpha = 1.0 - confidence
    if x == n:
        return 100.0 * alpha ** (1.0 / n), 100.0
    if x == 0:
        return 0.0, 100.0 * (1.0 - alpha ** (1.0 / n))
    lo = float(stats.beta.ppf(alpha / 2.0, x, n - x + 1))
    hi = float(stats.beta.ppf(1.0 - alpha / 2.0, x + 1, n - x))
    return 100.0 * lo, 100.0 * hi


def _agreement(name: str | None, matched: NDArray[np.bool_], confidence: float) -> AgreementRow:
    n, x = int(matched.shape[0]), int(matched.sum())
    lo, hi = _clopper_pearson(x, n, confidence)
    return AgreementRow(name, n, x, 100.0 * x / n, lo, hi)


def _fleiss(counts: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Kappa and its null variance per category (then overall, last) from an n x k count
    table with m raters per subject; NaN marks an undefined kappa (used internally only).
    """
    n = counts.shape[0]
    m = int(counts[0].sum())
    x = counts.astype(np.float64)
    p = x.sum(axis=0) / (n * m)
    pq = p * (1.0 - p)
    nmm = n * m * (m - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa_j = np.where(pq > 0, 1.0 - (x * (m - x)).sum(axis=0) / (nmm * pq), np.nan)
    var_j = np.where(pq > 0, 2.0 / nmm, np.nan)
    spq = float(pq.sum())
    if spq > 0:
        pbar = float(((x * x).sum(axis=1) - m).sum() / (n * m * (m - 1)))
        kappa = (pbar - float(np.sum(p * p))) / spq
        var = 2.0 / (spq**2 * nmm) * (spq**2 - float(np.sum(pq * (1.0 - 2.0 * p))))
    else:
        kappa, var = math.nan, math.nan
    return np.append(kappa_j, kappa), np.append(var_j, var)


def _cohen(u: IntArray, v: IntArray, k: int) -> tuple[FloatArray, FloatArray]:
    """Cohen's kappa and its null variance per category (j against the rest), then overall."""
    n = u.shape[0]

    def one(a: IntArray, b: IntArray, kk: int) -> tuple[float, float]:
        t = np.bincount(a * kk + b, minlength=kk * kk).reshape(kk, kk) / n
        r, c = t.sum(axis=1), t.sum(axis=0)
        pe = float(r @ c)
        if pe >= 1.0:
            return math.nan, math.nan
        kappa = (float(np.trace(t)) - pe) / (1.0 - pe)
        var = (pe + pe**2 - float(np.sum(r * c * (r + c)))) / (n * (1.0 - pe) ** 2)
        return kappa, var

    out = [one((u == j).astype(np.intp), (v == j).astype(np.intp), 2) for j in range(k)]
    out.append(one(u, v, k))
    arr = np.array(out)
    return arr[:, 0], arr[:, 1]


def _rows(kappa: FloatArray, var: FloatArray, cats: tuple[str, ...]) -> list[KappaRow]:
    rows = []
    for label, kap, v in zip((*cats, None), kappa.tolist(), var.tolist(), strict=True):
        if not math.isfinite(kap):
            rows.append(KappaRow(label, None, None, None, None))
            continue
        se = math.sqrt(v) if math.isfinite(v) and v > 0 else None
        z = None if se is None else kap / se
        p = None if z is None else float(stats.norm.sf(z))
        rows.append(KappaRow(label, kap, se, z, p))
    return rows


def _averaged(pairs: list[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    """Average kappas over trials (Minitab): mean kappa, variance sum / count^2."""
    kap = np.array([p[0] for p in pairs])
    var = np.array([p[1] for p in pairs])
    ok = np.isfinite(kap)
    cnt = ok.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(cnt > 0, np.where(ok, kap, 0.0).sum(axis=0) / cnt, np.nan)
        v = np.where(cnt > 0, np.where(ok, var, 0.0).sum(axis=0) / cnt**2, np.nan)
    return mean, v


def attribute_agreement(
    ratings: Any,
    standard: Sequence[Any] | ArrayLike | None = None,
    *,
    appraisers: Sequence[str] | None = None,
    confidence: float = 0.95,
    cohen: bool = False,
) -> AttributeAgreement:
    """Attribute agreement analysis of appraisers x parts x trials ratings (labels).

    ``ratings`` is a mapping appraiser name -> parts x trials labels (or one label per
    part for a single trial), or an array appraisers x parts x trials (x parts for one
    trial) with names in ``appraisers``. ``standard`` holds the known rating of each part.
    """
    confidence = _check_confidence(confidence)
    if isinstance(ratings, Mapping):
        names = [str(k) for k in ratings]
        ratings = [ratings[k] for k in ratings]
        if appraisers is not None:
            raise SpcInputError("appraisers: give names either as mapping keys or here")
    else:
        names = []
    labels = _label_array(ratings, "ratings")
    if labels.ndim == 2:
        labels = labels[:, :, None]
    if labels.ndim != 3:
        raise SpcInputError(
            "ratings must be appraisers x parts x trials (or appraisers x parts), "
            f"got {labels.ndim} dimensions"
        )
    n_app, n_parts, n_trials = labels.shape
    if not names:
        names = (
            [str(a) for a in appraisers]
            if appraisers is not None
            else [str(i + 1) for i in range(n_app)]
        )
    if len(names) != n_app:
        raise SpcInputError(f"appraisers: {len(names)} names given for {n_app} appraisers")
    if len(set(names)) != len(names):
        raise SpcInputError("appraisers: names must be different")
    if n_app < 2:
        raise SpcInputError(f"ratings: an agreement study needs at least 2 appraisers, got {n_app}")
    if n_parts < 2:
        raise SpcInputError(f"ratings: an agreement study needs at least 2 parts, got {n_parts}")
    std_labels = None
    if standard is not None:
        std_labels = _label_array(standard, "standard").ravel()
        if std_labels.shape[0] != n_parts:
            raise SpcInputError(
                f"standard: {std_labels.shape[0]} standard ratings given for {n_parts} parts"
            )
    codes, std, cats = _encode(labels, std_labels)
    k = len(cats)
    onehot = (codes[..., None] == np.arange(k)).astype(np.int64)  # A x P x T x K

    within: dict[str, AgreementRow] = {}
    within_kappa: dict[str, list[KappaRow]] = {}
    cohen_within: dict[str, list[KappaRow]] = {}
    if n_trials >= 2:
        same = np.all(codes == codes[:, :, :1], axis=2)  # A x P
        for a, name in enumerate(names):
            within[name] = _agreement(name, same[a], confidence)
            within_kappa[name] = _rows(*_fleiss(onehot[a].sum(axis=1)), cats)
            if cohen and n_trials == 2:
                cohen_within[name] = _rows(*_cohen(codes[a, :, 0], codes[a, :, 1], k), cats)

    between = _agreement(None, np.all(codes == codes[:1, :, :1], axis=(0, 2)), confidence)
    between_kappa = _rows(*_fleiss(onehot.sum(axis=(0, 2))), cats)
    cohen_between: list[KappaRow] = []
    if cohen and n_app == 2 and n_trials == 1:
        cohen_between = _rows(*_cohen(codes[0, :, 0], codes[1, :, 0], k), cats)

    vs_standard: dict[str, AgreementRow] = {}
    vs_standard_kappa: dict[str, list[KappaRow]] = {}
    cohen_vs: dict[str, list[KappaRow]] = {}
    all_vs: AgreementRow | None = None
    all_vs_kappa: list[KappaRow] = []
    cohen_all: list[KappaRow] = []
    if std is not None:
        std_onehot = (std[:, None] == np.arange(k)).astype(np.int64)
        hits = codes == std[None, :, None]
        fleiss_all, cohen_pairs = [], []
        for a, name in enumerate(names):
            vs_standard[name] = _agreement(name, np.all(hits[a], axis=1), confidence)
            trials = [_fleiss(onehot[a, :, t] + std_onehot) for t in range(n_trials)]
            fleiss_all += trials
            vs_standard_kappa[name] = _rows(*_averaged(trials), cats)
            if cohen:
                pairs = [_cohen(codes[a, :, t], std, k) for t in range(n_trials)]
                cohen_pairs += pairs
                cohen_vs[name] = _rows(*_averaged(pairs), cats)
        all_vs = _agreement(None, np.all(hits, axis=(0, 2)), confidence)
        all_vs_kappa = _rows(*_averaged(fleiss_all), cats)
        if cohen:
            cohen_all = _rows(*_averaged(cohen_pairs), cats)

    return AttributeAgreement(
        *(tuple(names), n_parts, n_trials, cats, confidence, within, within_kappa),
        *(vs_standard, vs_standard_kappa, between, between_kappa, all_vs, all_vs_kappa),
        *(cohen_within, cohen_between, cohen_vs, cohen_all),
    )


def _numbers(values: Any, name: str, minimum: int) -> FloatArray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpcInputError(f"{name} must be numbers") from None
    if x.ndim != 1:
        raise SpcInputError(f"{name} must be a 1-D sequence of numbers")
    bad = ~np.isfinite(x)
    if bad.any():
        raise SpcInputError(
            f"{name}: value {int(np.flatnonzero(bad)[0]) + 1} is missing or infinite"
        )
    if x.shape[0] < minimum:
        raise SpcInputError(f"{name}: at least {minimum} values are needed, got {x.shape[0]}")
    return x


def _positive(value: float, name: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise SpcInputError(f"{name} must be a positive number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class BiasRow:
    """Bias at one reference value (``reference`` None: the average over all values).

    ``t`` = |bias| / (s / sqrt(n)) and ``p`` its two-sided p-value with n - 1 degrees of
    freedom; None when fewer than 2 values or no spread. For the average row ``std_dev``
    is the pooled within-reference standard deviation, with N - g degrees of freedom.
    """

    reference: float | None
    n: int
    bias: float
    pct_bias: float | None
    std_dev: float | None
    t: float | None
    p: float | None


@dataclass(frozen=True)
class RegressionCoef:
    """A least-squares coefficient with standard error, t, two-sided p and interval."""

    estimate: float
    se: float | None
    t: float | None
    p: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class BiasLinearity:
    """Gage linearity and bias study (AIAG MSA 4th ed.; Minitab's tables)."""

    n: int
    confidence: float
    process_variation: float | None
    intercept: RegressionCoef
    slope: RegressionCoef
    s: float
    r_squared: float | None
    linearity: float | None
    pct_linearity: float | None
    average: BiasRow
    biases: list[BiasRow]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        out = asdict(self)
        out["biases"] = [asdict(b) for b in self.biases]
        return out


def _t_row(ref: float | None, n: int, bias: float, sd: float, pv: float | None) -> BiasRow:
    pct = None if pv is None else 100.0 * abs(bias) / pv
    if n < 2:
        return BiasRow(ref, n, bias, pct, None, None, None)
    if sd <= 0:
        return BiasRow(ref, n, bias, pct, sd, None, None)
    t = abs(bias) / (sd / math.sqrt(n))
    return BiasRow(ref, n, bias, pct, sd, t, float(2.0 * stats.t.sf(t, n - 1)))


def _coef(est: float, se: float, df: int, q: float) -> RegressionCoef:
    if se <= 0:
        return RegressionCoef(est, se, None, None, None, None)
    t = est / se
    return RegressionCoef(
        est, se, t, float(2.0 * stats.t.sf(abs(t), df)), est - q * se, est + q * se
    )


def bias_linearity(
    reference: ArrayLike,
    measured: ArrayLike,
    *,
    process_variation: float | None = None,
    confidence: float = 0.95,
) -> BiasLinearity:
    """Linearity (regression of bias on reference) and bias per reference value.

    One row per measurement: the part's ``reference`` (master) value and the ``measured``
    value. ``process_variation`` (6 sigma of the process, e.g. the total study variation
    of a Gage R&R) gives %linearity and %bias.
    """
    confidence = _check_confidence(confidence)
    pv = None if process_variation is None else _positive(process_variation, "process_variation")
    x = _numbers(reference, "reference", 0)
    y = _numbers(measured, "measured", 0)
    if x.shape[0] != y.shape[0]:
        raise SpcInputError(
            f"measured: {y.shape[0]} measurements given for {x.shape[0]} reference values; "
            "give one reference value per measurement"
        )
    if x.shape[0] < 3:
        raise SpcInputError(f"measured: at least 3 measurements are needed, got {x.shape[0]}")
    bias = y - x
    refs, inv = np.unique(x, return_inverse=True)
    if refs.shape[0] < 2:
        raise SpcInputError(
            "reference: a linearity study needs at least 2 different reference values"
        )
    n_all = x.shape[0]
    cnt = np.bincount(inv, minlength=refs.shape[0])
    mean = np.bincount(inv, weights=bias) / cnt
    dev2 = np.bincount(inv, weights=(bias - mean[inv]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.where(cnt > 1, np.sqrt(dev2 / (cnt - 1)), 0.0)
    rows = [
        _t_row(float(r), int(c), float(b), float(s), pv)
        for r, c, b, s in zip(refs, cnt, mean, sd, strict=True)
    ]
    # The average bias is tested against the pooled within-reference standard deviation
    # (differences between references are linearity, not repeatability), with
    # sum(n_i - 1) degrees of freedom.
    df_within = int(np.sum(cnt - 1))
    average = _t_row(None, n_all, float(bias.mean()), 0.0, pv)
    if df_within > 0 and float(dev2.sum()) > 0:
        s_pool = math.sqrt(float(dev2.sum()) / df_within)
        t_avg = abs(average.bias) / (s_pool / math.sqrt(n_all))
        p_avg = float(2.0 * stats.t.sf(t_avg, df_within))
        average = BiasRow(None, n_all, average.bias, average.pct_bias, s_pool, t_avg, p_avg)

    xbar, ybar = float(x.mean()), float(bias.mean())
    sxx = float(np.sum((x - xbar) ** 2))
    slope = float(np.sum((x - xbar) * (bias - ybar))) / sxx
    intercept = ybar - slope * xbar
    sse = float(np.sum((bias - intercept - slope * x) ** 2))
    sst = float(np.sum((bias - ybar) ** 2))
    df = n_all - 2
    s = math.sqrt(sse / df)
    q = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    ci = _coef(intercept, s * math.sqrt(1.0 / n_all + xbar**2 / sxx), df, q)
    cs = _coef(slope, s / math.sqrt(sxx), df, q)
    r2 = None if sst <= 0 else 1.0 - sse / sst
    lin = None if pv is None else abs(slope) * pv
    return BiasLinearity(n_all, confidence, pv, ci, cs, s, r2, lin, 100 * abs(slope), average, rows)


@dataclass(frozen=True)
class Type1Study:
    """Type 1 gauge study: repeatability and bias on one reference part."""

    n: int
    reference: float
    tolerance: float
    k: float
    l: float  # noqa: E741 (the standard's name for the number of standard deviations)
    mean: float
    std_dev: float
    bias: float
    t: float
    p: float
    df: int
    bias_ci: tuple[float, float]
    confidence: float
    study_var: float
    cg: float
    cgk: float
    pct_var_repeatability: float
    pct_var_repeatability_bias: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        out = asdict(self)
        out["bias_ci"] = list(self.bias_ci)
        return out


def type1(
    measurements: ArrayLike,
    reference: float,
    tolerance: float,
    *,
    k: float = 20.0,
    l: float = 6.0,  # noqa: E741
    confidence: float = 0.95,
) -> Type1Study:
    """Cg, Cgk and the bias t test for repeated measurements of one reference part.

    ``k`` is the percentage of the tolerance the gauge may use (20), ``l`` the number of
    standard deviations of the study variation (6; 4 in older Ford/Q-DAS practice).
    %Var (repeatability) = K / Cg and %Var (repeatability and bias) = K / Cgk (None
    when Cgk <= 0). ``t`` is |bias| / (s / sqrt(n)) as Minitab prints it.
    """
    confidence = _check_confidence(confidence)
    x = _numbers(measurements, "measurements", 2)
    if not isinstance(reference, int | float) or not math.isfinite(reference):
        raise SpcInputError(f"reference must be a finite number, got {reference!r}")
    tol = _positive(tolerance, "tolerance")
    kk = _positive(k, "k")
    ll = _positive(l, "l")
    if kk > 100:
        raise SpcInputError(f"k is a percentage of the tolerance and must be at most 100, got {k}")
    n = x.shape[0]
    mean = float(x.mean())
    s = float(x.std(ddof=1))
    # Equal readings: their floating-point mean may differ from them by an ulp, so s comes
    # out ~1e-16 rather than 0; test the readings themselves.
    if s <= 0 or float(np.ptp(x)) == 0.0:
        raise SpcInputError(
            "measurements: all values are equal, so repeatability cannot be estimated "
            "(is the gauge resolution too coarse?)"
        )
    bias = mean - float(reference)
    se = s / math.sqrt(n)
    t = abs(bias) / se
    q = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    cg = (kk / 100.0 * tol) / (ll * s)
    cgk = (kk / 200.0 * tol - abs(bias)) / (ll / 2.0 * s)
    p = float(2.0 * stats.t.sf(t, n - 1))
    ci = (bias - q * se, bias + q * se)
    return Type1Study(
        *(n, float(reference), tol, kk, ll, mean, s, bias, t, p, n - 1, ci, confidence),
        *(ll * s, cg, cgk, kk / cg, kk / cgk if cgk > 0 else None),
    )
