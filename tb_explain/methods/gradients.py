"""Plain gradients (saliency) and gradient x input.

``gradients``: ``d f(x)[t] / d x``, signed, per input element.
``gradient_x_input``: that gradient times the input, element by element.
"""

from __future__ import annotations

import numpy as np

from tb_explain.methods._job import Job
from tb_explain.methods._options import Spec, no_check


def gradients_at(job: Job, points: list[np.ndarray]) -> list[np.ndarray]:
    """Gradients of the explained output at ``points``.

    Args:
        job: The request (model, targets, batch_size).
        points: Differentiable inputs, one array per input,
            ``(batch, ...)``; embeddings in token mode.

    Returns:
        One gradient array per point array, same shapes, float32.
    """
    result = [np.zeros(p.shape, np.float32) for p in points]

    def make_rows(block, first, last):
        return [p[first:last] for p in points]

    def consume(block, first, last, values):
        for acc, value in zip(result, values[:-1], strict=True):
            acc[first:last] = value

    job.gradients(1, make_rows, consume)
    return result


def run_gradients(job: Job) -> list[np.ndarray]:
    """Attributions of ``gradients``, shaped like the inputs."""
    return job.to_input_space(gradients_at(job, job.points()))


def run_gradient_x_input(job: Job) -> list[np.ndarray]:
    """Attributions of ``gradient_x_input``, shaped like the inputs."""
    points = job.points()
    grads = gradients_at(job, points)
    return job.to_input_space([g * p for g, p in zip(grads, points, strict=True)])


GRADIENTS = Spec({}, run_gradients, no_check, "Gradients")
GRADIENT_X_INPUT = Spec({}, run_gradient_x_input, no_check, "Gradient x input")
