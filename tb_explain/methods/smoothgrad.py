"""SmoothGrad: a gradient method averaged over noisy copies of the inputs.

Each copy adds Gaussian noise of standard deviation
``noise_level * (max(x) - min(x))``, the range taken per sample and per
input. Any gradient method can be smoothed: ``gradients`` (the original),
``gradient_x_input`` or ``integrated_gradients``.
"""

from __future__ import annotations

import numpy as np

from tb_explain.methods import integrated
from tb_explain.methods._job import Job
from tb_explain.methods._options import (
    Option,
    Spec,
    choice,
    integer,
    number,
    optional_int,
)

BASE_METHODS = ("gradients", "gradient_x_input", "integrated_gradients")

OPTIONS = {
    "n_samples": Option(25, integer(1)),
    "noise_level": Option(0.15, number(0.0)),
    "base_method": Option("gradients", choice(*BASE_METHODS)),
    "seed": Option(0, optional_int),
    "n_steps": Option(50, integer(1)),
    "quadrature": Option("trapezoid", choice(*integrated.QUADRATURES)),
}


class _Noise:
    """Noise draws, one per block, each for the whole batch.

    Draw ``block`` comes from its own generator, seeded by ``(seed, block)``,
    so that asking for a block again (when its gradients come back, or in
    another chunk) gives the same noise, whatever the chunking. The last draw
    is kept so that a chunk's rows cost one draw per block.
    """

    def __init__(self, points: list[np.ndarray], level: float, seed: int | None):
        self.points = points
        self.scales = [level * _ranges(p) for p in points]
        self.entropy = np.random.SeedSequence(seed).entropy
        self.block, self.draw = -1, []

    def noisy(self, block: int) -> list[np.ndarray]:
        """The inputs plus noise draw ``block``."""
        if block != self.block:
            rng = np.random.default_rng([self.entropy, block])
            self.block = block
            self.draw = [
                p + s * rng.standard_normal(p.shape, np.float32)
                for p, s in zip(self.points, self.scales, strict=True)
            ]
        return self.draw


def _ranges(points: np.ndarray) -> np.ndarray:
    flat = points.reshape(points.shape[0], -1)
    spread = flat.max(axis=1) - flat.min(axis=1)
    return spread.reshape((-1,) + (1,) * (points.ndim - 1)).astype(np.float32)


def _smooth_gradients(job: Job, times_input: bool) -> list[np.ndarray]:
    points = job.points()
    noise = _Noise(points, job.options["noise_level"], job.options["seed"])
    totals = [np.zeros(p.shape, np.float32) for p in points]

    def make_rows(block, first, last):
        return [n[first:last] for n in noise.noisy(block)]

    def consume(block, first, last, values):
        if not times_input:
            for total, value in zip(totals, values[:-1], strict=True):
                total[first:last] += value
            return
        rows = noise.noisy(block)  # the same draw the gradients were taken at
        for total, value, row in zip(totals, values[:-1], rows, strict=True):
            total[first:last] += value * row[first:last]

    job.gradients(job.options["n_samples"], make_rows, consume)
    return [t / job.options["n_samples"] for t in totals]


def _smooth_integrated(job: Job) -> list[np.ndarray]:
    points, bases = job.points(), job.point_baselines()
    noise = _Noise(points, job.options["noise_level"], job.options["seed"])
    totals = [np.zeros(p.shape, np.float32) for p in points]
    for draw in range(job.options["n_samples"]):
        attributions = integrated.integrate(job, noise.noisy(draw), bases)
        for total, value in zip(totals, attributions, strict=True):
            total += value
    return [t / job.options["n_samples"] for t in totals]


def run(job: Job) -> list[np.ndarray]:
    """SmoothGrad attributions, shaped like the inputs.

    Note:
        Draw k comes from ``numpy.random.default_rng([seed, k])``; the
        default seed 0 gives the same noise on every call and for any
        ``batch_size``, so that explanations of the same probe differ between
        epochs only because the model changed.
    """
    base = job.options["base_method"]
    if base == "integrated_gradients":
        return job.to_input_space(_smooth_integrated(job))
    return job.to_input_space(_smooth_gradients(job, base == "gradient_x_input"))


def check(job: Job) -> None:
    """Checks the integrated-gradients options when they are used."""
    if job.options["base_method"] == "integrated_gradients":
        integrated.check(job)


SMOOTHGRAD = Spec(OPTIONS, run, check, "SmoothGrad")
