"""Section 4, performance on the probe set."""

from __future__ import annotations

from tb_explain.report import figures
from tb_explain.report.document import Paragraph, Table
from tb_explain.report.sections import common, overview
from tb_explain.report.text import Text


def write(data: dict, arrays: dict, text: Text) -> list:
    """Accuracy and its interval, confusion matrix, per-class results."""
    perf = data["performance"]
    if perf["kind"] == "none":
        return [Paragraph(text("summary.no_labels"))]
    if perf["kind"] == "regression":
        return _regression(data, perf, text)
    blocks = [Paragraph(overview.headline(data, text))]
    sentences = [
        text(
            "perf.majority",
            name=common.class_name(data, perf["majority"]["class"]),
            share=text.pct(perf["majority"]["share"]),
        )
    ]
    if perf["first"]:
        first = perf["first"]
        sentences.append(
            text(
                "perf.first",
                step=first["step"],
                counted=text.count(first["correct"], perf["n"]),
            )
        )
    if perf["n"] < 30:
        sentences.append(text("perf.weak", n=perf["n"]))
    blocks.append(Paragraph(" ".join(sentences)))
    blocks.append(_confusion(data, perf, text))
    blocks.append(_per_class(data, perf, text))
    blocks.append(Paragraph(_top_confusion(data, perf, text)))
    return blocks


def _regression(data: dict, perf: dict, text: Text) -> list:
    rows = [
        [text("metric.mae"), text.num(perf["mae"])],
        [text("metric.rmse"), text.num(perf["rmse"])],
        [text("metric.r2"), text.num(perf["r2"])],
    ]
    return [
        Paragraph(overview.headline(data, text)),
        Table([text("metric"), text("value")], rows),
    ]


def _confusion(data: dict, perf: dict, text: Text):
    names = [common.class_name(data, c) for c in range(len(perf["confusion"]))]
    png = figures.confusion(
        perf["confusion"],
        names,
        common.axis(text, "axis.predicted"),
        common.axis(text, "axis.true"),
    )
    return common.figure(
        "confusion", png, text, data, "perf.confusion_caption", n=perf["n"]
    )


def _per_class(data: dict, perf: dict, text: Text) -> Table:
    rows = []
    for row in perf["per_class"]:
        precision = (
            text.count(row["hits"], row["predicted"])
            if row["predicted"]
            else text("na")
        )
        recall = (
            text.count(row["hits"], row["support"]) if row["support"] else text("na")
        )
        rows.append(
            [
                common.class_name(data, row["class"]),
                str(row["support"]),
                precision,
                recall,
            ]
        )
    return Table(
        [text("class"), text("samples"), text("precision"), text("recall")],
        rows,
        caption=text("perf.per_class_caption"),
    )


def _top_confusion(data: dict, perf: dict, text: Text) -> str:
    top = perf["top_confusion"]
    if top is None:
        return text("perf.no_confusion", n=perf["n"])
    mistakes = perf["n"] - perf["correct"]
    return text(
        "perf.top_confusion",
        true=common.class_name(data, top["true"]),
        predicted=common.class_name(data, top["predicted"]),
        counted=text.count(top["count"], mistakes),
    )
