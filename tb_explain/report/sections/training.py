"""Section 2, model and training: architecture, optimizer, loss, curves."""

from __future__ import annotations

from tb_explain.report import figures
from tb_explain.report.document import Bullets, Heading, Paragraph, Table
from tb_explain.report.sections import common
from tb_explain.report.text import Text


def write(data: dict, arrays: dict, text: Text) -> list:
    """The model's layers and settings, then its training curves."""
    model = data["model"]
    if not model:
        return [Paragraph(text("model.none"))]
    layers = model.get("layers") or []
    blocks = [
        Paragraph(
            text(
                "model.size",
                name=model.get("name") or "",
                kind=model.get("class") or "",
                total=text.num(model.get("total_params")),
                trainable=text.num(model.get("trainable_params")),
                layers=len(layers),
            )
        ),
        Table(
            [
                text("layer"),
                text("layer_class"),
                text("output_shape"),
                text("parameters"),
                text("activation"),
            ],
            [_layer_row(layer, text) for layer in layers],
        ),
        Paragraph(_settings(model, text)),
        Paragraph(_regularisation(layers, text)),
    ]
    return blocks + _training(data, text)


def _layer_row(layer: dict, text: Text) -> list[str]:
    shape = layer.get("output_shape")
    shape_text = (
        "(" + ", ".join("·" if d is None else str(d) for d in shape) + ")"
        if isinstance(shape, list)
        else text("na")
    )
    return [
        str(layer.get("name", "")),
        str(layer.get("class", "")),
        shape_text,
        text.num(layer.get("params")),
        str(layer.get("activation") or "—"),
    ]


def _settings(model: dict, text: Text) -> str:
    optimizer = model.get("optimizer") or {}
    rate = (optimizer.get("config") or {}).get("learning_rate")
    return text(
        "model.settings",
        optimizer=optimizer.get("name") or text("na"),
        rate=text.num(rate) if isinstance(rate, (int, float)) else text("na"),
        loss=str(model.get("loss") or text("na")),
        metrics=text.join([str(m) for m in model.get("metrics") or []]) or text("none"),
    )


def _regularisation(layers: list, text: Text) -> str:
    found = [
        text("model.reg_item", layer=layer.get("name", ""), what=", ".join(regs))
        for layer in layers
        if (regs := [str(r) for r in layer.get("regularizers") or []])
    ]
    if not found:
        return text("model.no_regularisation")
    return text("model.regularisation", items=text.join(found))


def _training(data: dict, text: Text) -> list:
    logs = {name: points for name, points in data["training"]["logs"].items() if points}
    epochs = data["training"]["epochs"]
    blocks = [Heading(text("model.training"))]
    if epochs is not None:
        blocks.append(
            Paragraph(
                text(
                    "model.epochs",
                    epochs=epochs,
                    count=len(data["steps"]),
                    step=common.step_phrase(data, text),
                )
            )
        )
    if not logs:
        blocks.append(Paragraph(text("model.no_logs")))
        return blocks
    png = figures.training_curves(logs, data["step"], common.axis(text, "axis.step"))
    blocks.append(common.figure("training", png, text, data, "model.curves_caption"))
    blocks.append(
        Bullets([_change(name, points, text) for name, points in logs.items()])
    )
    return blocks


def _log_name(name: str, text: Text) -> str:
    """A Keras log name in words: the catalogue's, else the metric's, with
    "validation" for a ``val_`` prefix; the raw name when neither knows it."""
    known = text.get(f"log.{name}", "")
    if known:
        return known
    validation = name.startswith("val_")
    base = name[4:] if validation else name
    words = text.get(f"metric.{base}", base)
    return text("log.validation_of", name=words) if validation else words


def _change(name: str, points: list, text: Text) -> str:
    (first_step, first), (last_step, last) = points[0], points[-1]
    if len(points) == 1:
        return text(
            "model.one_point",
            name=_log_name(name, text),
            value=text.num(first),
            step=first_step,
        )
    return text(
        "model.change",
        name=_log_name(name, text),
        first=text.num(first),
        first_step=first_step,
        last=text.num(last),
        last_step=last_step,
    )
