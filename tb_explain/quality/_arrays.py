"""Array helpers shared by the quality metrics: validation and map shapes.

Images are ``(batch, height, width, channels)``. Metrics that compare or
perturb maps work on *units*: a feature for tabular or sequence inputs, a pixel
(all of its channels together) for images.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_batch_array(value: Any, name: str, min_rank: int = 1) -> np.ndarray:
    """Returns ``value`` as a float64 array with a batch axis.

    Raises:
        TypeError: if ``value`` cannot be read as a numeric array.
        ValueError: if it has fewer than ``min_rank`` axes or an empty batch.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`{name}` must be a numeric array or tensor, batch first. "
            f"Received: {name} of type {type(value).__name__}."
        ) from error
    if array.ndim < min_rank or array.shape[0] == 0:
        raise ValueError(
            f"`{name}` must have at least {min_rank} axes and a non-empty batch. "
            f"Received: {name} with shape {array.shape}."
        )
    return array


def flatten(array: np.ndarray) -> np.ndarray:
    """Flattens every non-batch axis: ``(batch, ...)`` to ``(batch, n)``."""
    return array.reshape(array.shape[0], -1)


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raises ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"`{names[0]}` and `{names[1]}` must have the same shape. "
            f"Received: {names[0]} with shape {a.shape} and {names[1]} with "
            f"shape {b.shape}."
        )


def magnitude_map(attributions: np.ndarray) -> np.ndarray:
    """Per-unit magnitudes ``|a|``, flattened to ``(batch, n_units)``.

    A rank-4 map ``(batch, height, width, channels)`` is reduced to pixels by
    summing ``|a|`` over channels, so that it compares with a Grad-CAM map of
    shape ``(batch, height, width)``; every other map keeps its elements.
    """
    magnitudes = np.abs(attributions)
    if magnitudes.ndim == 4:
        magnitudes = magnitudes.sum(axis=-1)
    return flatten(magnitudes)


def unit_scores(
    attributions: np.ndarray, inputs: np.ndarray, name: str = "attributions"
) -> np.ndarray:
    """Signed score per unit, ``(batch, n_units)``, used to order removals.

    Args:
        attributions: ``(batch, ...)`` with the shape of ``inputs``, or
            ``(batch, height, width)`` for image inputs (a Grad-CAM map).
        inputs: ``(batch, ...)``; rank 4 means ``(batch, height, width,
            channels)`` and makes pixels the units.
        name: how the attributions are named in an error message.

    Returns:
        ``(batch, n_units)``: the channel sum of the attributions for images,
        the flattened attributions otherwise.

    Raises:
        ValueError: if the shapes do not fit one of the cases above.
    """
    if attributions.shape == inputs.shape:
        if inputs.ndim == 4:
            return flatten(attributions.sum(axis=-1))
        return flatten(attributions)
    if inputs.ndim == 4 and attributions.shape == inputs.shape[:-1]:
        return flatten(attributions)
    raise ValueError(
        f"`{name}` must have the shape of `inputs`, or (batch, height, width) "
        "for image inputs of shape (batch, height, width, channels). "
        f"Received: {name} with shape {attributions.shape} and inputs with "
        f"shape {inputs.shape}."
    )


def unit_shape(inputs: np.ndarray) -> tuple[int, ...]:
    """Shape of one sample's unit mask, broadcastable to one input sample."""
    if inputs.ndim == 4:
        return (*inputs.shape[1:3], 1)
    return inputs.shape[1:]


def ranks_of_order(order: np.ndarray) -> np.ndarray:
    """Position of each unit in ``order``: the inverse permutation per row.

    Args:
        order: ``(batch, n_units)`` int, each row a permutation of units.

    Returns:
        ``(batch, n_units)`` int32, ``ranks[i, order[i, j]] == j``.
    """
    ranks = np.empty(order.shape, dtype=np.int32)
    positions = np.broadcast_to(np.arange(order.shape[1], dtype=np.int32), order.shape)
    np.put_along_axis(ranks, order, positions, axis=1)
    return ranks
