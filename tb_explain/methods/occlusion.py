"""Occlusion: how much the explained output drops when a region is hidden.

A region of one input is replaced by the baselines there, and the change
``f(x)[t] - f(x occluded)[t]`` is given to each element of the region. For
images ``(batch, height, width, channels)`` the regions are windows of
``window`` pixels (all channels) every ``stride`` pixels, and an element
covered by several windows gets their mean. Any other input (tabular
features, tokens) is occluded one element at a time.
"""

from __future__ import annotations

import numpy as np

from tb_explain.methods import _inputs
from tb_explain.methods._job import Job
from tb_explain.methods._options import Option, Spec, pair

OPTIONS = {
    "window": Option((4, 4), pair),
    "stride": Option(None, pair),
}


def regions(shape: tuple[int, ...], window, stride) -> list[tuple]:
    """Index tuples of the occluded regions of one input.

    Args:
        shape: The input's shape without the batch axis.
        window: ``(height, width)`` of image windows.
        stride: ``(height, width)`` steps between windows.

    Returns:
        Tuples that index ``array[first:last]`` of the input, batch first.
    """
    if len(shape) != 3:
        cells = np.ndindex(*shape)
        return [(slice(None), *cell) for cell in cells]
    tops = _starts(shape[0], window[0], stride[0])
    lefts = _starts(shape[1], window[1], stride[1])
    return [
        (slice(None), slice(top, top + window[0]), slice(left, left + window[1]))
        for top in tops
        for left in lefts
    ]


def _starts(size: int, window: int, stride: int) -> list[int]:
    starts = list(range(0, max(size - window, 0) + 1, stride))
    if starts[-1] + window < size:
        starts.append(size - window)
    return starts


def check(job: Job) -> None:
    """Checks that windows fit inside the image inputs."""
    window = job.options["window"]
    for array in job.inputs:
        if array.ndim == 4 and (
            window[0] > array.shape[1] or window[1] > array.shape[2]
        ):
            raise ValueError(
                f"`window={window}` is larger than the image input "
                f"{array.shape[1:3]}. Pass a window of at most its height and width."
            )


def run(job: Job) -> list[np.ndarray]:
    """Occlusion attributions, shaped like the inputs."""
    window = job.options["window"]
    stride = job.options["stride"] or window
    plan = [
        (index, region)
        for index, array in enumerate(job.inputs)
        for region in regions(array.shape[1:], window, stride)
    ]
    bases = [_inputs.full(b, a.shape) for b, a in zip(job.baselines, job.inputs)]
    unoccluded = job.explained(job.inputs)
    totals = [np.zeros(a.shape, np.float32) for a in job.inputs]
    counts = [np.zeros((1, *a.shape[1:]), np.float32) for a in job.inputs]
    for index, region in plan:
        counts[index][region] += 1

    def make_rows(block, first, last):
        index, region = plan[block]
        rows = [a[first:last] for a in job.inputs]
        rows[index] = rows[index].copy()
        rows[index][region] = bases[index][first:last][region]
        return rows

    def consume(block, first, last, values):
        index, region = plan[block]
        target = totals[index][first:last]
        drop = unoccluded[first:last] - values[0]
        target[region] += drop.reshape((-1,) + (1,) * (target[region].ndim - 1))

    job.outputs(len(plan), make_rows, consume)
    return [t / np.maximum(c, 1) for t, c in zip(totals, counts, strict=True)]


OCCLUSION = Spec(OPTIONS, run, check, "Occlusion")
