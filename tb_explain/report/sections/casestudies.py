"""Section 6, case studies: typical cases, confident mistakes, borderline ones."""

from __future__ import annotations

import numpy as np

from tb_explain.report import cases, figures, findings
from tb_explain.report.document import Bullets, Heading, Paragraph
from tb_explain.report.sections import common
from tb_explain.report.text import Text

FIGURE_UNITS = 8


def write(data: dict, arrays: dict, text: Text) -> list:
    """Each chosen case: facts, baseline, maps side by side, reasons."""
    chosen = data["cases"]
    blocks = [Paragraph(_intro(data, text))]
    if not chosen:
        return blocks
    if not any(c["kind"] == "mistake" for c in chosen):
        key = (
            "cases.no_labels" if not data["probe"]["has_labels"] else "cases.none_wrong"
        )
        blocks.append(Paragraph(text(key), "note"))
    for case in chosen:
        blocks += _case(data, arrays, case, text)
    return blocks


def _intro(data: dict, text: Text) -> str:
    kinds = [c["kind"] for c in data["cases"]]
    regression = data["task"]["task"] == "regression"
    return text(
        "cases.intro_regression" if regression else "cases.intro",
        typical=kinds.count("typical"),
        mistakes=text("cases.mistakes", count=kinds.count("mistake")),
        borderline=kinds.count("borderline"),
        n=data["probe"]["count"],
    )


def _case(data: dict, arrays: dict, case: dict, text: Text) -> list:
    blocks = [
        Heading(text(_heading_key(data, case), id=case["id"])),
        Paragraph(_outcome(data, case, text)),
        Paragraph(_baseline(data, case, text)),
    ]
    if data["methods"]:
        blocks.append(_figure(data, arrays, case, text))
        reasons = [_reason(data, r, text) for r in case["reasons"]]
        blocks.append(
            Paragraph(text("cases.reasons_intro", method=_method(data, text)))
        )
        blocks.append(Bullets(reasons))
    return blocks


def _heading_key(data: dict, case: dict) -> str:
    """The heading that the case's own numbers bear out.

    A mistake is called confident only at a probability of at least
    ``findings.CONFIDENT``, a case borderline only when the two most likely
    classes are within ``cases.BORDERLINE_MARGIN``; a regression's mistakes
    are its largest errors.
    """
    kind, predicted = case["kind"], case["predicted"]
    if kind == "mistake":
        if data["task"]["task"] == "regression":
            return "cases.heading.largest_error"
        confident = findings.number(predicted["probability"]) >= findings.CONFIDENT
        return (
            "cases.heading.confident_mistake" if confident else "cases.heading.mistake"
        )
    if kind == "borderline":
        close = findings.number(predicted["margin"]) <= cases.BORDERLINE_MARGIN
        return "cases.heading.borderline" if close else "cases.heading.least_certain"
    return f"cases.heading.{kind}"


def _method(data: dict, text: Text) -> str:
    return common.method_label(data, text, data["methods"][0])


def _outcome(data: dict, case: dict, text: Text) -> str:
    predicted = case["predicted"]
    if data["task"]["task"] == "regression":
        return text(
            "cases.regression",
            true=text("na")
            if case["true"] is None
            else ", ".join(text.num(v) for v in case["true"]),
            predicted=", ".join(text.num(v) for v in predicted["value"]),
        )
    true = (
        text("cases.unlabelled")
        if case["true"] is None
        else common.class_name(data, case["true"])
    )
    return text(
        "cases.outcome",
        true=true,
        predicted=common.class_name(data, predicted["class"]),
        probability=text.fixed(predicted["probability"], 3),
        margin=text.fixed(predicted["margin"], 3),
    )


def _baseline(data: dict, case: dict, text: Text) -> str:
    output = common.explained_output(data, text, case["target"])
    baseline = common.baseline_phrase(data, text)
    if case["baseline_output"] is None:
        return text(
            "cases.baseline_unknown",
            output=output,
            value=text.fixed(case["output"], 3),
            baseline=baseline,
        )
    return text(
        f"cases.baseline_{case['baseline_source']}",
        output=output,
        value=text.fixed(case["output"], 3),
        baseline=baseline,
        base_value=text.fixed(case["baseline_output"], 3),
    )


def _figure(data: dict, arrays: dict, case: dict, text: Text):
    index = case["index"]
    maps = {m: np.asarray(arrays["maps"][m][index]) for m in data["methods"]}
    titles = {
        m: common.drawable(text, common.method_label(data, text, m), m)
        for m in data["methods"]
    }
    titles["input"] = common.axis(text, "cases.input")
    scale = max(_largest(v) for v in maps.values()) or 1.0
    label = common.axis(text, "axis.attribution")
    if data["importance"] and data["importance"]["kind"] == "regions":
        png = figures.image_case(arrays["inputs"][index], maps, titles, scale, label)
    else:
        primary = maps[data["methods"][0]].reshape(-1)
        units = np.argsort(-np.abs(np.nan_to_num(primary)))[:FIGURE_UNITS]
        names = [_unit_name(data, int(u), text) for u in units]
        values = {m: v.reshape(-1)[units] for m, v in maps.items()}
        png = figures.tabular_case(names, values, titles, label)
    return common.figure(
        f"case-{index}",
        png,
        text,
        data,
        "cases.figure_caption",
        id=case["id"],
        scale=text.num(scale),
        output=common.explained_output(data, text, case["target"]),
    )


def _unit_name(data: dict, unit: int, text: Text) -> str:
    names = data["task"]["feature_names"]
    if names and unit < len(names):
        return str(names[unit])
    key = "unit.feature" if data["task"]["modality"] == "tabular" else "unit.position"
    return text(key, index=unit)


def _reason(data: dict, reason: dict, text: Text) -> str:
    direction = text(
        {1: "cases.up", -1: "cases.down", 0: "cases.flat"}[int(reason["sign"])]
    )
    share = text.pct(reason["share"])
    if reason["kind"] == "region":
        return text(
            "cases.reason_region",
            region=common.unit_label(text, reason),
            share=share,
            direction=direction,
        )
    value = reason.get("value")
    return text(
        "cases.reason_unit" if value is not None else "cases.reason_unit_novalue",
        unit=common.unit_label(text, reason),
        value=text.num(value) if value is not None else "",
        share=share,
        direction=direction,
    )


def _largest(values) -> float:
    """The largest finite ``|value|`` (0 when none is finite)."""
    finite = np.abs(np.asarray(values, np.float64))
    finite = finite[np.isfinite(finite)]
    return float(finite.max()) if finite.size else 0.0
