"""Section 1, the one-page summary, written from the numbers of the others."""

from __future__ import annotations

from tb_explain.report.document import Bullets, Heading, Paragraph, Table
from tb_explain.report.sections import common, limits
from tb_explain.report.text import Text

TOP_LIMITATIONS = 3


def write(data: dict, arrays: dict, text: Text) -> list:
    """What the model decides, how well, on what, how far to trust it."""
    blocks = [
        Paragraph(decides(data, text), "lead"),
        Paragraph(headline(data, text)),
        Paragraph(relies_on(data, text)),
        Heading(text("summary.checks")),
    ]
    blocks += check_table(data, text)
    blocks.append(Heading(text("summary.limitations")))
    found = data["findings"][:TOP_LIMITATIONS]
    if found:
        blocks.append(Bullets([limits.finding_text(data, text, f) for f in found]))
    else:
        blocks.append(Paragraph(text("summary.no_findings")))
    blocks.append(Heading(text("summary.conclusion")))
    blocks.append(Paragraph(conclusion(data, text), "lead"))
    return blocks


def decides(data: dict, text: Text) -> str:
    """What the model decides, from the task and class names."""
    task = data["task"]
    model = data["model"].get("name") or data["run"]
    modality = text(f"modality.{task['modality']}")
    if task["task"] == "regression":
        return text(
            "summary.decides_regression"
            if task["n_outputs"] > 1
            else "summary.decides_regression_one",
            model=model,
            modality=modality,
            count=task["n_outputs"],
        )
    return text(
        "summary.decides",
        model=model,
        modality=modality,
        count=task["n_classes"],
        classes=text.truncated(task["class_names"], 10),
    )


def headline(data: dict, text: Text) -> str:
    """The headline metric with its count and interval."""
    perf = data["performance"]
    step = common.step_phrase(data, text)
    if perf["kind"] == "none":
        return text("summary.no_labels")
    if perf["kind"] == "regression":
        return text(
            "summary.regression",
            step=step,
            n=perf["n"],
            mae=text.num(perf["mae"]),
            rmse=text.num(perf["rmse"]),
            r2=text.num(perf["r2"]),
        )
    counted = text.count(perf["correct"], perf["n"])
    if perf["interval"] is None:
        return text("summary.accuracy_few", step=step, counted=counted)
    return text(
        "summary.accuracy",
        step=step,
        counted=counted,
        interval=text.interval(*perf["interval"]),
    )


def relies_on(data: dict, text: Text) -> str:
    """The three units the model's output was most sensitive to."""
    importance = data["importance"]
    if not importance:
        return text("summary.no_attributions")
    top = importance["top"][:3]
    units = [
        text("unit_share", unit=common.unit_label(text, u), share=text.pct(u["share"]))
        for u in top
    ]
    key = (
        "summary.relies_regions"
        if importance["kind"] == "regions"
        else ("summary.relies_units")
    )
    return text(
        key,
        n=importance["n"],
        units=text.join(units),
        method=common.method_label(data, text, importance["method"]),
        baseline=common.baseline_phrase(data, text),
    )


def check_table(data: dict, text: Text) -> list:
    """One line per quality check: value, rule, status."""
    checks = data["quality"]["checks"]
    if not checks:
        return [Paragraph(text("summary.no_checks"))]
    rows = [
        [
            common.check_label(data, text, row),
            text.num(row["value"]),
            common.rule_text(text, row),
            common.status_word(text, row["status"]),
        ]
        for row in checks
    ]
    return [
        Table(
            [text("check"), text("value"), text("rule"), text("status")],
            rows,
            [row["status"] for row in checks],
            text("summary.checks_at", step=data["quality"]["step"]),
        )
    ]


def conclusion(data: dict, text: Text) -> str:
    """The conclusion: performance evidence, then quality evidence."""
    parts = []
    perf = data["performance"]
    if perf["kind"] == "classification" and perf["interval"]:
        near = any(f["key"] == "near_majority" for f in data["findings"])
        parts.append(
            text(
                "conclusion.near_majority" if near else "conclusion.above_majority",
                share=text.pct(perf["majority"]["share"]),
                name=common.class_name(data, perf["majority"]["class"]),
            )
        )
    elif perf["kind"] == "classification":
        parts.append(text("conclusion.few"))
    parts.append(_quality_conclusion(data, text))
    return " ".join(parts)


def _quality_conclusion(data: dict, text: Text) -> str:
    quality = data["quality"]
    statuses = [row["status"] for row in quality["checks"]]
    if not statuses:
        return text("conclusion.no_quality")
    counts = text(
        "conclusion.counts",
        passed=statuses.count("pass"),
        warned=statuses.count("warn"),
        failed=statuses.count("fail"),
        total=len(statuses),
        step=quality["step"],
    )
    return counts + " " + text(f"conclusion.{quality['status']}")
