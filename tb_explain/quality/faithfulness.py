"""Faithfulness: completeness of integrated gradients, deletion and insertion.

Deletion and insertion perturb *units* (features, or pixels with all their
channels for ``(batch, height, width, channels)`` images) in descending order
of the signed attribution, in ``n_steps`` steps, and follow the target's
output. Every perturbed input of every step and sample is flattened into one
stream and sent to the model in chunks of ``batch_size``: one model call per
chunk, no Python loop over samples.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from tb_explain.quality import _arrays, _model

logger = logging.getLogger(__name__)

FillName = Literal["zeros", "mean", "blur"]
Mode = Literal["deletion", "insertion"]
_FILL_NAMES = ("zeros", "mean", "blur")


def completeness(
    attributions: ArrayLike,
    output_inputs: ArrayLike,
    output_baselines: ArrayLike,
    eps: float = 1e-6,
) -> np.ndarray:
    """Relative completeness error (delta) of integrated gradients, per sample.

    delta = |sum(a) - (f(x) - f(x'))| / max(|f(x) - f(x')|, eps), the sum over
    every non-batch axis. Rule: pass <= 0.05, warn up to 0.10, fail above.

    Args:
        attributions: ``(batch, ...)`` integrated gradients.
        output_inputs: ``(batch,)`` the target's output on the inputs, f(x).
        output_baselines: ``(batch,)`` the target's output on the baselines.
        eps: floor of the denominator, > 0.

    Returns:
        ``(batch,)`` float64, finite.

    Raises:
        ValueError: if the batch sizes differ or ``eps <= 0``.

    Note:
        When ``|f(x) - f(x')| < eps`` the floor keeps delta finite but large;
        such samples are flagged by :func:`baseline_gap` (the baseline leaves
        nothing to explain), and :func:`evaluate` leaves samples with a gap
        under 0.05 out of the probe-level completeness figure.
    """
    if not eps > 0:
        raise ValueError(f"`eps` must be > 0. Received: eps={eps!r}.")
    totals = _arrays.flatten(_arrays.as_batch_array(attributions, "attributions"))
    gap = _signed_gap(output_inputs, output_baselines)
    if len(gap) != len(totals):
        raise ValueError(
            "`attributions`, `output_inputs` and `output_baselines` must share "
            f"the batch size. Received: {len(totals)} and {len(gap)}."
        )
    return np.abs(totals.sum(axis=1) - gap) / np.maximum(np.abs(gap), eps)


def _signed_gap(output_inputs: ArrayLike, output_baselines: ArrayLike) -> np.ndarray:
    f_x = _arrays.as_batch_array(output_inputs, "output_inputs").ravel()
    f_b = _arrays.as_batch_array(output_baselines, "output_baselines").ravel()
    _arrays.check_same_shape(f_x, f_b, ("output_inputs", "output_baselines"))
    return f_x - f_b


def baseline_gap(output_inputs: ArrayLike, output_baselines: ArrayLike) -> np.ndarray:
    """How much output the baseline leaves to explain, per sample.

    gap = |f(x) - f(x')|. Rule: warn below 0.05 (completeness is then
    meaningless); never fails.

    Args:
        output_inputs: ``(batch,)`` the target's output on the inputs.
        output_baselines: ``(batch,)`` the target's output on the baselines.

    Returns:
        ``(batch,)`` float64, >= 0.
    """
    return np.abs(_signed_gap(output_inputs, output_baselines))


@dataclasses.dataclass(frozen=True)
class PerturbationCurves:
    """Curves of a deletion or insertion test beside a random order.

    Attributes:
        mode: ``"deletion"`` or ``"insertion"``.
        fill: what replaced removed units: ``"baselines"``, ``"zeros"``,
            ``"mean"`` (probe mean per feature) or ``"blur"``.
        fractions: ``(n_steps + 1,)`` fraction of units moved at each step.
        curves: ``(batch, n_steps + 1)`` target output, attribution order.
        auc: ``(batch,)`` trapezoid area of ``curves`` over ``fractions``.
        random_curves: ``(batch, n_steps + 1)`` the same, random order.
        random_auc: ``(batch,)`` area of ``random_curves``.
        gain: ``(batch,)`` in [-1, 1]: (random_auc - auc) for deletion,
            (auc - random_auc) for insertion, over the range the two curves
            span (0 when both are flat). Positive: better than random.

    Example:
        >>> result = deletion(model, x, attributions, targets=y, fill=x0)
        >>> result.gain.mean()  # doctest: +SKIP
    """

    mode: Mode
    fill: str
    fractions: np.ndarray
    curves: np.ndarray
    auc: np.ndarray
    random_curves: np.ndarray
    random_auc: np.ndarray
    gain: np.ndarray


def deletion(
    model: _model.ModelLike,
    inputs: ArrayLike,
    attributions: ArrayLike,
    targets: ArrayLike | int | None = None,
    fill: ArrayLike | FillName | None = None,
    n_steps: int = 16,
    output: int | str | None = None,
    batch_size: int = 512,
    seed: int = 0,
) -> PerturbationCurves:
    """Deletion test: replace the most attributed units by the fill, step by step.

    At step k of K the ``round(k * n / K)`` units with the largest attribution
    (signed; channel-summed per pixel for images) hold the fill and the rest
    the inputs; the curve is the target's output at each step and the area is
    the trapezoid over the fraction removed in [0, 1]. A faithful map makes the
    output fall faster than a random order (seeded), hence a lower area.
    Rule on ``gain``: pass >= 0.05, warn >= -0.05, fail below.

    Args:
        model: a Keras model, or a callable from a float32 tensor to outputs.
        inputs: ``(batch, ...)``; rank 4 is ``(batch, height, width,
            channels)``.
        attributions: ``(batch, ...)`` like ``inputs``, or ``(batch, height,
            width)`` for images (Grad-CAM).
        targets: None (the predicted class), an int, or ints ``(batch,)``.
        fill: an array broadcastable to ``inputs`` (the baselines; stated as
            ``"baselines"``), ``"zeros"`` (also for None), ``"mean"`` or
            ``"blur"`` (images only).
        n_steps: K >= 1, capped at the number of units.
        output: which output of a model with several (index or name).
        batch_size: perturbed inputs per model call.
        seed: seed of the random order.

    Returns:
        A :class:`PerturbationCurves`.

    Raises:
        ValueError: if a shape, ``fill``, ``n_steps``, ``targets`` or
            ``batch_size`` is not accepted.

    Note:
        Removed units take values the model never saw in training, so part of
        the drop can come from the unnatural input rather than lost evidence.
    """
    return _single_test(
        "deletion",
        model,
        inputs,
        attributions,
        targets,
        fill,
        n_steps,
        output,
        batch_size,
        seed,
    )


def insertion(
    model: _model.ModelLike,
    inputs: ArrayLike,
    attributions: ArrayLike,
    targets: ArrayLike | int | None = None,
    fill: ArrayLike | FillName | None = None,
    n_steps: int = 16,
    output: int | str | None = None,
    batch_size: int = 512,
    seed: int = 0,
) -> PerturbationCurves:
    """Insertion test: start from the fill and restore the most attributed units.

    The mirror of :func:`deletion` (same arguments): at step k the
    ``round(k * n / K)`` top-ranked units hold the inputs and the rest the
    fill. A faithful map makes the output rise faster than a random order,
    hence a higher area. Rule on ``gain``: pass >= 0.05, warn >= -0.05, fail
    below.
    """
    return _single_test(
        "insertion",
        model,
        inputs,
        attributions,
        targets,
        fill,
        n_steps,
        output,
        batch_size,
        seed,
    )


def _single_test(
    mode, model, inputs, attributions, targets, fill, n_steps, output, batch_size, seed
) -> PerturbationCurves:
    inputs = _arrays.as_batch_array(inputs, "inputs", min_rank=2)
    scores = _arrays.unit_scores(
        _arrays.as_batch_array(attributions, "attributions"), inputs
    )
    fill_values, fill_name = resolve_fill(fill, inputs)
    counts = step_counts(n_steps, scores.shape[1])
    _model.check_batch_size(batch_size)

    f_x = _model.outputs(model, inputs.astype(np.float32), output, batch_size)
    targets = _model.resolve_targets(targets, f_x)
    ranks = np.stack([attribution_ranks(scores), random_ranks(scores.shape, seed)])
    curves, _ = perturbation_curves(
        model,
        inputs,
        fill_values,
        ranks,
        counts,
        (mode,),
        targets,
        _model.pick(f_x, targets),
        output,
        batch_size,
    )
    return summarise_curves(mode, fill_name, counts, curves[0, 0], curves[1, 0])


def resolve_fill(
    fill: ArrayLike | str | None, inputs: np.ndarray
) -> tuple[np.ndarray, str]:
    """The fill as an array of the inputs' shape, and its stated name.

    Raises:
        ValueError: for an unknown name, ``"blur"`` on non-image inputs, or an
            array that does not broadcast to ``inputs``.
    """
    if fill is None or (isinstance(fill, str) and fill == "zeros"):
        return np.zeros_like(inputs), "zeros"
    if isinstance(fill, str):
        if fill == "mean":
            return np.broadcast_to(inputs.mean(axis=0), inputs.shape), "mean"
        if fill == "blur" and inputs.ndim == 4:
            return _blur(inputs), "blur"
        raise ValueError(
            f"`fill` must be an array, None or one of {_FILL_NAMES} ('blur' for "
            "(batch, height, width, channels) inputs only). "
            f"Received: fill={fill!r} for inputs of shape {inputs.shape}."
        )
    values = _arrays.as_batch_array(np.atleast_1d(fill), "fill")
    try:
        return np.broadcast_to(values, inputs.shape), "baselines"
    except ValueError as error:
        raise ValueError(
            "`fill` (the baselines) must broadcast to the inputs' shape "
            f"{inputs.shape}. Received: fill with shape {values.shape}."
        ) from error


def _blur(inputs: np.ndarray) -> np.ndarray:
    """Box blur, width about 1/8 of the image (odd, >= 3), edges not padded."""
    size = max(3, min(inputs.shape[1:3]) // 8) | 1
    blurred = tf.nn.avg_pool2d(
        tf.convert_to_tensor(inputs, tf.float32), size, strides=1, padding="SAME"
    )
    return blurred.numpy().astype(np.float64)


def step_counts(n_steps: int, n_units: int) -> np.ndarray:
    """Units moved at each step: ``round(k * n_units / K)``, ``k = 0..K``.

    ``K = min(n_steps, n_units)``, so that every step moves at least one unit.

    Raises:
        ValueError: if ``n_steps`` is not an int >= 1.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)):
        raise ValueError(
            f"`n_steps` must be an int >= 1. Received: n_steps={n_steps!r}."
        )
    if n_steps < 1:
        raise ValueError(
            f"`n_steps` must be an int >= 1. Received: n_steps={n_steps!r}."
        )
    if n_steps > n_units:
        logger.info("n_steps=%s capped at the %s units per sample.", n_steps, n_units)
        n_steps = n_units
    return np.rint(np.arange(n_steps + 1) * n_units / n_steps).astype(np.int64)


