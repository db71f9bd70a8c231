"""Phrases every section shares: names of classes, methods, units and checks."""

from __future__ import annotations

from tb_explain import summary
from tb_explain.report import figures
from tb_explain.report.document import Figure
from tb_explain.report.text import Text

# Checks whose rule names a fail limit; without one recorded, only the pass
# threshold can be stated.
TWO_LIMITS = ("completeness", "randomisation", "deletion_gain", "insertion_gain")


def class_name(data: dict, index) -> str:
    """The name of class ``index`` (its number when unnamed)."""
    names = data["task"]["class_names"]
    if index is None:
        return ""
    return names[index] if 0 <= int(index) < len(names) else str(index)


def method_label(data: dict, text: Text, key: str) -> str:
    """A method's name in the report's language (the key when unknown)."""
    configured = {m.get("key"): m for m in data["config"].get("methods", [])}
    name = (configured.get(key) or {}).get("name") or key
    fallback = data["method_labels"].get(key) or key
    label = text.get(f"method.{name}", fallback)
    return label if key == name else f"{label} ({key})"


def unit_label(text: Text, unit: dict) -> str:
    """A feature's name, an image region or a position, in words."""
    if "region" in unit:
        return text(f"region.{unit['region']}")
    if unit.get("name"):
        return str(unit["name"])
    if unit.get("kind") == "position":
        return text("unit.position", index=unit["unit"])
    return text("unit.feature", index=unit["unit"])


def metric_label(text: Text, metric: str) -> str:
    """A quality metric's name in words."""
    return text.get(f"metric.{metric}", str(metric))


def check_label(data: dict, text: Text, row: dict) -> str:
    """ "completeness (integrated gradients)" for a quality summary row."""
    methods = str(row.get("method") or "").split("~")
    labels = [method_label(data, text, m) for m in methods if m]
    return text(
        "check_label",
        metric=metric_label(text, row["metric"]),
        method=text.join(labels),
    )


def rule_text(text: Text, row: dict) -> str:
    """A check's rule in words, from its thresholds."""
    key = f"rule.{row['metric']}"
    fallback = str(row.get("rule") or "")
    if row.get("fail_threshold") is None and row["metric"] in TWO_LIMITS:
        lower = summary.direction(row) == "lower_is_better"
        key = "rule.at_most" if lower else "rule.at_least"
    fail = row.get("fail_threshold")
    return text.get(
        key,
        fallback,
        threshold=text.num(row.get("threshold")),
        fail=text.num(fail),
        fail_size=text.num(None if fail is None else abs(fail)),
    )


def status_word(text: Text, status: str | None) -> str:
    """pass / warn / fail / info in words."""
    return text(f"status.{status or 'none'}")


def baseline_phrase(data: dict, text: Text) -> str:
    """The baseline in words: "an all-zero input"."""
    baselines = data["config"].get("baselines") or {}
    kind = baselines.get("kind", "zeros")
    value = baselines.get("value")
    return text.get(
        f"baseline.{kind}",
        text("baseline.array"),
        value=text.num(value) if value is not None else "",
    )


def fill_phrase(data: dict, text: Text) -> str:
    """The fill of the deletion test in words."""
    return text("fill", baseline=baseline_phrase(data, text))


def step_phrase(data: dict, text: Text) -> str:
    """ "step 10 (epoch 2)"."""
    epoch = data.get("epoch")
    if epoch is None:
        return text("step_only", step=data["step"])
    return text("step_epoch", step=data["step"], epoch=epoch)


def figure(name: str, png: bytes, text: Text, data: dict, key: str, **params):
    """A figure whose caption names the step it was computed at."""
    caption = text(key, **params) + " " + text("figure_step", step=data["step"])
    return Figure(name, png, caption)


def axis(text: Text, key: str, **params) -> str:
    """An axis label, or "" when no installed font draws the language."""
    return text(key, **params) if figures.can_draw(text.lang) else ""


def drawable(text: Text, label: str, fallback: str) -> str:
    """``label`` for a figure, or ``fallback`` (a name or a symbol) when no
    installed font draws the report's language."""
    return label if figures.can_draw(text.lang) else fallback


def explained_output(data: dict, text: Text, target: int) -> str:
    """What output a map explains: "the probability of class X"."""
    task = data["task"]
    if task["task"] == "regression":
        return text("output.regression", index=target)
    if task["n_outputs"] == 1:
        return text("output.class", name=class_name(data, 1))
    return text("output.class", name=class_name(data, target))
