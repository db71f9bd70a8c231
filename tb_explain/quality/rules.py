"""The quality rules: each metric's formula, direction, thresholds and status.

One table, :data:`RULES`, says for every metric what it measures and when it
passes, warns or fails; :func:`status` applies it. The callback, the plugin and
the report read the same table, so the three never disagree.

Status values:

- ``"pass"``, ``"warn"``, ``"fail"`` for the quality checks (metrics with a
  threshold);
- ``"info"`` for figures reported without a verdict (raw areas under the curve,
  agreement between methods, complexity).

A missing value (NaN: no valid sample on the probe) of a checked metric is a
``"warn"``: the check could not be made.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from tb_explain import summary

Status = Literal["pass", "warn", "fail", "info"]
Direction = Literal["lower_is_better", "higher_is_better", "informative"]


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one metric is judged.

    For ``lower_is_better``: pass when ``value <= pass_at``, fail when
    ``value > fail_beyond``, warn in between. For ``higher_is_better``: pass
    when ``value >= pass_at``, fail when ``value < fail_beyond``, warn in
    between. ``fail_beyond=None`` means the metric never fails (it can only
    warn); ``informative`` metrics always get ``"info"``.

    Attributes:
        metric: the metric's name, the part of a result key before ``/``.
        formula: the formula in words.
        direction: which way is better, or ``"informative"``.
        pass_at: the pass threshold, or None for informative metrics.
        fail_beyond: the fail threshold, or None when the metric cannot fail.
        text: the rule in words, as the report prints it.

    Example:
        >>> RULES["completeness"].text
        'pass when delta <= 0.05, warn up to 0.1, fail above 0.1'
    """

    metric: str
    formula: str
    direction: Direction
    pass_at: float | None = None
    fail_beyond: float | None = None
    text: str = "informative: reported without pass/warn/fail"


def _rule(
    metric: str,
    formula: str,
    direction: Direction,
    pass_at=None,
    fail_beyond=None,
    text=None,
) -> tuple[str, Rule]:
    rule = Rule(metric, formula, direction, pass_at, fail_beyond)
    if text is not None:
        rule = dataclasses.replace(rule, text=text)
    return metric, rule


_AUC = "trapezoid area under the target output against the fraction of units {}"
_GAIN = (
    "({}) / range of both curves: how much faster than a random order the "
    "attribution order {} the target output, in [-1, 1]"
)

RULES: dict[str, Rule] = dict(
    [
        _rule(
            "completeness",
            "delta = |sum(a) - (f(x) - f(x'))| / |f(x) - f(x')|, integrated "
            "gradients only; denominator floored at 1e-6",
            "lower_is_better",
            0.05,
            0.10,
            "pass when delta <= 0.05, warn up to 0.1, fail above 0.1",
        ),
        _rule(
            "baseline_gap",
            "|f(x) - f(x')|: how much output the baseline leaves to explain",
            "higher_is_better",
            0.05,
            None,
            "warn when |f(x) - f(x')| < 0.05 (the baseline leaves nothing to "
            "explain); never fails",
        ),
        _rule(
            "deletion_auc", _AUC.format("removed, most attributed first"), "informative"
        ),
        _rule(
            "random_deletion_auc",
            _AUC.format("removed in a random order"),
            "informative",
        ),
        _rule(
            "deletion_gain",
            _GAIN.format("random_deletion_auc - deletion_auc", "lowers"),
            "higher_is_better",
            0.05,
            -0.05,
            "pass when deletion beats a random order by >= 0.05 of the output "
            "range, warn within 0.05 of it, fail when worse by more than 0.05",
        ),
        _rule(
            "insertion_auc",
            _AUC.format("inserted, most attributed first"),
            "informative",
        ),
        _rule(
            "random_insertion_auc",
            _AUC.format("inserted in a random order"),
            "informative",
        ),
        _rule(
            "insertion_gain",
            _GAIN.format("insertion_auc - random_insertion_auc", "raises"),
            "higher_is_better",
            0.05,
            -0.05,
            "pass when insertion beats a random order by >= 0.05 of the output "
            "range, warn within 0.05 of it, fail when worse by more than 0.05",
        ),
        _rule(
            "randomisation",
            "Spearman rank correlation of |a| between the current explanation "
            "and the first written step's (or a re-initialised model's)",
            "lower_is_better",
            0.5,
            0.8,
            "pass when rank correlation <= 0.5, warn up to 0.8, fail above 0.8 "
            "(the map hardly depends on what the model learnt)",
        ),
        _rule(
            "stability",
            "Spearman rank correlation of |a| with the previous written step",
            "higher_is_better",
            0.5,
            None,
            "warn when rank correlation with the previous step < 0.5; never "
            "fails (maps may rightly change while the model learns)",
        ),
        _rule(
            "agreement",
            "Spearman rank correlation of |a| between two methods",
            "informative",
        ),
        _rule(
            "agreement_top_k",
            "fraction of the top-k |a| units two methods share",
            "informative",
        ),
        _rule(
            "complexity_entropy",
            "-sum(p log p) / log(n) with p = |a| / sum|a|: 1 spread evenly, "
            "0 on one unit",
            "informative",
        ),
        _rule(
            "complexity_gini",
            "Gini index of |a| (Hurley and Rickard): 0 spread evenly, 1 - 1/n "
            "on one unit",
            "informative",
        ),
    ]
)


def _lookup(metric: str) -> Rule:
    name = metric.split("/", 1)[0]
    if name not in RULES:
        raise ValueError(
            f"`metric` must be one of {sorted(RULES)}, optionally followed by "
            f"'/<method>'. Received: metric={metric!r}."
        )
    return RULES[name]


def status(metric: str, value: float) -> Status:
    """Judges a value of a metric by its rule in :data:`RULES`.

    Args:
        metric: a metric name such as ``"completeness"``, or a result key such
            as ``"completeness/integrated_gradients"``.
        value: the metric's value (a probe mean or a single sample's value).

    Returns:
        ``"pass"``, ``"warn"`` or ``"fail"`` for checked metrics (``"warn"``
        when the value is NaN), ``"info"`` for informative ones.

    Raises:
        ValueError: if ``metric`` names no rule.
    """
    return str(status_array(metric, np.asarray([value], dtype=np.float64))[0])


def status_array(metric: str, values: np.ndarray) -> np.ndarray:
    """Vectorised :func:`status`: ``(n,)`` values to ``(n,)`` status strings.

    The rule is applied by :func:`tb_explain.summary.judge`, the same code
    that judges written figures in the plugin and the report.
    """
    rule = _lookup(metric)
    values = np.asarray(values, dtype=np.float64)
    entry = {
        "metric": rule.metric,
        "threshold": rule.pass_at,
        "fail_threshold": rule.fail_beyond,
        "direction": rule.direction,
    }
    return summary.judge(entry, values).reshape(values.shape)
