"""Live SPC per characteristic: its control chart read from the measurements, limits frozen
in a baseline (phase I) and new points judged against them (phase II), capability over a
window, and the alarm a broken run rule raises.

The chart is chosen from the characteristic: a variable with lots of 2 to 9 values gives
X̄-R, of 10 or more X̄-S, of one value I-MR (Montgomery, Introduction to SQC, 6.3-6.4); an
attribute a p chart of the fraction nonconforming per lot; a defect count a c chart (every
lot inspects the same number of items) or a u chart. A lot is one subgroup (rational
subgrouping: items made together). Every number comes from qualitas.spc; this module only
reads, groups and keeps the frozen limits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from numpy.typing import NDArray

from qualitas import spc
from qualitas.core import audit, notifications, permissions
from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.models import User
from qualitas.inspection import workflows as w
from qualitas.inspection.alarms import page_url
from qualitas.inspection.models import (
    Characteristic,
    CharacteristicKind,
    ChartAlarm,
    ControlBaseline,
    InspectionLot,
    LotCheck,
    Measurement,
    MeasurementBatch,
)
from qualitas.spc.charts import ControlChart
from qualitas.spc.errors import SpcInputError
from qualitas.spc.rules import describe_rule

logger = logging.getLogger(__name__)

XBAR_R, XBAR_S, IMR, P, C, U = "xbar_r", "xbar_s", "imr", "p", "c", "u"
CHART_NAMES = {
    XBAR_R: "X̄-R",
    XBAR_S: "X̄-S",
    IMR: "I-MR",
    P: "p (fraction nonconforming)",
    C: "c (defects per lot)",
    U: "u (defects per unit)",
}
# The longest pattern the Nelson rules look back over (rule 7: 15 points within 1 sigma):
# judging a new point needs no more history than this.
HISTORY = 15
# The rules a new point is judged by (Nelson's eight, the engine's default).
RULES = "nelson"
# A freeze on more values than this is handed to a Celery worker when a broker is set.
HEAVY_VALUES = 200_000
# Alarms the page and the API list, the most recent first.
MAX_ALARMS = 200
FREEZE_TASK = "qualitas.inspection.freeze_baseline"

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Series:
    """A characteristic's data grouped into subgroups (one per lot, in the order measured)."""

    chart_type: str
    lots: NDArray[np.int64]  # the lot of each point
    data: FloatArray  # variables: (points x n) NaN-padded, or 1-D for I-MR
    counts: FloatArray  # attributes: nonconforming items or defects per point
    sizes: FloatArray  # items per point
    values: int  # measurements read

    @property
    def points(self) -> int:
        return int(self.lots.shape[0])

    @property
    def subgroup_size(self) -> int:
        if self.sizes.size == 0:
            return 0
        return int(np.bincount(self.sizes.astype(np.int64)).argmax())

    def head(self, points: int) -> Series:
        """The first `points` subgroups (what a baseline is frozen from)."""
        return Series(
            self.chart_type,
            self.lots[:points],
            self.data[:points],
            self.counts[:points],
            self.sizes[:points],
            self.values,
        )


def variable_type(subgroup_size: int) -> str:
    """X̄-R for subgroups of 2 to 9, X̄-S from 10 (the range wastes information in larger
    subgroups: Montgomery 6.3), I-MR for one value a lot."""
    if subgroup_size <= 1:
        return IMR
    return XBAR_R if subgroup_size < 10 else XBAR_S


