"""Which process writes under ``tf.distribute``.

Under ``MirroredStrategy`` one process drives every replica, so it writes.
Under ``MultiWorkerMirroredStrategy`` every worker runs the callbacks; only
the chief (the ``chief`` task, or worker 0 when the cluster has no chief)
computes and writes, so that a run is written once.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def chief_decision(task_type: str | None, task_id: int | None, cluster: dict) -> bool:
    """Whether the task ``(task_type, task_id)`` is the chief of ``cluster``.

    Args:
        task_type: ``"chief"``, ``"worker"``, ``"evaluator"``, ... or None
            for a single process.
        task_id: Index of the task within its type.
        cluster: The cluster spec as a dict, e.g. ``{"worker": [...]}``.

    Returns:
        True for the one task that writes.
    """
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and int(task_id or 0) == 0 and "chief" not in cluster


def is_chief(model=None) -> bool:
    """Whether this process writes, given the model's distribution strategy."""
    import tensorflow as tf

    strategy = (
        getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
    )
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return True
    try:
        cluster = resolver.cluster_spec().as_dict()
    except (AttributeError, ValueError):
        cluster = {}
    return chief_decision(resolver.task_type, resolver.task_id, cluster)
