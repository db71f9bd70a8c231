"""Figures of the report, drawn with matplotlib's Agg canvas into PNG bytes.

No pyplot: each figure is a :class:`matplotlib.figure.Figure` on its own Agg
canvas, so drawing is safe inside TensorBoard's threads. Colour maps match
the Explain tab: a diverging map for signed attributions (red raises the
explained output, blue lowers it), a sequential one for magnitudes.

The words on a figure (axis labels) come from the caller, in the report's
language; when no installed font can draw that language, figures keep only
numbers and names and the captions carry the words (see :func:`can_draw`).
"""

from __future__ import annotations

import functools
import io
import logging
import warnings

import numpy as np

logger = logging.getLogger(__name__)

SIGNED_CMAP = "RdBu_r"
MAGNITUDE_CMAP = "inferno"
INPUT_CMAP = "gray"
DPI = 96
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)


def _figure(width: float, height: float, **margins):
    """A figure on its own Agg canvas; ``margins`` go to ``subplots_adjust``.

    Fixed margins instead of constrained layout: it halves the drawing time.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(**margins)
    return figure


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Names from the data may hold characters no installed font draws;
        # they show as boxes, which is all a figure can do without the font.
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def can_draw(lang: str) -> bool:
    """Whether figure words in ``lang`` can be drawn with an installed font."""
    return lang == "en" or _cjk_font() is not None


def _font_context():
    import matplotlib

    families = [f for f in (_cjk_font(), "DejaVu Sans") if f]
    return matplotlib.rc_context({"font.family": families, "font.size": 9})


def training_curves(logs: dict, step: int, xlabel: str) -> bytes:
    """Keras logs over steps: losses left, other metrics right; ``step`` marked."""
    groups = [
        {n: v for n, v in logs.items() if "loss" in n},
        {n: v for n, v in logs.items() if "loss" not in n},
    ]
    groups = [g for g in groups if g]
    with _font_context():
        figure = _figure(7.2, 2.8, left=0.08, right=0.98, bottom=0.17, wspace=0.25)
        axes = figure.subplots(1, len(groups), squeeze=False)[0]
        for ax, group in zip(axes, groups):
            for name, points in sorted(group.items()):
                steps, values = zip(*points)
                ax.plot(steps, values, marker="o", markersize=3, label=name)
            ax.axvline(step, color="0.4", linestyle="--", linewidth=1)
            ax.set_xlabel(xlabel)
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
        return _png(figure)


def confusion(matrix: list, class_names: list[str], xlabel: str, ylabel: str):
    """The confusion matrix with counts in the cells."""
    matrix = np.asarray(matrix)
    n = len(matrix)
    size = min(2.2 + 0.45 * n, 7.0)
    with _font_context():
        figure = _figure(
            size + 0.6, size, left=1.3 / (size + 0.6), bottom=1.1 / size, top=0.97
        )
        ax = figure.subplots()
        ax.imshow(matrix, cmap="Blues")
        ticks = range(n)
        ax.set_xticks(ticks, [_short(c) for c in class_names[:n]], rotation=45)
        ax.set_yticks(ticks, [_short(c) for c in class_names[:n]])
        limit = matrix.max() or 1
        for (row, col), value in np.ndenumerate(matrix):
            colour = "white" if value > limit / 2 else "black"
            ax.text(col, row, str(value), ha="center", va="center", color=colour)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        return _png(figure)


def _short(name: str, limit: int = 18) -> str:
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def importance_bars(names: list[str], shares: list[float], xlabel: str) -> bytes:
    """Horizontal bars of each unit's share of the mean ``|attribution|``."""
    with _font_context():
        height = 0.6 + 0.28 * len(names)
        figure = _figure(6.4, height, left=0.3, right=0.97, bottom=0.45 / height)
        ax = figure.subplots()
        positions = np.arange(len(names))[::-1]
        ax.barh(positions, [100 * s for s in shares], color="#c0392b")
        ax.set_yticks(positions, [_short(n, 28) for n in names])
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
        return _png(figure)


