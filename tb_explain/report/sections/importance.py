"""Section 5, what drives decisions: global importance, change, agreement."""

from __future__ import annotations

import numpy as np

from tb_explain.report import figures
from tb_explain.report.document import Bullets, Heading, Paragraph, Table
from tb_explain.report.sections import common
from tb_explain.report.text import Text

CHANGE_WORDS = ((0.8, "drift.stable"), (0.5, "drift.moderate"), (-2.0, "drift.large"))


def write(data: dict, arrays: dict, text: Text) -> list:
    """Importance over the probe, per class, over training, across methods."""
    importance = data["importance"]
    if not importance:
        return [Paragraph(text("summary.no_attributions"))]
    method = common.method_label(data, text, importance["method"])
    blocks = [
        Paragraph(
            text(
                "drivers.intro",
                n=importance["n"],
                method=method,
                baseline=common.baseline_phrase(data, text),
            )
        )
    ]
    if importance["kind"] == "regions":
        blocks += _image_importance(data, arrays, importance, text)
    else:
        blocks += _unit_importance(data, importance, text)
    blocks += _drift(data, text)
    blocks += _agreement(data, text)
    return blocks


def _unit_importance(data: dict, importance: dict, text: Text) -> list:
    top = importance["top"]
    names = [common.unit_label(text, u) for u in top]
    png = figures.importance_bars(
        names, [u["share"] for u in top], common.axis(text, "axis.share")
    )
    blocks = [
        common.figure(
            "importance",
            png,
            text,
            data,
            "drivers.bars_caption",
            count=len(top),
            units=importance["units"],
        )
    ]
    counts = importance.get("top_counts")
    if counts:
        unit = next(u for u in top if u["unit"] == counts["unit"])
        blocks.append(
            Paragraph(
                text(
                    "drivers.top_counts",
                    unit=common.unit_label(text, unit),
                    counted=text.count(counts["count"], counts["n"]),
                )
            )
        )
    if importance["per_class"]:
        blocks.append(_per_class_table(data, importance, text))
    return blocks


def _per_class_table(data: dict, importance: dict, text: Text) -> Table:
    rows = [
        [
            common.class_name(data, row["class"]),
            str(row["n"]),
            text.join(
                [
                    text(
                        "unit_share",
                        unit=common.unit_label(text, u),
                        share=text.pct(u["share"]),
                    )
                    for u in row["top"]
                ]
            ),
        ]
        for row in importance["per_class"]
    ]
    return Table(
        [text("class"), text("samples"), text("drivers.top3")],
        rows,
        caption=text(f"drivers.per_class_by_{importance['per_class_by']}"),
    )


def _image_importance(data: dict, arrays: dict, importance: dict, text) -> list:
    rows = arrays["importance"][importance["method"]]
    titles = [common.drawable(text, text("drivers.all"), "Σ")] + [
        common.class_name(data, c) for c in range(rows.shape[0] - 1)
    ]
    if not np.isfinite(np.asarray(rows, np.float64)).any():
        # A diverged model: no finite map to draw; the findings say so.
        return [Paragraph(text("drivers.no_finite_maps"), "note")]
    png = figures.class_maps(rows, titles, common.axis(text, "axis.mean_abs"))
    regions = [
        text("unit_share", unit=common.unit_label(text, r), share=text.pct(r["share"]))
        for r in importance["top"][:3]
    ]
    return [
        common.figure("class_maps", png, text, data, "drivers.maps_caption"),
        Paragraph(
            text("drivers.regions", n=importance["n"], regions=text.join(regions))
        ),
    ]


def _drift(data: dict, text: Text) -> list:
    rows = data["drift"]
    blocks = [Heading(text("drivers.drift"))]
    if not rows:
        return blocks + [Paragraph(text("drivers.no_drift"))]
    sentences = []
    for row in rows:
        rho = row["rho"]
        word = next(k for limit, k in CHANGE_WORDS if rho is None or rho >= limit)
        sentences.append(
            text(
                "drivers.drift_row",
                method=common.method_label(data, text, row["method"]),
                first=row["first_step"],
                step=row["step"],
                rho=text.fixed(rho, 2),
                change=text(word) if rho is not None else text("na"),
                top=text.join([common.unit_label(text, u) for u in row["top_first"]]),
            )
        )
    return blocks + [Bullets(sentences)]


def _agreement(data: dict, text: Text) -> list:
    rows = data["agreement"]
    blocks = [Heading(text("drivers.agreement"))]
    if not rows:
        return blocks + [Paragraph(text("drivers.one_method"))]
    table_rows = [
        [
            text.join([common.method_label(data, text, m) for m in row["methods"]]),
            text.fixed(row["mean"], 2),
            text.count(row["n_agree"], row["n"]),
        ]
        for row in rows
    ]
    return blocks + [
        Table(
            [text("drivers.pair"), text("drivers.mean_rho"), text("drivers.n_agree")],
            table_rows,
            caption=text("drivers.agreement_caption", step=data["step"]),
        )
    ]
