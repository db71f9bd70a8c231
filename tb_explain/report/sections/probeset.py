"""Section 3, the probe set: size, class balance, how chosen, ids."""

from __future__ import annotations

from tb_explain.report.document import Paragraph, Table
from tb_explain.report.sections import common
from tb_explain.report.text import Text

MAX_IDS = 256


def write(data: dict, arrays: dict, text: Text) -> list:
    """How many samples, which classes, how chosen, which ids."""
    probe = data["probe"]
    blocks = [
        Paragraph(text("probe.count", n=probe["count"], steps=len(data["steps"]))),
        Paragraph(text("probe.chosen")),
    ]
    if probe["class_counts"] is not None:
        blocks += _balance(data, probe, text)
    elif probe["label_range"] is not None:
        low, median, high = probe["label_range"]
        blocks.append(
            Paragraph(
                text(
                    "probe.label_range",
                    low=text.num(low),
                    median=text.num(median),
                    high=text.num(high),
                )
            )
        )
    else:
        blocks.append(Paragraph(text("probe.no_labels")))
    ids = probe["ids"]
    blocks.append(
        Paragraph(text("probe.ids", ids=text.truncated(ids, MAX_IDS)), "note")
    )
    return blocks


def _balance(data: dict, probe: dict, text: Text) -> list:
    counts = probe["class_counts"]
    total = probe["count"]
    rows = [
        [common.class_name(data, c), text.count(count, total)]
        for c, count in enumerate(counts)
    ]
    largest = max(range(len(counts)), key=counts.__getitem__)
    smallest = min(range(len(counts)), key=counts.__getitem__)
    absent = [common.class_name(data, c) for c, n in enumerate(counts) if n == 0]
    balanced = counts[largest] == counts[smallest]
    sentences = [
        text("probe.balanced", count=counts[largest], classes=len(counts))
        if balanced
        else text(
            "probe.balance",
            large=common.class_name(data, largest),
            large_count=text.count(counts[largest], total),
            small=common.class_name(data, smallest),
            small_count=text.count(counts[smallest], total),
        )
    ]
    if absent:
        sentences.append(text("probe.absent", names=text.truncated(absent, 10)))
    return [
        Table([text("class"), text("samples")], rows),
        Paragraph(" ".join(sentences)),
    ]