def class_maps(rows: np.ndarray, titles: list[str], label: str) -> bytes:
    """Average ``|attribution|`` maps (overall, then per class), one scale."""
    rows = np.asarray(rows, np.float64)
    keep = [i for i in range(len(rows)) if np.isfinite(rows[i]).any()]
    columns = min(6, len(keep))
    lines = -(-len(keep) // columns)
    high = float(np.nanmax(rows[keep])) or 1.0
    with _font_context():
        figure = _figure(1.3 * columns + 0.8, 1.45 * lines + 0.2, left=0.02, right=0.85)
        axes = figure.subplots(lines, columns, squeeze=False)
        image = None
        for ax, i in zip(axes.flat, keep):
            image = ax.imshow(rows[i], cmap=MAGNITUDE_CMAP, vmin=0, vmax=high)
            ax.set_title(_short(titles[i], 14), fontsize=8)
        for ax in axes.flat:
            ax.set_axis_off()
        figure.colorbar(image, ax=list(axes.flat), fraction=0.04, label=label)
        return _png(figure)


def image_case(image, maps: dict, titles: dict, scale: float, label: str):
    """An image case: the input, then each method's signed map on ±``scale``."""
    with _font_context():
        figure = _figure(1.6 * (len(maps) + 1) + 0.9, 1.9, left=0.02, right=0.88)
        axes = figure.subplots(1, len(maps) + 1, squeeze=False)[0]
        axes[0].imshow(_as_picture(image), cmap=INPUT_CMAP)
        axes[0].set_title(titles.get("input", ""), fontsize=8)
        mapped = None
        for ax, (method, values) in zip(axes[1:], maps.items()):
            mapped = ax.imshow(values, cmap=SIGNED_CMAP, vmin=-scale, vmax=scale)
            ax.set_title(_short(titles.get(method, method), 22), fontsize=8)
        for ax in axes:
            ax.set_axis_off()
        if mapped is not None:
            figure.colorbar(mapped, ax=list(axes), fraction=0.04, label=label)
        return _png(figure)


def _as_picture(image) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        return image[..., 0]
    if image.ndim == 3 and image.shape[-1] not in (3, 4):
        return image.mean(axis=-1)
    return image


def tabular_case(names: list[str], values: dict, titles: dict, label: str):
    """A tabular case: each method's signed attributions of the same units."""
    limit = max((float(np.max(np.abs(v))) for v in values.values()), default=1.0)
    limit = limit or 1.0
    with _font_context():
        height = 0.8 + 0.3 * len(names)
        figure = _figure(
            2.4 * len(values) + 1.6, height, left=0.22, right=0.97, bottom=0.5 / height
        )
        axes = figure.subplots(1, len(values), squeeze=False, sharey=True)[0]
        positions = np.arange(len(names))[::-1]
        for ax, (method, bars) in zip(axes, values.items()):
            colours = ["#c0392b" if b >= 0 else "#2e6da4" for b in bars]
            ax.barh(positions, bars, color=colours)
            ax.set_xlim(-1.05 * limit, 1.05 * limit)
            ax.axvline(0, color="0.3", linewidth=0.8)
            ax.set_title(_short(titles.get(method, method), 24), fontsize=8)
            ax.set_xlabel(label)
        axes[0].set_yticks(positions, [_short(n, 24) for n in names])
        return _png(figure)


def quality_histograms(values: dict, titles: dict, thresholds: dict) -> bytes:
    """Per-sample values of each quality check, with its pass threshold."""
    keys = list(values)
    columns = min(3, len(keys))
    lines = -(-len(keys) // columns)
    with _font_context():
        figure = _figure(2.6 * columns + 0.4, 2.0 * lines + 0.2, hspace=0.5, wspace=0.3)
        axes = figure.subplots(lines, columns, squeeze=False)
        for ax, key in zip(axes.flat, keys):
            finite = values[key][np.isfinite(values[key])]
            ax.hist(finite, bins=20, color="#5b7fa6")
            if thresholds.get(key) is not None:
                ax.axvline(thresholds[key], color="#c0392b", linestyle="--")
            ax.set_title(_short(titles.get(key, key), 36), fontsize=8)
        for ax in list(axes.flat)[len(keys) :]:
            ax.set_axis_off()
        return _png(figure)


def weight_pictures(pictures: np.ndarray, limit: int = 32) -> bytes:
    """First-layer weights as small pictures, each on its own symmetric scale."""
    pictures = np.asarray(pictures, np.float64)[:limit]
    columns = min(8, len(pictures))
    lines = -(-len(pictures) // columns)
    with _font_context():
        figure = _figure(0.9 * columns, 0.9 * lines, left=0, right=1, bottom=0, top=1)
        axes = figure.subplots(lines, columns, squeeze=False)
        for ax, picture in zip(axes.flat, pictures):
            picture = picture.mean(axis=-1) if picture.ndim == 3 else picture
            bound = float(np.nanmax(np.abs(picture))) or 1.0
            ax.imshow(picture, cmap=SIGNED_CMAP, vmin=-bound, vmax=bound)
        for ax in axes.flat:
            ax.set_axis_off()
        return _png(figure)
