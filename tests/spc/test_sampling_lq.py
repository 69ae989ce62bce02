"""Limiting quality plans for isolated lots (ISO 2859-2 procedure A's principle): the
smallest sample whose hypergeometric probability of accepting a lot at the LQ is at most β."""

from __future__ import annotations

import pytest
from scipy import stats

from qualitas.spc.errors import SpcInputError
from qualitas.spc.sampling import lq_plan


@pytest.mark.parametrize(("lot", "lq", "ac"), [(100, 5, 0), (1000, 1.25, 0), (1000, 1.25, 1)])
def test_the_smallest_sample_that_holds_the_consumers_risk(lot: int, lq: float, ac: int) -> None:
    n, c = lq_plan(lot, lq, ac=ac)

    defectives = round(lq / 100 * lot)
    assert c == ac
    assert stats.hypergeom.cdf(ac, lot, defectives, n) <= 0.10
    assert stats.hypergeom.cdf(ac, lot, defectives, n - 1) > 0.10


def test_ac_zero_has_its_closed_form() -> None:
    """With Ac = 0, Pa = C(N - D, n) / C(N, n) = prod (N - D - i) / (N - i), i < n."""
    n, _ = lq_plan(200, 5)
    pa = 1.0
    for i in range(n):
        pa *= (200 - 10 - i) / (200 - i)
    assert pa <= 0.10 < pa * (200 - (n - 1)) / (200 - 10 - (n - 1))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0, 5), {}, "lot_size"),
        ((100, 0), {}, "lq"),
        ((100, 5), {"beta": 1.0}, "beta"),
        ((100, 5), {"ac": -1}, "ac"),
        ((20, 5), {"ac": 1}, "always accepted"),
    ],
)
def test_bad_input_names_the_argument(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(SpcInputError, match=message):
        lq_plan(*args, **kwargs)