def attribution_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of each unit, 0 for the largest score: ``(batch, n_units)``."""
    return _arrays.ranks_of_order(np.argsort(-scores, axis=1, kind="stable"))


def random_ranks(shape: tuple[int, int], seed: int) -> np.ndarray:
    """A random (seeded) rank of each unit per sample, ``(batch, n_units)``."""
    noise = np.random.default_rng(seed).random(shape)
    return _arrays.ranks_of_order(np.argsort(noise, axis=1))


def perturbation_curves(
    model: _model.ModelLike,
    inputs: np.ndarray,
    fill: np.ndarray,
    ranks: np.ndarray,
    counts: np.ndarray,
    modes: Sequence[Mode],
    targets: np.ndarray,
    output_inputs: np.ndarray,
    output: int | str | None,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Target output along every order and mode, in one chunked stream.

    Args:
        model: the model.
        inputs: ``(batch, ...)``.
        fill: ``(batch, ...)`` the inputs' shape.
        ranks: ``(n_orders, batch, n_units)`` int; a unit is moved at step k
            when its rank is below ``counts[k]``.
        counts: ``(K + 1,)`` from :func:`step_counts`.
        modes: the tests to run, ``"deletion"`` and/or ``"insertion"``.
        targets: ``(batch,)`` int target indices.
        output_inputs: ``(batch,)`` f(x)[target], already computed.
        output: which output of a model with several.
        batch_size: rows per model call.

    Returns:
        ``(n_orders, n_modes, batch, K + 1)`` curves, and ``(batch,)`` the
        target's output on the fill.
    """
    n_orders, n_samples, _ = ranks.shape
    n_modes, n_inner = len(modes), len(counts) - 2
    inserting = np.array([mode == "insertion" for mode in modes])

    # Rows: N fill endpoints, then every (order, mode, inner step, sample).
    grid = np.indices((n_orders, n_modes, n_inner, n_samples)).reshape(4, -1)
    row_order = np.concatenate([np.zeros(n_samples, np.int64), grid[0]])
    row_insert = np.concatenate([np.zeros(n_samples, bool), inserting[grid[1]]])
    row_count = np.concatenate([np.full(n_samples, counts[-1]), counts[1:-1][grid[2]]])
    row_sample = np.concatenate([np.arange(n_samples), grid[3]])

    values = np.empty(len(row_sample))
    mask_shape = _arrays.unit_shape(inputs)
    for part in _model.chunks(len(values), batch_size):
        samples = row_sample[part]
        moved = ranks[row_order[part], samples] < row_count[part, None]
        use_fill = (moved != row_insert[part, None]).reshape(-1, *mask_shape)
        batch = np.where(use_fill, fill[samples], inputs[samples])
        logits = _model.call(model, batch.astype(np.float32), output)
        values[part] = _model.pick(logits, targets[samples])
    return _assemble(values, output_inputs, inserting, (n_orders, n_inner, n_samples))


