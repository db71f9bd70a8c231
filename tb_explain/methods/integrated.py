"""Integrated gradients, by trapezoid or Gauss-Legendre quadrature.

The attributions of input element ``i`` are

    (x_i - b_i) * integral_0^1 d f(b + a (x - b))[t] / d x_i  da,

so that, up to the quadrature error, they sum to ``f(x)[t] - f(b)[t]``
(completeness). The integral is never a left Riemann sum: the trapezoid rule
(the default) is exact for piecewise-linear paths between its nodes, and
Gauss-Legendre converges fastest on smooth models.
"""

from __future__ import annotations

import numpy as np

from tb_explain.methods import _inputs
from tb_explain.methods._job import Job
from tb_explain.methods._options import Option, Spec, boolean, choice, integer

QUADRATURES = ("trapezoid", "gauss_legendre")

OPTIONS = {
    "n_steps": Option(50, integer(1)),
    "quadrature": Option("trapezoid", choice(*QUADRATURES)),
    "return_delta": Option(False, boolean),
}


def nodes(n_steps: int, quadrature: str) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights on ``[0, 1]``.

    Args:
        n_steps: Number of nodes (gradient evaluations per sample).
        quadrature: ``"trapezoid"`` (n_steps >= 2, both ends included) or
            ``"gauss_legendre"`` (n_steps >= 1, ends excluded).

    Returns:
        ``(alphas, weights)``, each ``(n_steps,)``; the weights sum to 1.
    """
    if quadrature == "gauss_legendre":
        points, weights = np.polynomial.legendre.leggauss(n_steps)
        return (points + 1) / 2, weights / 2
    alphas = np.linspace(0.0, 1.0, n_steps)
    weights = np.full(n_steps, 1.0 / (n_steps - 1))
    weights[[0, -1]] /= 2
    return alphas, weights


def check(job: Job) -> None:
    """Checks that the trapezoid rule gets two nodes or more."""
    options = job.options
    if options["quadrature"] == "trapezoid" and options["n_steps"] < 2:
        raise ValueError(
            "`n_steps` must be >= 2 with `quadrature='trapezoid'`. "
            f"Received: `n_steps={options['n_steps']}`."
        )


def integrate(
    job: Job, points: list[np.ndarray], bases: list[np.ndarray]
) -> list[np.ndarray]:
    """Integrated gradients in the space of ``points``.

    Args:
        job: The request; its ``n_steps`` and ``quadrature`` options are used.
        points: Differentiable inputs, ``(batch, ...)`` each.
        bases: Baselines, each broadcastable to its point array.

    Returns:
        Attributions, one float32 array per point array.
    """
    # float32 nodes keep the rows float32: a float64 scalar would promote every
    # row to float64 and make the model run (and differentiate) a cast.
    alphas, weights = (
        a.astype(np.float32)
        for a in nodes(job.options["n_steps"], job.options["quadrature"])
    )
    bases = [_inputs.full(b, p.shape) for b, p in zip(bases, points, strict=True)]
    totals = [np.zeros(p.shape, np.float32) for p in points]

    def make_rows(step, first, last):
        return [
            b[first:last] + alphas[step] * (p[first:last] - b[first:last])
            for p, b in zip(points, bases, strict=True)
        ]

    def consume(step, first, last, values):
        for total, value in zip(totals, values[:-1], strict=True):
            total[first:last] += weights[step] * value

    job.gradients(len(alphas), make_rows, consume)
    return [t * (p - b) for t, p, b in zip(totals, points, bases, strict=True)]


def explained_at(job: Job, points: list[np.ndarray]) -> np.ndarray:
    """``f(points)[t]`` in the space of :meth:`Job.points`, ``(batch,)``."""
    result = np.zeros(job.batch, np.float32)
    shaped = [_inputs.full(b, p.shape) for b, p in zip(points, job.points())]

    def consume(block, first, last, values):
        result[first:last] = values[-1]

    job.gradients(1, lambda s, f, last: [b[f:last] for b in shaped], consume)
    return result


def run(job: Job):
    """Attributions (and, with ``return_delta``, the delta per sample).

    Returns:
        A list of attributions per input, or ``(attributions, delta)`` where
        ``delta`` ``(batch,)`` = sum of attributions - (f(x)[t] - f(b)[t]).
    """
    points, bases = job.points(), job.point_baselines()
    attributions = integrate(job, points, bases)
    if not job.options["return_delta"]:
        return job.to_input_space(attributions)
    change = explained_at(job, points) - explained_at(job, bases)
    total = sum(a.reshape(job.batch, -1).sum(axis=1) for a in attributions)
    return job.to_input_space(attributions), (total - change).astype(np.float32)


INTEGRATED_GRADIENTS = Spec(OPTIONS, run, check, "Integrated gradients")
