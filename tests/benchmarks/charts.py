"""A few PNG bar charts for docs/benchmarks.md, drawn with Pillow (matplotlib is not installed).

Each chart: one group of bars per data size, one colour per series, values written on the
bars, so the growth of each cost with the data is visible at a glance.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 50, 90
COLOURS = ["#1f5fa8", "#d9822b", "#3a8f4b", "#8e44ad", "#7f7f7f"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _font(size: int):
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


def bar_chart(path: Path, title: str, sizes: list[int], series: dict, unit: str, log=False):
    """series: name -> one value (or None) per size."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    small, normal = _font(12), _font(15)
    draw.text((MARGIN_LEFT, 15), title, fill="black", font=normal)
    values = [v for vs in series.values() for v in vs if v is not None and v > 0]
    if not values:
        return None
    top = max(values)
    bottom = min(values) if log else 0

    def scale(value: float) -> float:
        if log:
            low, high = math.log10(bottom) - 0.3, math.log10(top) + 0.1
            return (math.log10(value) - low) / (high - low)
        return value / (top * 1.1)

    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    base_y = MARGIN_TOP + plot_h
    draw.line((MARGIN_LEFT, base_y, WIDTH - MARGIN_RIGHT, base_y), fill="black")
    draw.text((5, MARGIN_TOP - 5), unit + (" (log)" if log else ""), fill="black", font=small)
    group_w = plot_w / len(sizes)
    bar_w = group_w * 0.8 / len(series)
    for g, size in enumerate(sizes):
        x0 = MARGIN_LEFT + g * group_w + group_w * 0.1
        draw.text((x0, base_y + 8), f"{size:,} learners", fill="black", font=normal)
        for s, values in enumerate(series.values()):
            value = values[g]
            if value is None or value <= 0:
                continue
            height = max(1, scale(value) * plot_h)
            left = x0 + s * bar_w
            draw.rectangle(
                (left, base_y - height, left + bar_w - 4, base_y), fill=COLOURS[s % len(COLOURS)]
            )
            label = f"{value:.3g}"
            draw.text((left, base_y - height - 15), label, fill="black", font=small)
    legend_x = MARGIN_LEFT
    for s, name in enumerate(series):
        draw.rectangle(
            (legend_x, HEIGHT - 30, legend_x + 12, HEIGHT - 18), fill=COLOURS[s % len(COLOURS)]
        )
        draw.text((legend_x + 16, HEIGHT - 32), name, fill="black", font=small)
        legend_x += 22 + draw.textlength(name, font=small)
    image.save(path, optimize=True)
    return path.name


def charts_draw(results: list[dict], docs: Path) -> list[str]:
    sizes = sorted({r["size"] for r in results if r["size"] >= 1000 and "import" not in r["name"]})
    if not sizes:
        return []

    def values(prefix: str, field: str = "value") -> list:
        found = {r["size"]: r[field] for r in results if r["name"].startswith(prefix)}
        return [found.get(size) for size in sizes]

    drawn = [
        bar_chart(
            docs / "benchmarks-pages.png",
            "Server time per page (Django test client, median)",
            sizes,
            {
                # The exact name: "trivial view through gunicorn" (req/s) starts alike.
                "trivial view": values("trivial view (baseline)"),
                "signed-in learner, empty view": values(
                    "signed-in learner, empty view: server time"
                ),
                "learner step page": values("learner step page: server time"),
                "Mon parcours": values("Mon parcours: server time"),
                "public catalogue": values("public catalogue: server time"),
            },
            "ms",
        ),
        bar_chart(
            docs / "benchmarks-dashboard.png",
            "Funder dashboard, one programme and one year",
            sizes,
            {
                "cold": values("funder dashboard, one year: cold"),
                "warm p95": values("funder dashboard, one year: warm"),
                "pandas groupby (baseline)": values("funder dashboard, one year: cold", "baseline"),
            },
            "s",
            log=True,
        ),
        bar_chart(
            docs / "benchmarks-build.png",
            "seed_demo: build time (s) and peak memory (MB)",
            sizes,
            {
                "build time (s)": values("seed_demo build time"),
                "peak RSS (MB)": values("seed_demo peak memory"),
            },
            "",
        ),
    ]
    return [name for name in drawn if name]
