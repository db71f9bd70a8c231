"""Section 0, document control: what was explained, when, with what."""

from __future__ import annotations

from tb_explain.report.document import Heading, Paragraph, Table
from tb_explain.report.sections import common
from tb_explain.report.text import Text

VERSION_KEYS = ("report", "tb_explain", "tensorflow", "keras", "python")


def write(data: dict, arrays: dict, text: Text) -> list:
    """Run, step, date, versions, fingerprints and the callback's settings."""
    steps = data["steps"]
    rows = [
        [text("control.run"), data["run"]],
        [text("control.step"), common.step_phrase(data, text)],
        [
            text("control.steps"),
            text(
                "control.steps_value", count=len(steps), first=steps[0], last=steps[-1]
            ),
        ],
        [text("control.generated"), data["generated"]],
    ]
    for key in VERSION_KEYS:
        value = data["versions"].get(key)
        if value is not None:
            rows.append([text(f"control.version.{key}"), str(value)])
    rows += [
        [text("control.weights_sha"), data.get("weights_sha256") or text("na")],
        [text("control.data_sha"), data["data_sha256"]],
        [text("control.schema"), str(data["report_schema_version"])],
    ]
    return [
        Table([text("field"), text("value")], rows),
        Paragraph(text("control.note"), "note"),
        Heading(text("control.config")),
        Table([text("setting"), text("value")], configuration_rows(data, text)),
    ]


def configuration_rows(data: dict, text: Text) -> list[list[str]]:
    """The callback's settings as rows of words."""
    config = data["config"]
    methods = [common.method_label(data, text, m) for m in data["configured_methods"]]
    batches = config.get("every_n_batches")
    quality = config.get("quality")
    return [
        [text("config.methods"), text.join(methods)],
        [text("config.every_n_epochs"), text.num(config.get("every_n_epochs"))],
        [
            text("config.every_n_batches"),
            text("off") if batches is None else text.num(batches),
        ],
        [text("config.target"), target_phrase(data, text)],
        [text("config.baselines"), common.baseline_phrase(data, text)],
        [
            text("config.quality"),
            text(
                "config.quality_on" if quality else "off",
                every=config.get("quality_every_n_epochs"),
            ),
        ],
        [text("config.probe"), text.num(data["probe"]["count"])],
        [text("config.modality"), text(f"modality.{data['task']['modality']}")],
        [text("config.task"), text(f"task.{data['task']['task']}")],
    ]


def target_phrase(data: dict, text: Text) -> str:
    """The callback's target policy in words."""
    target = data["config"].get("target")
    if data["task"]["task"] == "binary" and data["task"]["n_outputs"] == 1:
        # One sigmoid output is P(class 1), whatever the policy.
        return text("target.sigmoid", name=common.class_name(data, 1))
    if target in ("predicted", "true"):
        return text(f"target.{target}")
    return text("target.fixed", name=common.class_name(data, target))
