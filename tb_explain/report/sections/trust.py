"""Section 7, how far to trust these explanations: each quality check."""

from __future__ import annotations

from tb_explain.report import figures
from tb_explain.report.document import Bullets, Heading, Paragraph, Table
from tb_explain.report.sections import common
from tb_explain.report.text import Text

PERTURBATION = ("deletion", "insertion")


def write(data: dict, arrays: dict, text: Text) -> list:
    """The checks' values, rules and verdicts, and what they rest on."""
    quality = data["quality"]
    if quality["step"] is None:
        return [Paragraph(text("trust.none"))]
    blocks = [Paragraph(text("trust.intro", step=quality["step"]))]
    checks = quality["checks"]
    if checks:
        blocks.append(_table(data, checks, text))
        blocks.append(Bullets([_outside(data, row, text) for row in checks]))
    if _has_perturbation(quality):
        blocks.append(
            Paragraph(text("trust.fill", fill=common.fill_phrase(data, text)))
        )
    if arrays["quality"]:
        blocks.append(_histograms(data, arrays["quality"], checks, text))
    if quality["info"]:
        blocks += _info(data, quality["info"], text)
    return blocks


def _table(data: dict, checks: list, text: Text) -> Table:
    rows = []
    for row in checks:
        interval = row.get("interval") or [None, None]
        rows.append(
            [
                common.check_label(data, text, row),
                text.num(row["value"]),
                text("range", low=text.num(interval[0]), high=text.num(interval[1])),
                text.num(row.get("n")),
                common.rule_text(text, row),
                common.status_word(text, row["status"]),
            ]
        )
    return Table(
        [
            text("check"),
            text("value"),
            text("interval95"),
            text("samples"),
            text("rule"),
            text("status"),
        ],
        rows,
        [row["status"] for row in checks],
    )


def _outside(data: dict, row: dict, text: Text) -> str:
    check = common.check_label(data, text, row)
    if row.get("n") == 0:
        # Every sample was left out (stability and randomisation compare only
        # maps of the same explained class).
        return text("trust.none_compared", check=check)
    if row.get("n_warn") is None or not row.get("n"):
        return text("trust.no_counts", check=check)
    outside = (row.get("n_warn") or 0) + (row.get("n_fail") or 0)
    return text(
        "trust.outside",
        check=check,
        counted=text.count(outside, row["n"]),
        failing=row.get("n_fail") or 0,
    )


def _has_perturbation(quality: dict) -> bool:
    rows = quality["checks"] + quality["info"]
    return any(str(r["metric"]).startswith(PERTURBATION) for r in rows)


def _histograms(data: dict, values: dict, checks: list, text: Text):
    by_key = {f"{r['metric']}/{r['method']}": r for r in checks}
    titles = {
        k: common.drawable(text, common.check_label(data, text, by_key[k]), k)
        for k in values
    }
    thresholds = {k: by_key[k].get("threshold") for k in values}
    png = figures.quality_histograms(values, titles, thresholds)
    caption_data = dict(data, step=data["quality"]["step"])
    return common.figure("quality", png, text, caption_data, "trust.hist_caption")


def _info(data: dict, rows: list, text: Text) -> list:
    table_rows = [
        [common.check_label(data, text, row), text.num(row["value"]), str(row.get("n"))]
        for row in rows
    ]
    return [
        Heading(text("trust.info")),
        Table([text("check"), text("value"), text("samples")], table_rows),
    ]
