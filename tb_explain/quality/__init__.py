"""Explanation quality: how far an explanation can be trusted.

Every metric works on its own on ``(model, inputs, attributions)`` and is
vectorised over the probe (numpy and one chunked stream of model calls);
:func:`evaluate` runs them all for the callback. Each metric has a formula, a
direction and a pass / warn / fail rule in :data:`RULES`, applied by
:func:`status`; probe-level figures come with a :func:`bootstrap_interval`.

Metrics (per sample, ``(batch,)``):

- :func:`completeness` (integrated gradients) and :func:`baseline_gap`;
- :func:`deletion` and :func:`insertion` against a random order;
- :func:`randomisation` (against the first written step or a
  :func:`reinitialised_copy` of the model) and :func:`stability` (against
  the previous written step), both rank correlations of ``|a|``;
- :func:`agreement` between methods: :func:`rank_correlation` and
  :func:`top_k_overlap`;
- complexity: :func:`entropy` and :func:`gini` of ``|a|``.

Example:
    >>> from tb_explain import quality
    >>> result = quality.evaluate(model, x, {"integrated_gradients": a}, y)
    >>> [row["status"] for row in result.summary]  # doctest: +SKIP
"""

from tb_explain.quality._model import target_output
from tb_explain.quality.compare import (
    agreement,
    randomisation,
    rank_correlation,
    stability,
    top_k_overlap,
)
from tb_explain.quality.complexity import entropy, gini
from tb_explain.quality.evaluation import QualityResult, evaluate, summarise
from tb_explain.quality.faithfulness import (
    PerturbationCurves,
    baseline_gap,
    completeness,
    deletion,
    insertion,
)
from tb_explain.quality.models import reinitialised_copy
from tb_explain.quality.rules import RULES, Rule, Status, status
from tb_explain.quality.stats import bootstrap_interval

__all__ = [
    "RULES",
    "PerturbationCurves",
    "QualityResult",
    "Rule",
    "Status",
    "agreement",
    "baseline_gap",
    "bootstrap_interval",
    "completeness",
    "deletion",
    "entropy",
    "evaluate",
    "gini",
    "insertion",
    "randomisation",
    "rank_correlation",
    "reinitialised_copy",
    "stability",
    "status",
    "summarise",
    "target_output",
    "top_k_overlap",
]