def _assemble(values, output_inputs, inserting, dims) -> tuple[np.ndarray, np.ndarray]:
    """Puts the stream back as curves with f(x) and f(fill) at their ends."""
    n_orders, n_inner, n_samples = dims
    n_modes = len(inserting)
    output_fill = values[:n_samples]
    inner = values[n_samples:].reshape(n_orders, n_modes, n_inner, n_samples)

    # Deletion runs from f(x) to f(fill), insertion from f(fill) to f(x).
    first = np.where(inserting[:, None], output_fill, output_inputs)
    last = np.where(inserting[:, None], output_inputs, output_fill)
    ends_shape = (n_orders, n_modes, 1, n_samples)
    first = np.broadcast_to(first[None, :, None, :], ends_shape)
    last = np.broadcast_to(last[None, :, None, :], ends_shape)
    curves = np.concatenate([first, inner, last], axis=2)
    return np.swapaxes(curves, 2, 3), output_fill


def summarise_curves(
    mode: Mode,
    fill_name: str,
    counts: np.ndarray,
    curves: np.ndarray,
    random_curves: np.ndarray,
) -> PerturbationCurves:
    """Areas and gain of one order's curves beside the random order's."""
    fractions = counts / counts[-1]
    auc = _trapezoid(curves, fractions)
    random_auc = _trapezoid(random_curves, fractions)
    both = np.concatenate([curves, random_curves], axis=1)
    span = both.max(axis=1) - both.min(axis=1)
    sign = -1.0 if mode == "deletion" else 1.0
    difference = sign * (auc - random_auc)
    gain = np.where(span > 1e-12, difference / np.where(span > 1e-12, span, 1.0), 0.0)
    return PerturbationCurves(
        mode,
        fill_name,
        fractions,
        curves,
        auc,
        random_curves,
        random_auc,
        np.clip(gain, -1.0, 1.0),
    )


def _trapezoid(curves: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    widths = np.diff(fractions)
    return ((curves[:, 1:] + curves[:, :-1]) / 2.0 * widths).sum(axis=1)
