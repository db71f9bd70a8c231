"""Comparing attribution maps: rank correlation and top-k overlap.

These serve three checks: randomisation (the map now against the first written
step, or against a re-initialised model), stability (against the previous
written step) and agreement (between methods). All three compare magnitudes
``|a|``, so that signed and unsigned methods compare alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from tb_explain.quality import _arrays


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n per row of ``(batch, n)``, ties sharing their average rank."""
    n = values.shape[1]
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    positions = np.broadcast_to(np.arange(n), values.shape)

    # A tie group spans [first, last] in sorted order; every member gets the
    # mean of the 1-based ranks first+1 .. last+1.
    changes = ordered[:, 1:] != ordered[:, :-1]
    starts = np.concatenate([np.ones((len(values), 1), bool), changes], axis=1)
    ends = np.concatenate([changes, np.ones((len(values), 1), bool)], axis=1)
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, positions, n)[:, ::-1], axis=1)
    mean_rank = (first + last[:, ::-1]) / 2.0 + 1.0

    ranks = np.empty(values.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, mean_rank, axis=1)
    return ranks


def rank_correlation(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Spearman rank correlation per sample over the flattened features.

    rho = Pearson correlation of the ranks of ``a`` and of ``b`` within each
    sample, ties given their average rank (as ``scipy.stats.spearmanr``).

    Args:
        a: ``(batch, ...)`` attributions (or any per-feature scores).
        b: ``(batch, ...)`` with the shape of ``a``.

    Returns:
        ``(batch,)`` float64 in [-1, 1].

    Raises:
        ValueError: if the shapes differ or a sample has fewer than 2 features.

    Note:
        A sample whose map is constant (all zeros, say) or holds NaN or Inf
        has no ranking: its value is NaN, which probe-level figures drop.
    """
    a = _arrays.flatten(_arrays.as_batch_array(a, "a"))
    b = _arrays.flatten(_arrays.as_batch_array(b, "b"))
    _arrays.check_same_shape(a, b, ("a", "b"))
    if a.shape[1] < 2:
        raise ValueError(
            "`a` and `b` need at least 2 features per sample to rank. "
            f"Received: shape {a.shape}."
        )
    # A map with NaN or Inf has no ranking: NaN, as for a constant map.
    finite = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    a, b = np.where(finite[:, None], a, 0.0), np.where(finite[:, None], b, 0.0)
    ranks_a = _average_ranks(a)
    ranks_b = _average_ranks(b)
    ranks_a -= ranks_a.mean(axis=1, keepdims=True)
    ranks_b -= ranks_b.mean(axis=1, keepdims=True)
    covariance = (ranks_a * ranks_b).sum(axis=1)
    scale = np.sqrt((ranks_a**2).sum(axis=1) * (ranks_b**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(scale > 0, covariance / np.where(scale > 0, scale, 1), np.nan)
    return np.clip(np.where(finite, rho, np.nan), -1.0, 1.0)


def top_k_overlap(a: ArrayLike, b: ArrayLike, k: int) -> np.ndarray:
    """Fraction of the top-k features by ``|a|`` that are also top-k by ``|b|``.

    overlap = |top_k(|a|) ∩ top_k(|b|)| / k, per sample.

    Args:
        a: ``(batch, ...)`` attributions.
        b: ``(batch, ...)`` with the shape of ``a``.
        k: how many features, ``1 <= k <= n_features``.

    Returns:
        ``(batch,)`` float64 in [0, 1]; NaN where a map is constant or not
        finite (it has no top k).

    Raises:
        ValueError: if the shapes differ or ``k`` is out of range.

    Note:
        Ties at the k-th place are broken by position, not averaged.
    """
    a = np.abs(_arrays.flatten(_arrays.as_batch_array(a, "a")))
    b = np.abs(_arrays.flatten(_arrays.as_batch_array(b, "b")))
    _arrays.check_same_shape(a, b, ("a", "b"))
    n = a.shape[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(
            f"`k` must be an int in [1, {n}] (the number of features). "
            f"Received: k={k!r}."
        )
    overlap = (_top_mask(a, k) & _top_mask(b, k)).sum(axis=1) / k
    # A constant map (or one with NaN) has no top k: its order is positional.
    ranked = _has_ranking(a) & _has_ranking(b)
    return np.where(ranked, overlap, np.nan)


def _has_ranking(magnitudes: np.ndarray) -> np.ndarray:
    finite = np.isfinite(magnitudes).all(axis=1)
    with np.errstate(invalid="ignore"):
        spread = np.ptp(np.where(finite[:, None], magnitudes, 0.0), axis=1) > 0
    return finite & spread


def _top_mask(magnitudes: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-magnitudes, axis=1, kind="stable")[:, :k]
    mask = np.zeros(magnitudes.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def randomisation(
    attributions_now: ArrayLike, attributions_reference: ArrayLike
) -> np.ndarray:
    """The randomisation sanity check (Adebayo et al., 2018), per sample.

    value = Spearman rank correlation of ``|a_now|`` and ``|a_reference|``,
    the reference being the explanation at the first written step or of a
    re-initialised copy of the model (:func:`reinitialised_copy`). A map that
    barely changes when the weights are random does not explain what the model
    learnt. Rule: pass <= 0.5, warn up to 0.8, fail above 0.8.

    Args:
        attributions_now: ``(batch, ...)`` from the current model.
        attributions_reference: ``(batch, ...)``, same shape, same probe.

    Returns:
        ``(batch,)`` float64 in [-1, 1] (NaN where a map is constant).
    """
    return rank_correlation(
        _arrays.magnitude_map(_arrays.as_batch_array(attributions_now, "a_now")),
        _arrays.magnitude_map(
            _arrays.as_batch_array(attributions_reference, "a_reference")
        ),
    )


def stability(
    attributions_now: ArrayLike, attributions_previous: ArrayLike
) -> np.ndarray:
    """Stability over training, per sample: informative, warns below 0.5.

    value = Spearman rank correlation of ``|a_now|`` and ``|a_previous|``, the
    explanation of the same sample at the previous written step.

    Args:
        attributions_now: ``(batch, ...)`` at the current step.
        attributions_previous: ``(batch, ...)``, same shape, same probe.

    Returns:
        ``(batch,)`` float64 in [-1, 1] (NaN where a map is constant).
    """
    return randomisation(attributions_now, attributions_previous)


def agreement(
    attributions: Mapping[str, ArrayLike], k: int | None = None
) -> dict[str, np.ndarray]:
    """Agreement between every pair of methods, per sample.

    For each pair ``(m1, m2)`` in the order given: the Spearman rank
    correlation of their magnitude maps and the top-k overlap. Rank-4 maps
    ``(batch, height, width, channels)`` are first summed over channels (of
    ``|a|``) so that they compare with Grad-CAM's ``(batch, height, width)``.

    Args:
        attributions: method name -> ``(batch, ...)`` attributions.
        k: units in the top-k overlap; None: 10% of the units, at least 1.

    Returns:
        ``{"agreement/m1~m2": (batch,), "agreement_top_k/m1~m2": (batch,)}``
        for every pair; empty for fewer than two methods.

    Raises:
        ValueError: if two maps do not reduce to the same shape.
    """
    maps = {
        method: _arrays.magnitude_map(_arrays.as_batch_array(value, method))
        for method, value in attributions.items()
    }
    results: dict[str, np.ndarray] = {}
    for (m1, a1), (m2, a2) in itertools.combinations(maps.items(), 2):
        _arrays.check_same_shape(a1, a2, (m1, m2))
        k_pair = max(1, round(0.1 * a1.shape[1])) if k is None else k
        results[f"agreement/{m1}~{m2}"] = rank_correlation(a1, a2)
        results[f"agreement_top_k/{m1}~{m2}"] = top_k_overlap(a1, a2, k_pair)
    return results
