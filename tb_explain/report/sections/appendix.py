"""Section 9, appendix: weights, metric formulas, glossary, full configuration."""

from __future__ import annotations

import datetime

from tb_explain.report import figures
from tb_explain.report.document import Bullets, Heading, Paragraph, Table
from tb_explain.report.sections import common, control
from tb_explain.report.text import Text

FORMULAS = (
    "accuracy",
    "wilson",
    "importance",
    "share",
    "spearman",
    "completeness",
    "baseline_gap",
    "deletion_gain",
    "insertion_gain",
    "randomisation",
    "stability",
)
SKIPPED_KEYS = {"description", "methods", "baselines", "target", "ids", "probe"}
MAX_LIST = 20


def write(data: dict, arrays: dict, text: Text) -> list:
    """Weights (with their caveat), formulas, glossary and configuration."""
    blocks = [
        Heading(text("appendix.weights")),
        Paragraph(text("appendix.not_explanations"), "note"),
    ]
    weights = data["weights"]
    if arrays.get("pictures") is not None:
        png = figures.weight_pictures(arrays["pictures"])
        blocks.append(
            common.figure("weights", png, text, data, "appendix.pictures_caption")
        )
    if weights["stats"]:
        blocks.append(_stats_table(weights, text))
    else:
        blocks.append(Paragraph(text("appendix.no_stats")))
    blocks += [
        Heading(text("appendix.formulas")),
        Bullets([text(f"formula.{key}") for key in FORMULAS]),
        Heading(text("appendix.glossary")),
        Bullets(text.items("glossary")),
        Heading(text("appendix.config")),
        Table(
            [text("setting"), text("value")],
            control.configuration_rows(data, text) + _config_rows(data, text),
        ),
    ]
    return blocks


def _stats_table(weights: dict, text: Text) -> Table:
    rows = [
        [
            str(row.get("layer", "")),
            str(row.get("class", "")),
            text.num(row.get("weight_norm")),
            text.num(row.get("weight_mean")),
            text.num(row.get("weight_std")),
            text.pct(row.get("dead_fraction")),
            text.num(row.get("grad_norm")),
        ]
        for row in weights["stats"]
    ]
    return Table(
        [
            text("layer"),
            text("layer_class"),
            text("appendix.norm"),
            text("appendix.mean"),
            text("appendix.std"),
            text("appendix.dead"),
            text("appendix.grad"),
        ],
        rows,
        caption=text("appendix.stats_caption", step=weights["step"]),
    )


def _config_rows(data: dict, text: Text) -> list[list[str]]:
    config = data["config"]
    rows = [[key, value] for key, value in _flatten(config, "", text)]
    for method in config.get("methods", []):
        options = method.get("options") or {}
        rows.append(
            [
                common.method_label(data, text, method.get("key", "")),
                ", ".join(f"{k}={_value(v, text)}" for k, v in sorted(options.items()))
                or "—",
            ]
        )
    return rows


def _flatten(value, prefix: str, text: Text):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SKIPPED_KEYS:
                continue
            yield from _flatten(item, f"{prefix}{key}.", text)
        return
    if isinstance(value, list) and value and isinstance(value[0], dict):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}{index}.", text)
        return
    key = prefix.rstrip(".")
    if key.endswith(("created", "wall_time")) and isinstance(value, (int, float)):
        yield key, _utc(value)  # a POSIX time: as a date, not 1.79635e+09
        return
    yield key, _value(value, text)


def _utc(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds")


def _value(value, text: Text) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return text("yes") if value else text("no")
    if isinstance(value, list):
        shown = [_value(v, text) for v in value[:MAX_LIST]]
        more = len(value) - len(shown)
        return ", ".join(shown) + (text("and_more", count=more) if more > 0 else "")
    if isinstance(value, (int, float)):
        return text.num(value, 6)
    return str(value)
