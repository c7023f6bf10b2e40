"""Static PNG charts for the report emails and PDFs (matplotlib, Agg backend: no display, no JavaScript).

The pages draw the same figures with plotly; mail clients and PDF files need plain images. Labels may be
Chinese, so the CJK font (Debian fonts-wqy-microhei) is put first in matplotlib's sans-serif list."""

from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
COLOURS = ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf")
DPI = 110


def _font_setup() -> None:
    """Register the first CJK font found and put it ahead of the defaults (once per process)."""
    families = []
    for path in CJK_FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            families.append(font_manager.FontProperties(fname=path).get_name())
            break
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = families + ["DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False


_font_setup()


def _png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def bar_line_png(
    *, labels: list[str], bars: list[float], line: list[float], title: str, bar_label: str, line_label: str
) -> bytes:
    """Bars (e.g. daily GMV) with a line on a second axis (e.g. orders)."""
    figure = Figure(figsize=(7.5, 3.2))
    axes = figure.subplots()
    positions = list(range(len(labels)))
    axes.bar(positions, bars, color=COLOURS[0], label=bar_label)
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_ylabel(bar_label)
    axes.set_title(title, fontsize=11)
    axes.spines[["top"]].set_visible(False)
    second = axes.twinx()
    second.plot(positions, line, color=COLOURS[1], marker="o", label=line_label)
    second.set_ylabel(line_label)
    second.set_ylim(bottom=0)
    handles = axes.get_legend_handles_labels()[0] + second.get_legend_handles_labels()[0]
    figure.legend(handles, [bar_label, line_label], loc="lower center", ncols=2, fontsize=8, frameon=False)
    figure.subplots_adjust(bottom=0.22)
    return _png(figure)


def horizontal_bars_png(*, labels: list[str], values: list[float], title: str, value_label: str) -> bytes:
    """One bar per label, largest on top (e.g. GMV by channel)."""
    figure = Figure(figsize=(7.5, 0.5 + 0.45 * max(len(labels), 1)))
    axes = figure.subplots()
    order = list(reversed(range(len(labels))))
    axes.barh(
        [labels[i] for i in order],
        [values[i] for i in order],
        color=[COLOURS[i % len(COLOURS)] for i in order],
    )
    axes.set_xlabel(value_label)
    axes.set_title(title, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def lines_png(*, labels: list[str], series: dict[str, list[float]], title: str, value_label: str) -> bytes:
    """Several lines over the same x labels (e.g. this week's days against the same days before)."""
    figure = Figure(figsize=(7.5, 3.0))
    axes = figure.subplots()
    positions = list(range(len(labels)))
    for index, (name, values) in enumerate(series.items()):
        axes.plot(positions, values, marker="o", color=COLOURS[index % len(COLOURS)], label=name)
    axes.set_xticks(positions, labels, fontsize=8)
    axes.set_ylabel(value_label)
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=11)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
