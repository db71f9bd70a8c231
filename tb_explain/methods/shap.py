"""Kernel SHAP (and a LIME-style kernel): Shapley values by regression.

The players are groups of input elements: each feature of a tabular input,
each token, each ``patch_size x patch_size`` patch (all channels) of an image
``(batch, height, width, channels)``. A coalition keeps its players at the
inputs and sets the others to the baselines. The model is evaluated on
``n_samples`` coalitions shared by the whole batch, and a linear model of
the explained output in the coalition is fitted per sample:

- ``kernel="shap"``: coalition sizes are drawn with the Shapley kernel's
  probabilities (each coalition paired with its complement), and a least
  squares fit is constrained so that the values sum to
  ``f(x)[t] - f(b)[t]``. Consistent: exact in expectation as ``n_samples``
  grows, and exact for a model linear in the inputs.
- ``kernel="lime"``: coalitions are drawn uniformly and weighted by
  ``exp(-d**2 / kernel_width**2)``, ``d`` the cosine distance to the full
  coalition; the fit has an intercept and no constraint.

A group's value is shared evenly among its elements, so that attributions
sum to the group's value.
"""

from __future__ import annotations

import logging

import numpy as np

from tb_explain.methods import _inputs
from tb_explain.methods._job import Job
from tb_explain.methods._options import (
    Option,
    Spec,
    choice,
    integer,
    no_check,
    number,
    optional_int,
)

logger = logging.getLogger(__name__)

OPTIONS = {
    "n_samples": Option(512, integer(2)),
    "kernel": Option("shap", choice("shap", "lime")),
    "patch_size": Option(4, integer(1)),
    "kernel_width": Option(0.25, number(1e-6)),
    "seed": Option(0, optional_int),
}

_RIDGE = 1e-6


def player_groups(shapes: list[tuple[int, ...]], patch_size: int) -> list:
    """Player ids per input element, numbered across all inputs.

    Args:
        shapes: The inputs' shapes without the batch axis.
        patch_size: Side of the square patches of image inputs.

    Returns:
        One int array per input with that input's shape.
    """
    groups, offset = [], 0
    for shape in shapes:
        if len(shape) == 3:
            rows = np.arange(shape[0]) // patch_size
            cols = np.arange(shape[1]) // patch_size
            ids = rows[:, None] * (cols[-1] + 1) + cols[None, :]
            ids = np.broadcast_to(ids[..., None], shape)
        else:
            ids = np.arange(int(np.prod(shape))).reshape(shape)
        groups.append(ids + offset)
        offset += int(ids.max()) + 1
    return groups


def coalitions(n_players: int, n_samples: int, kernel: str, rng) -> np.ndarray:
    """Draws coalitions, ``(n_samples, n_players)`` bool.

    ``"shap"``: sizes ``s`` in ``1..M-1`` with probability proportional to
    ``(M - 1) / (s (M - s))``, members uniform, each paired with its
    complement. ``"lime"``: every player in with probability one half.
    """
    if kernel == "lime" or n_players < 2:
        return rng.random((n_samples, n_players)) < 0.5
    sizes = np.arange(1, n_players)
    weights = (n_players - 1) / (sizes * (n_players - sizes))
    half = (n_samples + 1) // 2
    drawn = rng.choice(sizes, size=half, p=weights / weights.sum())
    ranks = rng.random((half, n_players)).argsort(axis=1).argsort(axis=1)
    members = ranks < drawn[:, None]
    return np.concatenate([members, ~members])[:n_samples]


def _evaluate(job: Job, groups: list, masks: np.ndarray) -> np.ndarray:
    """``f(coalition)[t]`` for every coalition and sample, ``(n, batch)``."""
    bases = [_inputs.full(b, a.shape) for b, a in zip(job.baselines, job.inputs)]
    values = np.zeros((len(masks), job.batch), np.float32)

    def make_rows(block, first, last):
        return [
            np.where(masks[block][g], a[first:last], b[first:last])
            for g, a, b in zip(groups, job.inputs, bases, strict=True)
        ]

    def consume(block, first, last, results):
        values[block, first:last] = results[0]

    job.outputs(len(masks), make_rows, consume)
    return values


def _fit_shap(masks, values, full, empty) -> np.ndarray:
    z = masks.astype(np.float64)
    change = full - empty
    if z.shape[1] == 1:
        return change[:, None]
    design = z[:, :-1] - z[:, -1:]
    response = values - empty[None] - z[:, -1:] * change[None]
    head, *_ = np.linalg.lstsq(design, response, rcond=None)
    return np.concatenate([head, change[None] - head.sum(axis=0)]).T


def _fit_lime(masks, values, width: float) -> np.ndarray:
    z = masks.astype(np.float64)
    distance = 1 - np.sqrt(z.sum(axis=1) / z.shape[1])
    weights = np.exp(-(distance**2) / width**2)
    design = np.concatenate([np.ones((len(z), 1)), z], axis=1)
    gram = design.T @ (weights[:, None] * design) + _RIDGE * np.eye(design.shape[1])
    coefficients = np.linalg.solve(gram, design.T @ (weights[:, None] * values))
    return coefficients[1:].T


def run(job: Job) -> list[np.ndarray]:
    """Kernel SHAP or LIME attributions, shaped like the inputs."""
    options = job.options
    groups = player_groups([a.shape[1:] for a in job.inputs], options["patch_size"])
    n_players = int(groups[-1].max()) + 1
    rng = np.random.default_rng(options["seed"])
    masks = coalitions(n_players, options["n_samples"], options["kernel"], rng)
    if options["n_samples"] < n_players:
        logger.warning(
            "kernel_shap: n_samples=%s is below the %s players; the fit is "
            "underdetermined. Raise n_samples.",
            options["n_samples"],
            n_players,
        )
    values = _evaluate(job, groups, masks)
    if options["kernel"] == "lime":
        players = _fit_lime(masks, values, options["kernel_width"])
    else:
        bases = [_inputs.full(b, a.shape) for b, a in zip(job.baselines, job.inputs)]
        full, empty = job.explained(job.inputs), job.explained(bases)
        players = _fit_shap(masks, values, full.astype(np.float64), empty)
    return [_spread(players, g) for g in groups]


def _spread(players: np.ndarray, groups: np.ndarray) -> np.ndarray:
    sizes = np.bincount(groups.ravel(), minlength=players.shape[1])
    return (players[:, groups] / sizes[groups]).astype(np.float32)


KERNEL_SHAP = Spec(OPTIONS, run, no_check, "Kernel SHAP")
