"""Probe-level statistics: the percentile bootstrap interval of a mean."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def bootstrap_interval(
    values: ArrayLike, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` over the probe.

    Draws ``n_boot`` resamples of the finite values with replacement (one
    ``(n_boot, n)`` index array, no Python loop), takes each resample's mean
    and returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    Args:
        values: ``(n,)`` per-sample values; NaNs are dropped first.
        n_boot: number of resamples, >= 1.
        level: the interval's coverage, in (0, 1).
        seed: seed of the resampling, so that a figure is reproducible.

    Returns:
        ``(low, high)``; ``(nan, nan)`` when no finite value is left, and
        ``(v, v)`` for a single value.

    Raises:
        ValueError: if ``n_boot`` or ``level`` is out of range.

    Note:
        With few samples (under ~20) the percentile interval is too narrow.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)):
        raise ValueError(f"`n_boot` must be an int >= 1. Received: n_boot={n_boot!r}.")
    if n_boot < 1:
        raise ValueError(f"`n_boot` must be an int >= 1. Received: n_boot={n_boot!r}.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"`level` must be in (0, 1). Received: level={level!r}.")

    finite = np.asarray(values, dtype=np.float64).ravel()
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan"), float("nan")

    rng = np.random.default_rng(seed)
    means = finite[rng.integers(0, finite.size, size=(n_boot, finite.size))].mean(1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)