def _groups(lots: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """Each row's subgroup index, subgroups numbered in the order their lot first appears."""
    unique, first, inverse = np.unique(lots, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return unique[order], rank[inverse.ravel()]


def read_series(
    characteristic: Characteristic,
    *,
    lot_ids: list[int] | None = None,
    chart_type: str | None = None,
) -> Series:
    """ONE query of the characteristic's measurements, ordered as they were measured, grouped
    per lot. `chart_type` forces the chart (a baseline's); `lot_ids` narrows to those lots."""
    found = Measurement.objects.filter(characteristic=characteristic)
    if lot_ids is not None:
        found = found.filter(lot_id__in=lot_ids)
    found = found.order_by("measured_at", "lot_id", "sample_no")
    empty = np.empty(0)
    if characteristic.kind == CharacteristicKind.VARIABLE:
        rows = list(found.filter(value__isnull=False).values_list("lot_id", "value"))
        if not rows:
            return Series(chart_type or IMR, np.empty(0, np.int64), empty, empty, empty, 0)
        table = np.array(rows, dtype=np.float64)
        lots = table[:, 0].astype(np.int64)
        values = table[:, 1]
        group_lots, group = _groups(lots)
        sizes = np.bincount(group).astype(np.float64)
        kind = chart_type or variable_type(int(np.bincount(sizes.astype(np.int64)).argmax()))
        if kind == IMR:
            # Each value is a point, in measured order: the lot is kept for each.
            return Series(kind, lots, values, empty, np.ones(values.shape[0]), len(rows))
        order = np.argsort(group, kind="stable")
        g_sorted = group[order]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.intp)
        within = np.arange(g_sorted.shape[0]) - starts[g_sorted]
        data = np.full((group_lots.shape[0], int(sizes.max())), np.nan)
        data[g_sorted, within] = values[order]
        # A lot with a single value has no range: it cannot be a subgroup of X̄-R/S.
        keep = sizes >= 2
        return Series(kind, group_lots[keep], data[keep], empty, sizes[keep], len(rows))
    if characteristic.kind == CharacteristicKind.ATTRIBUTE:
        rows = list(found.values_list("lot_id", "conforming"))
        counted = [(lot, 0.0 if ok else 1.0) for lot, ok in rows]
        kind = P
    else:
        rows = list(found.filter(defects__isnull=False).values_list("lot_id", "defects"))
        counted = [(lot, float(d or 0)) for lot, d in rows]
        kind = ""
    if not counted:
        return Series(chart_type or (kind or C), np.empty(0, np.int64), empty, empty, empty, 0)
    table = np.array(counted, dtype=np.float64)
    group_lots, group = _groups(table[:, 0].astype(np.int64))
    sizes = np.bincount(group).astype(np.float64)
    counts = np.bincount(group, weights=table[:, 1]).astype(np.float64)
    if not kind:
        kind = C if np.all(sizes == sizes[0]) else U
    return Series(chart_type or kind, group_lots, empty, counts, sizes, len(rows))


def compute(
    series: Series, *, center: float | None = None, sigma: float | None = None
) -> list[ControlChart]:
    """The engine's chart(s) for the series: trial limits from the data, or the frozen ones
    when the baseline's centre (and sigma) are given."""
    kind = series.chart_type
    if kind == XBAR_R:
        return list(spc.xbar_r(series.data, center=center, sigma=sigma, rules=RULES))
    if kind == XBAR_S:
        return list(spc.xbar_s(series.data, center=center, sigma=sigma, rules=RULES))
    if kind == IMR:
        return list(spc.individuals_mr(series.data, center=center, sigma=sigma, rules=RULES))
    if kind == P:
        return [spc.p_chart(series.counts, series.sizes, center=center, rules=RULES)]
    if kind == C:
        return [spc.c_chart(series.counts, center=center, rules=RULES)]
    return [spc.u_chart(series.counts, series.sizes, center=center, rules=RULES)]


def _center(chart: ControlChart) -> float:
    return float(np.ravel(chart.center)[0])


def current_baseline(characteristic: Characteristic) -> ControlBaseline | None:
    return (
        ControlBaseline.objects.filter(characteristic=characteristic, is_current=True)
        .select_related("frozen_by")
        .first()
    )


def _known(baseline: ControlBaseline | None) -> dict[str, float | None]:
    if baseline is None:
        return {}
    if baseline.chart_type in (XBAR_R, XBAR_S, IMR):
        return {"center": baseline.mean, "sigma": baseline.sigma}
    return {"center": baseline.mean}


# ----------------------------------------------------------------------------- the chart


def _plain(values: Any) -> list[Any]:
    arr = np.asarray(values, dtype=np.float64)
    out: list[Any] = arr.tolist()
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    return out


def _limit(values: FloatArray) -> float | list[Any]:
    """One number where the limit is the same for every point (one subgroup size, frozen
    or trial), else one per point."""
    if values.size and (values.strides == (0,) or bool(np.all(values == values[0]))):
        return float(values[0])
    return _plain(values)


def _window_dict(chart: ControlChart, start: int) -> dict[str, Any]:
    """The chart's points from `start` on, in plain JSON (rule indices shifted to match)."""
    center: float | list[Any] = (
        float(chart.center)
        if np.ndim(chart.center) == 0
        else _plain(np.asarray(chart.center)[start:])
    )
    return {
        "kind": chart.kind,
        "statistic": _plain(chart.statistic[start:]),
        "center": center,
        "lcl": _limit(chart.lcl[start:]),
        "ucl": _limit(chart.ucl[start:]),
        "sigma": float(chart.sigma),
        "violations": {
            rule: [int(i) - start for i in points[points >= start].tolist()]
            for rule, points in chart.violations.items()
            if points.size
        },
    }


def _lot_labels(characteristic: Characteristic, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    lots = InspectionLot.objects.all()
    # A long window: all the characteristic's lots in one query rather than a huge IN list.
    if len(ids) > 900:
        lots = lots.filter(checks__characteristic=characteristic)
    else:
        lots = lots.filter(pk__in=ids)
    return {
        pk: {"id": pk, "number": number, "lot_number": lot_number}
        for pk, number, lot_number in lots.values_list("pk", "number", "lot_number")
    }


def chart_data(characteristic: Characteristic, *, window: int | None = None) -> dict[str, Any]:
    """What the page and the API show: the chart (the last `window` points), its limits
    (frozen or trial), the points that break a rule, and capability over the same window."""
    baseline = current_baseline(characteristic)
    series = read_series(characteristic, chart_type=baseline.chart_type if baseline else None)
    result: dict[str, Any] = {
        "characteristic": {
            "id": characteristic.pk,
            "number": characteristic.number,
            "name": characteristic.name,
            "kind": characteristic.kind,
            "lsl": characteristic.lsl,
            "usl": characteristic.usl,
            "unit": characteristic.unit,
        },
        "chart_type": series.chart_type,
        "chart_name": CHART_NAMES.get(series.chart_type, series.chart_type),
        "subgroup_size": series.subgroup_size,
        "values": series.values,
        "total_points": series.points,
        "window": window,
        "preliminary": baseline is None,
        "baseline": _baseline_dict(baseline),
        "charts": [],
        "points": [],
        "alarms": [],
        "capability": None,
        "error": "",
    }
    try:
        charts = compute(series, **_known(baseline))
    except SpcInputError as exc:
        result["error"] = str(exc)
        return result
    start = max(0, series.points - window) if window else 0
    result["charts"] = [_window_dict(chart, start) for chart in charts]
    alarms = _alarms(charts, start)
    labels = _lot_labels(characteristic, {int(x) for x in series.lots[start:]})
    result["points"] = [labels.get(int(x), {"id": int(x)}) for x in series.lots[start:]]
    for alarm in alarms:
        alarm["lot"] = result["points"][alarm["point"]]
    result["alarms"] = alarms
    result["capability"] = _capability(characteristic, series, start)
    return result


def _alarms(charts: list[ControlChart], start: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for chart in charts:
        for rule, points in chart.violations.items():
            for i in points[points >= start].tolist():
                found.append(
                    {
                        "chart": chart.kind,
                        "rule": rule,
                        "description": describe_rule(rule, chart.run_length),
                        "point": int(i) - start,
                        "value": float(chart.statistic[i]),
                    }
                )
    found.sort(key=lambda a: (-a["point"], a["chart"], a["rule"]))
    return found[:MAX_ALARMS]


def _capability(
    characteristic: Characteristic, series: Series, start: int
) -> dict[str, Any] | None:
    """Cp/Cpk (within) and Pp/Ppk (overall) of the window's values against the drawing's
    limits; None for attributes and for a characteristic without a specification."""
    if characteristic.kind != CharacteristicKind.VARIABLE:
        return None
    if characteristic.lsl is None and characteristic.usl is None:
        return None
    data = series.data[start:]
    try:
        found = spc.capability(data, lsl=characteristic.lsl, usl=characteristic.usl)
    except SpcInputError as exc:
        return {"error": str(exc)}
    out: dict[str, Any] = found.to_dict()
    return out


def _baseline_dict(baseline: ControlBaseline | None) -> dict[str, Any] | None:
    if baseline is None:
        return None
    return {
        "id": baseline.pk,
        "chart_type": baseline.chart_type,
        "subgroup_size": baseline.subgroup_size,
        "mean": baseline.mean,
        "sigma": baseline.sigma,
        "limits": baseline.limits,
        "points": baseline.points,
        "reason": baseline.reason,
        "frozen_by": baseline.frozen_by.get_full_name() or baseline.frozen_by.username,
        "frozen_at": baseline.frozen_at.isoformat(),
    }


# ----------------------------------------------------------------------------- baseline


@audit.service
def freeze_baseline(
    characteristic: Characteristic, *, actor: User, reason: str, points: int | None = None
) -> ControlBaseline:
    """Freeze the limits of the first `points` subgroups (all so far without it): new points
    are judged against them until someone recalculates (freezes again), with a reason."""
    permissions.require(actor, w.PLAN)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput.for_field("reason", "Say why the limits are frozen or recalculated.")
    if points is not None and points < 2:
        raise InvalidInput.for_field("points", "A baseline needs at least 2 subgroups.")
    series = read_series(characteristic)
    if points is not None:
        if points > series.points:
            raise InvalidInput.for_field(
                "points", f"There are only {series.points} subgroups so far."
            )
        series = series.head(points)
    try:
        charts = compute(series)
    except SpcInputError as exc:
        raise InvalidInput.for_field("points", str(exc)) from None
    limits = {
        chart.kind: {
            "center": _center(chart),
            "lcl": float(chart.lcl[0]),
            "ucl": float(chart.ucl[0]),
        }
        for chart in charts
    }
    ControlBaseline.objects.filter(characteristic=characteristic, is_current=True).update(
        is_current=False
    )
    return ControlBaseline.objects.create(
        characteristic=characteristic,
        chart_type=series.chart_type,
        subgroup_size=max(series.subgroup_size, 1),
        limits=limits,
        mean=_center(charts[0]),
        sigma=float(charts[0].sigma),
        points=series.points,
        frozen_by=actor,
        reason=reason[:300],
    )


def request_freeze(
    characteristic: Characteristic, *, actor: User, reason: str, points: int | None = None
) -> ControlBaseline | None:
    """Freeze now, or, for a long history when a Celery broker is configured, queue it (the
    result is then None: the page shows the new baseline once the worker has frozen it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or _values(characteristic) <= HEAVY_VALUES:
        return freeze_baseline(characteristic, actor=actor, reason=reason, points=points)
    permissions.require(actor, w.PLAN)
    if not (reason or "").strip():
        raise InvalidInput.for_field("reason", "Say why the limits are frozen or recalculated.")
    from qualitas.celery import app

    args = [characteristic.pk, actor.pk, reason, points]
    transaction.on_commit(lambda: app.send_task(FREEZE_TASK, args=args))
    return None


def _values(characteristic: Characteristic) -> int:
    return Measurement.objects.filter(characteristic=characteristic).count()


def freeze_from_task(characteristic_id: int, actor_id: int, reason: str, points: int | None) -> int:
    """The worker's side of request_freeze (registered by the module's tasks)."""
    characteristic = Characteristic.objects.get(pk=characteristic_id)
    actor = User.objects.get(pk=actor_id)
    return freeze_baseline(characteristic, actor=actor, reason=reason, points=points).pk


# ----------------------------------------------------------------------------- new points


def after_batch(batch: MeasurementBatch) -> list[dict[str, Any]]:
    """Judge the batch's lot, for each variable characteristic it measured that has a frozen
    baseline, against the baseline with the run rules; a newly broken rule is recorded as a
    ChartAlarm to work (alarms.py), tells the characteristic's owner and, where configured,
    raises one nonconformance. Returns the alarms raised."""
    measured = set(
        Measurement.objects.filter(batch=batch).values_list("characteristic_id", flat=True)
    )
    if not measured:
        return []
    baselines = ControlBaseline.objects.filter(
        is_current=True,
        characteristic_id__in=measured,
        characteristic__kind=CharacteristicKind.VARIABLE,
    ).select_related("characteristic__owner", "characteristic__revision__part")
    lot = InspectionLot.objects.get(pk=batch.lot_id)
    raised: list[dict[str, Any]] = []
    with audit.context(actor=batch.created_by, reason="Control chart judged the new points"):
        for baseline in baselines:
            raised.extend(_judge_lot(baseline, lot, batch))
    return raised


def _judge_lot(
    baseline: ControlBaseline, lot: InspectionLot, batch: MeasurementBatch
) -> list[dict[str, Any]]:
    characteristic = baseline.characteristic
    # Only the history the rules look back over: the lots before this one, at most HISTORY.
    before = list(
        LotCheck.objects.filter(characteristic=characteristic, measured__gt=0, lot_id__lt=lot.pk)
        .order_by("-lot_id")
        .values_list("lot_id", flat=True)[:HISTORY]
    )
    series = read_series(characteristic, lot_ids=[*before, lot.pk], chart_type=baseline.chart_type)
    if series.points == 0:
        return []
    try:
        charts = compute(series, **_known(baseline))
    except SpcInputError:
        return []
    new = np.flatnonzero(series.lots == lot.pk)
    alarms = []
    for chart in charts:
        for rule, flagged in chart.violations.items():
            hits = np.intersect1d(flagged, new)
            for i in hits.tolist():
                # A pattern that holds on is one alarm, raised where it starts; a point
                # beyond a limit is an alarm of its own.
                if rule not in ("nelson1", "we1") and (i - 1) in flagged:
                    continue
                offset = int(i - new[0])
                # The claim keeps alarms told before they became records from coming back;
                # ChartAlarm's unique constraint on the same key backs it in the database.
                key = f"inspection-spc:{baseline.pk}:{lot.pk}:{chart.kind}:{rule}:{offset}"
                if not notifications.once(key):
                    continue
                alarms.append(_alarm(baseline, lot, batch, chart, rule, int(i), offset))
    return alarms


def _alarm(
    baseline: ControlBaseline,
    lot: InspectionLot,
    batch: MeasurementBatch,
    chart: ControlChart,
    rule: str,
    point: int,
    offset: int,
) -> dict[str, Any]:
    """Record the alarm for the reaction plan, raise its NC where configured and tell the
    characteristic's owner, in the batch's unit of work."""
    from qualitas.inspection import services

    characteristic = baseline.characteristic
    part = characteristic.revision.part
    what = describe_rule(rule, chart.run_length)
    value = float(chart.statistic[point])
    title = f"SPC alarm on {part.number} {characteristic.number} {characteristic.name}"
    body = (
        f"Lot {lot.lot_number} ({lot.number}): {chart.kind} {value:.6g} breaks {rule} "
        f"({what}) against the limits frozen on {baseline.frozen_at:%Y-%m-%d}."
    )
    alarm: dict[str, Any] = {
        "characteristic": characteristic.pk,
        "lot": lot.number,
        "chart": chart.kind,
        "rule": rule,
        "description": what,
        "value": value,
        "nonconformance": None,
    }
    if characteristic.nc_on_alarm:
        from qualitas.nonconformance import services as nonconformance

        fields = {
            "title": title,
            "source": services.NC_SOURCE.get(lot.stage, "in_process"),
            "part_number": part.number,
            "part_revision": characteristic.revision.revision,
            "lot_number": lot.lot_number,
            "severity": characteristic.char_class,
            "requirement": f"{characteristic.number} {characteristic.name}: statistical control",
            "finding": body,
            "site": lot.site,
            "department": lot.department,
        }
        # Raised by whoever recorded the batch; an owner who may raise NCs when they may not.
        for actor in (batch.created_by, characteristic.owner):
            if actor is None:
                continue
            try:
                with audit.context(actor=actor, reason=what), transaction.atomic():
                    nc = nonconformance.raise_nonconformance(actor=actor, **fields)
            except QualitasError:
                continue
            alarm["nonconformance"] = nc.number
            break
        else:
            logger.warning("SPC alarm on %s: no one could raise its NC", characteristic.pk)
    record = ChartAlarm.objects.create(
        characteristic=characteristic,
        baseline=baseline,
        lot=lot,
        batch=batch,
        chart=chart.kind,
        rule=rule,
        description=what,
        point=offset,
        value=value,
        nonconformance_number=alarm["nonconformance"] or "",
    )
    alarm["id"] = record.pk
    if characteristic.owner is not None:
        url = page_url(record)
        notifications.notify(characteristic.owner, title=title, body=body, url=url, email=True)
    return alarm


__all__ = [
    "CHART_NAMES",
    "after_batch",
    "chart_data",
    "compute",
    "current_baseline",
    "freeze_baseline",
    "read_series",
    "request_freeze",
    "variable_type",
]
