"""Section 8, limitations: warnings found in the data, then fixed caveats."""

from __future__ import annotations

from tb_explain.report.document import Bullets, Heading, Paragraph
from tb_explain.report.sections import common
from tb_explain.report.text import Text


def write(data: dict, arrays: dict, text: Text) -> list:
    """The data's own warnings, most severe first, then the fixed caveats."""
    found = [finding_text(data, text, f) for f in data["findings"]]
    blocks = [Heading(text("limits.found"))]
    if found:
        blocks.append(Bullets(found))
    else:
        blocks.append(Paragraph(text("limits.none_found")))
    blocks.append(Heading(text("limits.fixed")))
    caveats = text.items("limits.caveats")
    caveats.insert(
        1, text("limits.baseline", baseline=common.baseline_phrase(data, text))
    )
    blocks.append(Bullets(caveats))
    return blocks


def finding_text(data: dict, text: Text, finding: dict) -> str:
    """One finding of :mod:`tb_explain.report.findings` as a sentence."""
    key = finding["key"]
    params = dict(_params(data, text, finding))
    return text(f"finding.{key}", **params)


def _params(data: dict, text: Text, finding: dict):
    if finding["key"] in ("check_outside", "check_status"):
        yield "check", common.check_label(data, text, finding)
        yield "counted", text.count(finding["count"], finding["n"])
        yield "status", common.status_word(text, finding["status"])
        yield "threshold", text.num(finding.get("threshold"))
    if "n" in finding:
        yield "n", finding["n"]
    if finding["key"] == "near_majority":
        yield "name", common.class_name(data, finding["class"])
        yield "share", text.pct(finding["share"])
    if finding["key"] in ("confident_mistakes", "imbalance"):
        yield "count", finding.get("count")
        yield "low", finding.get("low")
        yield "high", finding.get("high")
    if finding["key"] == "low_agreement":
        labels = [common.method_label(data, text, m) for m in finding["methods"]]
        yield "methods", text.join(labels)
        yield "mean", text.fixed(finding["mean"], 2)
        yield "counted", text.count(finding["n_agree"], finding["n"])
    if finding["key"] == "importance_changed":
        yield "method", common.method_label(data, text, finding["method"])
        yield "rho", text.fixed(finding["rho"], 2)
        yield "first", finding["first_step"]
        yield "step", finding["step"]
    if finding["key"] == "methods_missing":
        labels = [common.method_label(data, text, m) for m in finding["methods"]]
        yield "methods", text.join(labels)
        yield "step", data["step"]
    if finding["key"] == "val_loss_rising":
        yield "low", text.num(finding["low"])
        yield "low_step", finding["low_step"]
        yield "last", text.num(finding["last"])
        yield "last_step", finding["last_step"]
